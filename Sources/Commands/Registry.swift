import ArgumentParser
import Lineage
import MLOpsBasics
import Workspace

/// Commands of the remote layer (push, fetch, pull, remote) and hooks.
var remoteCommands: [ParsableCommand.Type] { [HooksCommand.self, HookCommand.self] }
/// Commands of the lineage layer (stage, run, log, lineage, params, metrics, reproduce).
var lineageCommands: [ParsableCommand.Type] {
    [StageCommand.self, Run.self, Log.self, LineageCommand.self, ParamsCommand.self, MetricsCommand.self, Reproduce.self]
}

/// What `git mlops hook NAME ARGS...` runs, by hook name.
var hookHandlers: [String: ([String]) throws -> Void] {
    [
        // Attaches pending run records to the new commit when it holds what ran. Never fails the commit.
        "post-commit": { _ in
            guard let repo = try? Repo.open() else { return }
            do {
                for line in try PostCommit.handle(repo: repo) { Terminal.err(line) }
            } catch {
                Terminal.warn("git-mlops post-commit: \(error)")
            }
        },
    ]
}
