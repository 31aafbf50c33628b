import ArgumentParser

/// Commands of the remote layer (push, fetch, pull, remote) and hooks.
var remoteCommands: [ParsableCommand.Type] { [Remote.self, Push.self, Fetch.self, Pull.self, HooksCommand.self, HookCommand.self] }
/// Commands of the lineage layer (stage, run, log, lineage, params, metrics, reproduce).
var lineageCommands: [ParsableCommand.Type] {
    [StageCommand.self, Run.self, Log.self, LineageCommand.self, ParamsCommand.self, MetricsCommand.self, Reproduce.self]
        + [ReportCommand.self, ProfileCommand.self, ModelCommand.self, AuditCommand.self]
        + [MonitorCommand.self, ValidateCommand.self, DriftCommand.self, ChecksCommand.self]
}

/// What `git mlops hook NAME ARGS...` runs, by hook name.
var hookHandlers: [String: ([String]) throws -> Void] {
    ["pre-push": prePushHook, "post-commit": postCommitHook, "post-checkout": postCheckoutHook, "pre-commit": preCommitHook]
}
