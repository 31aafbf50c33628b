import ArgumentParser

/// Every subcommand of `git mlops`, in the order `git mlops -h` lists them: the one list that help
/// and "did you mean" read. A new command is one file and one line here.
let commandList: [ParsableCommand.Type] = [
    Init.self,
    Add.self,
    Status.self,
    Checkout.self,
    Diff.self,
    Remove.self,
    GC.self,
    Fsck.self,
    Remote.self,
    Push.self,
    Fetch.self,
    Pull.self,
    HooksCommand.self,
    HookCommand.self,
    StageCommand.self,
    Run.self,
    PendingCommand.self,
    Log.self,
    LineageCommand.self,
    ParamsCommand.self,
    MetricsCommand.self,
    Reproduce.self,
    ReportCommand.self,
    ProfileCommand.self,
    ModelCommand.self,
    AuditCommand.self,
    MonitorCommand.self,
    ValidateCommand.self,
    DriftCommand.self,
    ChecksCommand.self,
    // Hidden: for scripts/install.
    GenerateManual.self,
    CompletionCommand.self,
]

/// What `git mlops hook NAME ARGS...` runs, by hook name.
let hookHandlers: [String: ([String]) throws -> Void] = [
    "pre-push": prePushHook, "post-commit": postCommitHook, "post-checkout": postCheckoutHook,
    "pre-commit": preCommitHook,
]
