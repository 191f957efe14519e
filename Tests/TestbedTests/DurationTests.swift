import Testing
@testable import Testbed

@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("50ms", Duration.milliseconds(50)), ("2s", .seconds(2)), ("1m", .seconds(60)),
        ("1m30s", .seconds(90)), ("1.5s", .milliseconds(1500)), ("3", .seconds(3)), ("250us", .microseconds(250)),
        ("100µs", .microseconds(100)), ("100\u{3BC}s", .microseconds(100)), ("720h", .seconds(720 * 3600)),
    ])
    func parsesManifestDurations(text: String, expected: Duration) {
        #expect(Duration(manifest: text) == expected)
    }

    @Test(arguments: ["", "fast", "10 parsecs", "5x", "-1s", "1e3", "µ", "1000h", "31d"])
    func rejectsMalformedDurations(text: String) {
        #expect(Duration(manifest: text) == nil)
    }
}
