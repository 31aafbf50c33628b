import ArgumentParser

/// Commands of the remote layer (push, fetch, pull, remote, hooks).
var remoteCommands: [ParsableCommand.Type] { [] }
/// Commands of the lineage layer (stage, run, log, lineage, params, metrics, reproduce).
var lineageCommands: [ParsableCommand.Type] { [] }
