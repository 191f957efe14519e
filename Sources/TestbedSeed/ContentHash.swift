import Foundation

/// A 128-bit content fingerprint (two FNV-1a 64-bit lanes) for cache keys.
///
/// Not cryptographic: it keys caches of the user's own fixtures, where an accidental
/// collision is the only concern.
package struct ContentHash: Sendable {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x8422_2325_cbf2_9ce4

    /// Starts an empty fingerprint.
    package init() {}

    /// Adds raw bytes, with no separator after them.
    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 ^ (b >> 29)
        }
    }

    /// Adds the bytes of `data` (no separator).
    package mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// Adds a string, followed by a separator so that ("ab","c") and ("a","bc") differ.
    package mutating func update(_ text: String) {
        var text = text + "\u{1F}"
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Adds a file's path and contents; a folder adds every file below it in sorted order.
    package mutating func update(file path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        if isDirectory.boolValue {
            let children = (FileManager.default.subpaths(atPath: path) ?? []).sorted()
            for child in children {
                var childIsDirectory: ObjCBool = false
                let full = path + "/" + child
                if FileManager.default.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
                    update(child)
                    update(try Data(contentsOf: URL(fileURLWithPath: full)))
                }
            }
        } else {
            update(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
    }

    /// 32 hex digits.
    package var hex: String {
        String(format: "%016llx%016llx", a, b)
    }
}
