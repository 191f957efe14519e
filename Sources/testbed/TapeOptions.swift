import ArgumentParser
import Testbed
import TestbedModel

/// `--tapes MODE`: the mode of every HTTP link for this run (docs/tapes.md, "Modes").
struct TapeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Every HTTP link's tape mode for this run: record, replay, record_missing, passthrough or "
                               + "once (overrides the manifest and TESTBED_TAPES).", valueName: "mode"))
    var tapes: TapeMode?
}

extension TapeMode: ExpressibleByArgument {}
