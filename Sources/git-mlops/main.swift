import Commands

GitMLOps.main(arguments: Array(CommandLine.arguments.dropFirst()))
