// Lineage
