/// The record a ``CSVReader`` is reading: the line it starts on, its fields so far and the
/// bytes of the field being read.
struct CSVPartialRecord {
    /// 1-based line where the record starts.
    var line: Int
    /// The fields read so far; nil for NULL.
    var fields: [String?] = []
    /// The bytes of the field being read.
    var field: [UInt8] = []
    /// An unquoted field with exactly these bytes is NULL.
    let nullMarker: [UInt8]

    /// An empty record starting at `line`, with room for `capacity` fields.
    init(line: Int, nullMarker: [UInt8], capacity: Int) {
        self.line = line
        self.nullMarker = nullMarker
        fields.reserveCapacity(capacity)
    }

    /// Ends the field being read: NULL (nil) when it is unquoted and equals the null marker.
    @inline(__always)
    mutating func finishField(quoted: Bool) {
        if !quoted && field.count == nullMarker.count && field == nullMarker {
            fields.append(nil)
        } else {
            fields.append(String(decoding: field, as: UTF8.self))
        }
        field.removeAll(keepingCapacity: true)
    }
}
