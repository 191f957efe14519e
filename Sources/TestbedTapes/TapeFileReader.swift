import Foundation
import TestbedModel

/// Reads the text of a Testbed tape file (docs/tapes.md, "Tape format") into a ``Tape``.
///
/// Every error names the file and the line of the value at fault. The file is read in one
/// pass by a ``JSONCursor`` straight into exchanges (JSON bodies are written back in
/// their layout from the file's bytes), so that a 10,000-exchange tape loads in a fraction
/// of the 200 ms the issue allows.
struct TapeFileReader {
    let file: String

    private static let exchangeKeys = JSONCursor.KnownKeys(["request", "response", "recorded_at", "duration_ms"])
    private static let requestKeys = JSONCursor.KnownKeys(["method", "target", "headers", "body"])
    private static let responseKeys = JSONCursor.KnownKeys(["status", "reason", "headers", "body"])
    private static let bodyKeys = JSONCursor.KnownKeys(["layout", "json", "text", "base64"])

    func read(_ bytes: [UInt8]) throws(TapeError) -> Tape {
        do {
            return try readTape(bytes)
        } catch let error as TapeError {
            throw error
        } catch {
            throw malformed(error as? JSONSyntaxError ?? JSONSyntaxError(line: 1, message: "\(error)"))
        }
    }

    /// A syntax error of the file, as a tape error at its line.
    private func malformed(_ error: JSONSyntaxError) -> TapeError {
        TapeError(.malformed, file: file, line: error.line, "malformed JSON: " + error.message)
    }

    /// Reads the tape; throws ``TapeError`` for a file that is not a tape, and the cursor's
    /// ``JSONSyntaxError`` for one that is not JSON.
    private func readTape(_ bytes: [UInt8]) throws -> Tape {
        var cursor = JSONCursor(bytes: bytes)
        cursor.skipWhitespace()
        let topLine = cursor.line
        try cursor.beginObject()
        var first = true
        var version: Int?
        var exchangesAt: (position: Int, line: Int)?
        var exchanges: [TapeExchange]?
        while let key = try cursor.nextMember(&first) {
            switch key {
            case "testbed_tape" where version == nil:
                let line = cursor.line
                guard cursor.current.map({ $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) }) == true,
                      let number = Int(try cursor.number()), number >= 1 else {
                    throw invalid(line, "\"testbed_tape\" must be a format version (a whole number from 1)")
                }
                guard number <= Tape.formatVersion else {
                    throw TapeError(.newerVersion, file: file, line: line,
                                    "the tape is in format version \(number), written by a newer Testbed; this build reads "
                                    + "version \(Tape.formatVersion): update Testbed, or record the tape again")
                }
                version = number
            case "exchanges" where exchangesAt == nil:
                exchangesAt = cursor.mark
                // With the version read first (as Testbed writes tapes), the exchanges are read
                // in this pass. Otherwise, or if they hold an error, they are only skipped here
                // and read after the rest of the tape is checked, so that the error reported
                // is the same as in a tape whose version comes last.
                var attempt = cursor
                if version != nil, let list = try? exchangeList(&attempt) {
                    exchanges = list
                    cursor = attempt
                } else {
                    try cursor.skipValue()
                }
            case "testbed_tape", "exchanges":
                throw invalid(cursor.line, "\"\(key)\" appears twice in the tape")
            default:
                throw invalid(cursor.line, "unknown key \"\(key)\" (allowed: exchanges, testbed_tape)")
            }
        }
        cursor.skipWhitespace()
        guard cursor.current == nil else { throw cursor.fail("unexpected \(cursor.describeCurrent()) after the end of the tape") }
        guard version != nil else { throw invalid(topLine, "no \"testbed_tape\" format version: this is not a Testbed tape") }
        guard let exchangesAt else { throw invalid(topLine, "no \"exchanges\" list") }
        if let exchanges { return Tape(exchanges: exchanges) }
        cursor.seek(exchangesAt)
        return Tape(exchanges: try exchangeList(&cursor))
    }

    private func exchangeList(_ cursor: inout JSONCursor) throws -> [TapeExchange] {
        guard cursor.current == UInt8(ascii: "[") else { throw invalid(cursor.line, "\"exchanges\" must be a list") }
        try cursor.beginArray()
        var exchanges: [TapeExchange] = []
        var first = true
        while try cursor.nextElement(&first) { exchanges.append(try exchange(&cursor)) }
        return exchanges
    }

    private func invalid(_ line: Int, _ message: String) -> TapeError {
        TapeError(.invalid, file: file, line: line, message)
    }

    /// Reads an object whose keys must be among `allowed` (each at most once), handing each
    /// key to `member` with the cursor on its value; returns the line the object starts on.
    @discardableResult
    private func object(_ cursor: inout JSONCursor, _ what: String, allowed: JSONCursor.KnownKeys,
                        _ member: (String, inout JSONCursor) throws -> Void) throws -> Int {
        let line = cursor.line
        guard cursor.current == UInt8(ascii: "{") else { throw invalid(line, "\(what) must be an object") }
        try cursor.beginObject()
        var first = true
        var seen = 0  // a bit for each of `allowed`
        while let key = try cursor.nextMember(&first, among: allowed) {
            guard let index = allowed.names.firstIndex(of: key) else {
                throw invalid(cursor.line, "unknown key \"\(key)\" in \(what) (allowed: \(allowed.names.joined(separator: ", ")))")
            }
            guard seen & (1 << index) == 0 else { throw invalid(cursor.line, "\"\(key)\" appears twice in \(what)") }
            seen |= 1 << index
            try member(key, &cursor)
        }
        return line
    }

    private func string(_ cursor: inout JSONCursor, _ key: String) throws -> String {
        guard cursor.current == UInt8(ascii: "\"") else { throw invalid(cursor.line, "\"\(key)\" must be a string") }
        return try cursor.string()
    }

    private func number(_ cursor: inout JSONCursor) throws -> Substring? {
        guard let byte = cursor.current, byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) else { return nil }
        return try cursor.number()
    }

    private func exchange(_ cursor: inout JSONCursor) throws -> TapeExchange {
        var request: TapeRequest?
        var response: TapeResponse?
        var recordedAt: Date?
        var duration: Duration?
        let line = try object(&cursor, "an exchange", allowed: Self.exchangeKeys) { key, cursor throws in
            switch key {
            case "request": request = try self.request(&cursor)
            case "response": response = try self.response(&cursor)
            case "recorded_at":
                let line = cursor.line
                let text = try string(&cursor, key)
                guard let date = TapeTimestamp.date(from: text) else {
                    throw invalid(line, "\"recorded_at\" must be a UTC time like 2026-01-31T12:00:00.000Z, not \"\(text)\"")
                }
                recordedAt = date
            default:
                let line = cursor.line
                guard let text = try number(&cursor), let value = Double(text), value >= 0 else {
                    throw invalid(line, "\"duration_ms\" must be a number of milliseconds, 0 or more")
                }
                duration = .microseconds(Int64((value * 1000).rounded()))
            }
        }
        guard let request else { throw invalid(line, "the exchange has no \"request\"") }
        guard let response else { throw invalid(line, "the exchange has no \"response\"") }
        return TapeExchange(request: request, response: response, recordedAt: recordedAt, duration: duration)
    }

    private func request(_ cursor: inout JSONCursor) throws -> TapeRequest {
        var method: String?
        var target: String?
        var result = TapeRequest(method: "", target: "")
        let line = try object(&cursor, "a request", allowed: Self.requestKeys) { key, cursor throws in
            switch key {
            case "method": method = try string(&cursor, key)
            case "target": target = try string(&cursor, key)
            case "headers": result.headers = try headers(&cursor)
            default: result.body = try body(&cursor)
            }
        }
        guard let method, !method.isEmpty else { throw invalid(line, "the request has no \"method\"") }
        guard let target else { throw invalid(line, "the request has no \"target\"") }
        result.method = method
        result.target = target
        return result
    }

    private func response(_ cursor: inout JSONCursor) throws -> TapeResponse {
        var result = TapeResponse(status: 0)
        let line = try object(&cursor, "a response", allowed: Self.responseKeys) { key, cursor throws in
            switch key {
            case "status":
                let line = cursor.line
                guard let text = try number(&cursor), let status = Int(text), (100...999).contains(status) else {
                    throw invalid(line, "\"status\" must be an HTTP status code (100 to 999)")
                }
                result.status = status
            case "reason": result.reason = try string(&cursor, key)
            case "headers": result.headers = try headers(&cursor)
            default: result.body = try body(&cursor)
            }
        }
        guard result.status != 0 else { throw invalid(line, "the response has no \"status\"") }
        return result
    }

    private func headers(_ cursor: inout JSONCursor) throws -> [TapeHeader] {
        guard cursor.current == UInt8(ascii: "[") else {
            throw invalid(cursor.line, "\"headers\" must be a list of [name, value] pairs")
        }
        try cursor.beginArray()
        var result: [TapeHeader] = []
        result.reserveCapacity(8)
        var first = true
        while try cursor.nextElement(&first) {
            let line = cursor.line
            var pairError: TapeError { invalid(line, "a header must be a [name, value] pair of strings") }
            guard cursor.current == UInt8(ascii: "[") else { throw pairError }
            try cursor.beginArray()
            var firstPart = true
            var name: String?
            var value: String?
            while try cursor.nextElement(&firstPart) {
                guard value == nil, cursor.current == UInt8(ascii: "\"") else { throw pairError }
                if name == nil { name = try cursor.string() } else { value = try cursor.string() }
            }
            guard let name, let value else { throw pairError }
            result.append(TapeHeader(name, value))
        }
        return result
    }

    private func body(_ cursor: inout JSONCursor) throws -> [UInt8] {
        var layoutName: (String, Int)?
        var layout: JSONLayout?
        var json: (position: Int, line: Int)?
        var text: String?
        var base64: (String, Int)?
        var rewritten: [UInt8]?
        let line = try object(&cursor, "a body", allowed: Self.bodyKeys) { key, cursor throws in
            switch key {
            case "layout":
                let name = try string(&cursor, key)
                layoutName = (name, cursor.line)
                layout = JSONLayout(name: name)
            case "json":
                guard cursor.current == UInt8(ascii: "{") || cursor.current == UInt8(ascii: "[") else {
                    throw invalid(cursor.line, "\"json\" must be an object or a list")
                }
                json = cursor.mark
                if let layout {
                    rewritten = try layout.rewrite(from: &cursor)
                } else {
                    try cursor.skipValue()
                }
            case "text": text = try string(&cursor, key)
            default: base64 = (try string(&cursor, key), cursor.line)
            }
        }
        guard (json == nil ? 0 : 1) + (text == nil ? 0 : 1) + (base64 == nil ? 0 : 1) == 1 else {
            throw invalid(line, "a body must have exactly one of \"json\", \"text\" or \"base64\"")
        }
        if let json {
            guard let (name, nameLine) = layoutName else { throw invalid(line, "a \"json\" body needs its \"layout\"") }
            guard let layout else {
                throw invalid(nameLine, "unknown JSON layout \"\(name)\" (see docs/tapes.md, \"Bodies\")")
            }
            return rewritten ?? layout.rewrite(cursor.bytes, from: json.position)
        }
        guard layoutName == nil else { throw invalid(layoutName!.1, "\"layout\" belongs only to a \"json\" body") }
        if let text { return Array(text.utf8) }
        guard let (encoded, _) = base64, let data = Data(base64Encoded: encoded) else {
            throw invalid(base64?.1 ?? line, "\"base64\" is not valid base64")
        }
        return [UInt8](data)
    }
}
