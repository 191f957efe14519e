#if canImport(Glibc)
import Glibc
#endif

/// One record of a CSV file: the line it starts on and its fields (nil for NULL).
public struct CSVRecord: Sendable, Hashable {
    /// 1-based line where the record starts (a quoted field may span several lines).
    public var line: Int
    public var fields: [String?]
}

/// A streaming RFC 4180 reader over a CSV file, one record at a time.
///
/// - Fields may be quoted with `"`; a quoted field may hold the delimiter, line breaks and
///   doubled quotes (`""` is one `"`). Records end with LF, CRLF or CR.
/// - An *unquoted* field equal to `options.null` is NULL (nil); a quoted field never is,
///   so `""` is the empty string even when the null marker is empty.
/// - With `options.header`, the first record names the columns (unless `options.columns`
///   is given: then it names them and the header row is skipped). Without a header,
///   `options.columns` names them, or ``columns`` stays nil and the first record sets
///   the field count.
/// - Blank lines (no characters at all) are skipped; a leading UTF-8 byte order mark is ignored.
///
/// Throws ``FixtureError`` (file and 1-based line) for an unterminated quote, text after a
/// closing quote, and a record whose field count differs from the columns'.
/// Reads the file in 64 KiB chunks and works on UTF-8 bytes; not thread-safe.
public final class CSVReader {
    private enum State { case recordStart, fieldStart, unquoted, quoted, quoteInQuoted }

    public let path: String
    public let options: CSVOptions
    /// Column names, from the header or the options; nil when neither gives them.
    public private(set) var columns: [String]?
    /// The line the header row is on, when there is one.
    public private(set) var headerLine: Int?

    private let fd: Int32
    private let delimiter: UInt8
    private let nullMarker: [UInt8]
    private var buffer: [UInt8]
    private var count = 0
    private var position = 0
    private var atEOF = false
    private var line = 1
    private var expectedFields: Int?
    private var field: [UInt8] = []
    private var fields: [String?] = []

    /// Opens `path` and, when the options ask for one, reads the header.
    public init(path: String, options: CSVOptions = CSVOptions()) throws(FixtureError) {
        self.path = path
        self.options = options
        guard let ascii = options.delimiter.asciiValue, ascii != 0x22, ascii != 0x0A, ascii != 0x0D else {
            throw FixtureError(file: path, message: "the CSV delimiter must be one ASCII character other than a quote or line break, not '\(options.delimiter)'")
        }
        delimiter = ascii
        nullMarker = Array(options.null.utf8)
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FixtureError(file: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        buffer = [UInt8](repeating: 0, count: 65536)
        field.reserveCapacity(256)
        try skipByteOrderMark()
        columns = options.columns
        expectedFields = options.columns?.count
        if options.header {
            guard let header = try nextRecord() else { return }
            headerLine = header.line
            if columns == nil {
                var names: [String] = []
                for (index, name) in header.fields.enumerated() {
                    guard let name, !name.isEmpty else {
                        throw FixtureError(file: path, line: header.line, message: "header column \(index + 1) has no name")
                    }
                    names.append(name)
                }
                columns = names
                expectedFields = names.count
            }
        }
    }

    deinit { close(fd) }

    /// The next record, or nil at the end of the file.
    public func next() throws(FixtureError) -> CSVRecord? {
        guard let record = try nextRecord() else { return nil }
        if let expected = expectedFields {
            if record.fields.count != expected {
                let source = options.columns != nil ? "the `columns` option lists \(expected)"
                    : options.header ? "the header has \(expected) columns" : "the first row has \(expected)"
                throw FixtureError(file: path, line: record.line,
                                   message: "row has \(record.fields.count) fields, but \(source)")
            }
        } else {
            expectedFields = record.fields.count
        }
        return record
    }

    /// Calls `body` for every remaining record.
    public func forEach(_ body: (CSVRecord) throws -> Void) throws {
        while let record = try next() { try body(record) }
    }

    // MARK: - Scanning

    private func refill() throws(FixtureError) -> Bool {
        if atEOF { return false }
        let got = buffer.withUnsafeMutableBytes { raw -> Int in
            while true {
                let result = read(fd, raw.baseAddress, raw.count)
                if result < 0 && errno == EINTR { continue }
                return result
            }
        }
        guard got >= 0 else {
            throw FixtureError(file: path, line: line, message: "read failed: \(String(cString: strerror(errno)))")
        }
        count = got
        position = 0
        if got == 0 { atEOF = true }
        return got > 0
    }

    private func skipByteOrderMark() throws(FixtureError) {
        guard try refill() else { return }
        if count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
    }

    private func finishField(quoted: Bool) {
        if !quoted && field.elementsEqual(nullMarker) {
            fields.append(nil)
        } else {
            fields.append(String(decoding: field, as: UTF8.self))
        }
        field.removeAll(keepingCapacity: true)
    }

    private func finishRecord(startLine: Int) -> CSVRecord {
        defer { fields.removeAll(keepingCapacity: true) }
        return CSVRecord(line: startLine, fields: fields)
    }

    /// The state machine: one pass over bytes, resumable across buffer refills.
    private func nextRecord() throws(FixtureError) -> CSVRecord? {
        var state = State.recordStart
        var recordLine = line
        var quoteLine = line
        var quoted = false
        var afterCR = false
        while true {
            if position == count {
                guard try refill() else { break }
            }
            let byte = buffer[position]
            position += 1
            switch state {
            case .recordStart:
                if byte == 0x0A {
                    if !afterCR { line += 1 }
                    afterCR = false
                    continue
                }
                afterCR = false
                if byte == 0x0D {
                    line += 1
                    afterCR = true
                    continue
                }
                recordLine = line
                state = .fieldStart
                fallthrough
            case .fieldStart:
                quoted = false
                if byte == 0x22 {
                    quoted = true
                    quoteLine = line
                    state = .quoted
                } else if byte == delimiter {
                    finishField(quoted: false)
                } else if byte == 0x0A || byte == 0x0D {
                    finishField(quoted: false)
                    return endRecord(byte, startLine: recordLine)
                } else {
                    field.append(byte)
                    state = .unquoted
                }
            case .unquoted:
                if byte == delimiter {
                    finishField(quoted: false)
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    finishField(quoted: false)
                    return endRecord(byte, startLine: recordLine)
                } else {
                    field.append(byte)
                }
            case .quoted:
                if byte == 0x22 {
                    state = .quoteInQuoted
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
            case .quoteInQuoted:
                if byte == 0x22 {
                    field.append(0x22)
                    state = .quoted
                } else if byte == delimiter {
                    finishField(quoted: true)
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    finishField(quoted: true)
                    return endRecord(byte, startLine: recordLine)
                } else {
                    throw FixtureError(file: path, line: line,
                                       message: "unexpected '\(Unicode.Scalar(byte))' after the closing quote of a field (a quote inside a quoted field is written \"\")")
                }
            }
        }
        switch state {
        case .recordStart:
            return nil
        case .quoted:
            throw FixtureError(file: path, line: quoteLine, message: "unterminated quoted field: the quote opened here is never closed")
        case .quoteInQuoted:
            finishField(quoted: true)
        case .fieldStart:
            finishField(quoted: false)
        case .unquoted:
            finishField(quoted: quoted)
        }
        return finishRecord(startLine: recordLine)
    }

    /// Ends a record at a line break; a CR swallows the LF that may follow it.
    private func endRecord(_ newline: UInt8, startLine: Int) -> CSVRecord {
        line += 1
        if newline == 0x0D {
            if position == count { _ = try? refill() }
            if position < count, buffer[position] == 0x0A { position += 1 }
        }
        return finishRecord(startLine: startLine)
    }
}
