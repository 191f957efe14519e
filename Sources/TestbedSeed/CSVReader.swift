import TestbedSystem
import TestbedModel
#if canImport(Glibc)
import Glibc
#endif

/// One record of a CSV file: the line it starts on and its fields (nil for NULL).
package struct CSVRecord: Sendable, Hashable {
    /// 1-based line where the record starts (a quoted field may span several lines).
    package var line: Int
    /// The fields in file order; nil where an unquoted field equals the null marker.
    package var fields: [String?]
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
package final class CSVReader {
    private enum State { case recordStart, fieldStart, unquoted, quoted, quoteInQuoted }

    /// The CSV file being read.
    package let path: String
    /// How the file is read: delimiter, header, null marker and columns.
    package let options: CSVOptions
    /// Column names, from the header or the options; nil when neither gives them.
    package private(set) var columns: [String]?
    /// The line the header row is on, when there is one.
    package private(set) var headerLine: Int?

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
    package init(path: String, options: CSVOptions = CSVOptions()) throws(FixtureError) {
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
    package func next() throws(FixtureError) -> CSVRecord? {
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
    package func forEach(_ body: (CSVRecord) throws -> Void) throws {
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
        var quoteLine = line
        var afterCR = endedWithCR
        var record = CSVPartialRecord(line: line, nullMarker: nullMarker, capacity: expectedFields ?? 8)
        swap(&record.field, &self.field)
        let base = buffer.baseAddress!
        let delimiter = self.delimiter
        var pos = position
        var end = count
        defer {
            record.field.removeAll(keepingCapacity: true)
            swap(&record.field, &self.field)
            self.position = pos
            self.line = line
        }

        while true {
            if pos == end {
                guard try refill(at: line, position: &pos, end: &end) else { break }
            }
            let byte = base[pos]
            pos += 1
            switch state {
            case .recordStart:
                if Self.skipBlankLineBreak(byte, line: &line, afterCR: &afterCR) { continue }
                endedWithCR = false
                record.line = line
                state = .fieldStart
                fallthrough
            case .fieldStart, .unquoted:
                if byte == delimiter {
                    record.finishField(quoted: false)
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    record.finishField(quoted: false)
                    return endRecord(record, newline: byte, line: &line)
                } else if byte == 0x22 && state == .fieldStart {
                    quoteLine = line
                    state = .quoted
                } else {
                    let stop = Self.endOfUnquotedRun(base, from: pos, to: end, delimiter: delimiter)
                    record.field.append(contentsOf: UnsafeBufferPointer(start: base + pos - 1, count: stop - pos + 1))
                    pos = stop
                    state = .unquoted
                }
            case .quoted:
                if byte == 0x22 {
                    state = .quoteInQuoted
                } else {
                    let stop = Self.endOfQuotedRun(base, from: pos - 1, to: end, line: &line)
                    record.field.append(contentsOf: UnsafeBufferPointer(start: base + pos - 1, count: stop - pos + 1))
                    pos = stop
                }
            case .quoteInQuoted:
                if byte == 0x22 {
                    record.field.append(0x22)
                    state = .quoted
                } else if byte == delimiter {
                    record.finishField(quoted: true)
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    record.finishField(quoted: true)
                    return endRecord(record, newline: byte, line: &line)
                } else {
                    throw FixtureError(file: path, line: line,
                                       message: "unexpected '\(Unicode.Scalar(byte))' after the closing quote of a field (a quote inside a quoted field is written \"\")")
                }
            }
        }
        return try endOfFile(in: state, record: &record, quoteLine: quoteLine)
    }

    /// Reads the next chunk once the current one is used up (`line` is where the reader is,
    /// for a read error) and moves `position` and `end` to it; false at the end of the file.
    private func refill(at line: Int, position pos: inout Int, end: inout Int) throws(FixtureError) -> Bool {
        self.line = line
        let more = try refill()
        pos = position
        end = count
        return more
    }

    /// The record ended by the line break `newline`; the next starts on the following line.
    private func endRecord(_ record: CSVPartialRecord, newline: UInt8, line: inout Int) -> CSVRecord {
        line += 1
        endedWithCR = newline == 0x0D
        return CSVRecord(line: record.line, fields: record.fields)
    }

    /// The file ended in `state`: no record (only blank lines were left), an unterminated
    /// quote, or a last record without a line break.
    private func endOfFile(in state: State, record: inout CSVPartialRecord, quoteLine: Int) throws(FixtureError) -> CSVRecord? {
        switch state {
        case .recordStart:
            return nil
        case .quoted:
            throw FixtureError(file: path, line: quoteLine, message: "unterminated quoted field: the quote opened here is never closed")
        case .quoteInQuoted:
            record.finishField(quoted: true)
        case .fieldStart, .unquoted:
            record.finishField(quoted: false)
        }
        endedWithCR = false
        return CSVRecord(line: record.line, fields: record.fields)
    }

    /// Between records: true when `byte` is a line break of a blank line (or the LF of the
    /// CRLF that ended the previous record), which is skipped, counting the line.
    @inline(__always)
    private static func skipBlankLineBreak(_ byte: UInt8, line: inout Int, afterCR: inout Bool) -> Bool {
        if byte == 0x0A {
            if !afterCR { line += 1 }
            afterCR = false
            return true
        }
        afterCR = false
        if byte == 0x0D {
            line += 1
            afterCR = true
            return true
        }
        return false
    }

    /// The index of the first delimiter or line break at or after `start`, or `end`.
    @inline(__always)
    private static func endOfUnquotedRun(_ base: UnsafeMutablePointer<UInt8>, from start: Int, to end: Int,
                                         delimiter: UInt8) -> Int {
        var scan = start
        while scan < end {
            let next = base[scan]
            if next == delimiter || next == 0x0A || next == 0x0D { break }
            scan += 1
        }
        return scan
    }

    /// The index of the first quote at or after `start`, or `end`; counts the LFs passed.
    @inline(__always)
    private static func endOfQuotedRun(_ base: UnsafeMutablePointer<UInt8>, from start: Int, to end: Int,
                                       line: inout Int) -> Int {
        var scan = start
        while scan < end {
            let next = base[scan]
            if next == 0x22 { break }
            if next == 0x0A { line += 1 }
            scan += 1
        }
        return scan
    }
}
