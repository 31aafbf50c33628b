import MLOpsBasics
import Testing

/// The batches that fetch and checkout hash side by side.
@Suite struct BuffersTests {
    @Test func sizeLimitedGroupsKeepOrderAndBothLimits() {
        let sizes: [Int64] = [3, 3, 3, 10, 1, 1, 1, 1, 1, 2]
        let groups = sizeLimitedGroups(count: sizes.count, maxItems: 4, maxBytes: 6) { sizes[$0] }
        // An item over the limit is a group of its own; otherwise both limits hold.
        #expect(groups == [0..<2, 2..<3, 3..<4, 4..<8, 8..<10])
        #expect(sizeLimitedGroups(count: 0, maxItems: 4, maxBytes: 6) { _ in 1 }.isEmpty)
        // Every item once, in order, whatever the limits.
        var r = 7 as UInt64
        for _ in 0..<200 {
            r = r &* 6364136223846793005 &+ 1442695040888963407
            let n = Int(r >> 58), maxItems = 1 + Int(r >> 60), maxBytes = Int64(r >> 59)
            let s = (0..<n).map { Int64(($0 * 7 + Int(r >> 40)) % 9) }
            let g = sizeLimitedGroups(count: n, maxItems: maxItems, maxBytes: maxBytes) { s[$0] }
            #expect(g.flatMap { Array($0) } == Array(0..<n))
            for x in g {
                #expect(!x.isEmpty && x.count <= maxItems)
                #expect(x.count == 1 || x.reduce(0) { $0 + s[$1] } <= maxBytes)
            }
        }
    }
}
