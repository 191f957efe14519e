import Foundation
import CZlib
import NIOHTTP1
import TestbedModel

/// Decodes HTTP bodies sent with `Content-Encoding: gzip` or `deflate`, so tapes keep and
/// match the plain body (docs/tapes.md, "Compressed bodies").
enum HTTPBodyCoding {
    /// The plain body for `encoding` (the `Content-Encoding` value); nil when the encoding is
    /// not one this build decodes (`br`, `zstd`) or the data is not valid in it. `identity`
    /// and an empty encoding return the body as it is.
    static func decode(_ body: [UInt8], encoding: String?) -> [UInt8]? {
        let codings = (encoding ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        var data = body
        // Codings are listed in the order they were applied: undo them from the last.
        for coding in codings.reversed() {
            switch coding {
            case "gzip", "x-gzip":
                guard let plain = inflate(data, windowBits: 15 + 16) else { return nil }
                data = plain
            case "deflate":
                // RFC 9110's deflate is zlib-wrapped; some servers send raw deflate.
                guard let plain = inflate(data, windowBits: 15) ?? inflate(data, windowBits: -15) else { return nil }
                data = plain
            default:
                return nil
            }
        }
        return data
    }

    /// The body and headers as a tape keeps them: a body sent with a `Content-Encoding` this
    /// build decodes is stored plain, without its `Content-Encoding` and `Content-Length`
    /// (they described the encoded bytes); any other body and its headers are kept as sent.
    static func decoded(_ body: [UInt8], headers: HTTPHeaders) -> ([UInt8], [TapeHeader]) {
        let list = headers.map { TapeHeader($0.name, $0.value) }
        guard let encoding = headers.first(name: "content-encoding"),
              !encoding.trimmingCharacters(in: .whitespaces).isEmpty,
              encoding.lowercased() != "identity",
              let plain = decode(body, encoding: encoding)
        else { return (body, list) }
        return (plain, list.filter { !$0.matches("Content-Encoding") && !$0.matches("Content-Length") })
    }

    /// Inflates `input` with zlib's `windowBits` (15: zlib, 31: gzip, -15: raw); nil on an
    /// error or truncated input. Concatenated gzip members are all decoded.
    static func inflate(_ input: [UInt8], windowBits: Int32) -> [UInt8]? {
        if input.isEmpty { return [] }
        var output: [UInt8] = []
        var offset = 0
        while offset < input.count {
            var stream = z_stream()
            guard testbed_inflate_init2(&stream, windowBits) == Z_OK else { return nil }
            defer { inflateEnd(&stream) }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            var status: Int32 = Z_OK
            let consumed: Int = input.withUnsafeBufferPointer { source in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress! + offset)
                stream.avail_in = UInt32(input.count - offset)
                while status == Z_OK {
                    chunk.withUnsafeMutableBufferPointer { target in
                        stream.next_out = target.baseAddress
                        stream.avail_out = UInt32(target.count)
                        status = CZlib.inflate(&stream, Z_NO_FLUSH)
                        output.append(contentsOf: target[0..<(target.count - Int(stream.avail_out))])
                    }
                    if status == Z_BUF_ERROR && stream.avail_in == 0 { break }
                }
                return input.count - offset - Int(stream.avail_in)
            }
            guard status == Z_STREAM_END else { return nil }
            offset += consumed
            // Only gzip may carry several members; trailing bytes after zlib/raw data are an error.
            if windowBits <= 15 && offset < input.count { return nil }
            if consumed == 0 { return nil }
        }
        return output
    }
}
