#if canImport(Glibc)
import Glibc
#endif

/// One record of a CSV file: the line it starts on and its fields (nil for NULL).
public struct CSVRecord: Sendable, Hashable {
    /// 1-based line where the record starts (a quoted field may span several lines).
    public var line: Int
    /// The fields in file order; nil where an unquoted field equals the null marker.
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

    /// The CSV file being read.
    public let path: String
    /// How the file is read: delimiter, header, null marker and columns.
    public let options: CSVOptions
    /// Column names, from the header or the options; nil when neither gives them.
    public private(set) var columns: [String]?
    /// The line the header row is on, when there is one.
    public private(set) var headerLine: Int?

    private let fd: Int32
    private let delimiter: UInt8
    private let nullMarker: [UInt8]
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private var count = 0
    private var position = 0
    private var atEOF = false
    private var line = 1
    /// The last record ended with CR: an LF right after it belongs to that line break.
    private var endedWithCR = false
    private var expectedFields: Int?
    /// The bytes of the field being read, kept here between records for its capacity.
    private var field: [UInt8] = []

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
            throw FixtureError(file: path, message: "cannot open: \(errnoText())")
        }
        buffer = .allocate(capacity: 65536)
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

    deinit {
        close(fd)
        buffer.deallocate()
    }

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
        if atEOF {
            count = 0
            position = 0
            return false
        }
        var got: Int
        repeat { got = read(fd, buffer.baseAddress, buffer.count) } while got < 0 && errno == EINTR
        guard got >= 0 else {
            throw FixtureError(file: path, line: line, message: "read failed: \(errnoText())")
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

    /// The state machine: one pass over the bytes, resumable across buffer refills. Hot state
    /// lives in locals; runs of ordinary bytes are copied at once.
    private func nextRecord() throws(FixtureError) -> CSVRecord? {
        var state = State.recordStart
        var line = self.line
        var recordLine = line
        var quoteLine = line
        var afterCR = endedWithCR
        var fields: [String?] = []
        fields.reserveCapacity(expectedFields ?? 8)
        var field: [UInt8] = []
        swap(&field, &self.field)
        defer {
            field.removeAll(keepingCapacity: true)
            swap(&field, &self.field)
        }
        let base = buffer.baseAddress!
        let delimiter = self.delimiter
        let nullMarker = self.nullMarker
        var pos = position
        var end = count
        defer {
            self.position = pos
            self.line = line
        }

        func finishField(quoted: Bool) {
            if !quoted && field.count == nullMarker.count && field == nullMarker {
                fields.append(nil)
            } else {
                fields.append(String(decoding: field, as: UTF8.self))
            }
            field.removeAll(keepingCapacity: true)
        }
        func endRecord(_ newline: UInt8) -> CSVRecord {
            line += 1
            endedWithCR = newline == 0x0D
            return CSVRecord(line: recordLine, fields: fields)
        }

        while true {
            if pos == end {
                self.line = line
                let more = try refill()
                pos = position
                end = count
                guard more else { break }
            }
            let byte = base[pos]
            pos += 1
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
                endedWithCR = false
                recordLine = line
                state = .fieldStart
                fallthrough
            case .fieldStart, .unquoted:
                if byte == delimiter {
                    finishField(quoted: false)
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    finishField(quoted: false)
                    return endRecord(byte)
                } else if byte == 0x22 && state == .fieldStart {
                    quoteLine = line
                    state = .quoted
                } else {
                    var scan = pos
                    while scan < end {
                        let next = base[scan]
                        if next == delimiter || next == 0x0A || next == 0x0D { break }
                        scan += 1
                    }
                    field.append(contentsOf: UnsafeBufferPointer(start: base + pos - 1, count: scan - pos + 1))
                    pos = scan
                    state = .unquoted
                }
            case .quoted:
                if byte == 0x22 {
                    state = .quoteInQuoted
                } else {
                    var scan = pos - 1
                    while scan < end {
                        let next = base[scan]
                        if next == 0x22 { break }
                        if next == 0x0A { line += 1 }
                        scan += 1
                    }
                    field.append(contentsOf: UnsafeBufferPointer(start: base + pos - 1, count: scan - pos + 1))
                    pos = scan
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
                    return endRecord(byte)
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
        case .fieldStart, .unquoted:
            finishField(quoted: false)
        }
        endedWithCR = false
        return CSVRecord(line: recordLine, fields: fields)
    }
}
