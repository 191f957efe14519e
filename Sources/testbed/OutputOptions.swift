import ArgumentParser

/// Options shared by the commands that start an environment.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    @Flag(help: "Print one JSON object per event on stderr, for other tools.")
    var json = false

    @Flag(help: "Keep the run directory (the logs; database files are still deleted) after teardown.")
    var keep = false

    @Option(help: ArgumentHelp("Write each service's phases with their times as JSON to this file.", valueName: "file"))
    var report: String?
}
