/// The checksum of cache entries (a PostgreSQL ``ClusterPack``, a SQLite snapshot): a 64-bit
/// hash in the manner of XXH64 (four independent lanes of multiply-rotate, then an
/// avalanche), fast enough to check a 15 MB pack on every warm start.
///
/// It guards against accidents — a byte overwritten, a file cut short, a write that never
/// reached the disk — not against an attacker: the cache is the caller's own, 0700.
package enum CacheChecksum {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63

    /// The checksum of the bytes of `parts`, in order; each part's length counts too.
    package static func of(_ parts: UnsafeRawBufferPointer...) -> UInt64 {
        var result: UInt64 = 0x5442_5041_434B_3031  // "TBPACK01"
        for part in parts {
            result = mix(result ^ hash(part, seed: result))
        }
        return result
    }

    @_optimize(speed)
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let count = bytes.count
        var index = 0
        var accumulator: UInt64
        if count >= 32 {
            var a = seed &+ prime1 &+ prime2, b = seed &+ prime2, c = seed, d = seed &- prime1
            while index + 32 <= count {
                a = round(a, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                b = round(b, bytes.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self))
                c = round(c, bytes.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self))
                d = round(d, bytes.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self))
                index += 32
            }
            accumulator = rotate(a, 1) &+ rotate(b, 7) &+ rotate(c, 12) &+ rotate(d, 18)
            for lane in [a, b, c, d] { accumulator = (accumulator ^ round(0, lane)) &* prime1 &+ prime4 }
        } else {
            accumulator = seed &+ prime3
        }
        accumulator = accumulator &+ UInt64(count)
        while index + 8 <= count {
            accumulator ^= round(0, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            accumulator = rotate(accumulator, 27) &* prime1 &+ prime4
            index += 8
        }
        while index < count {
            accumulator ^= UInt64(bytes[index]) &* 0x27D4_EB2F_1656_67C5
            accumulator = rotate(accumulator, 11) &* prime1
            index += 1
        }
        return mix(accumulator)
    }

    @inline(__always)
    private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        rotate(accumulator &+ UInt64(littleEndian: input) &* prime2, 31) &* prime1
    }

    @inline(__always)
    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var value = value
        value ^= value >> 33
        value = value &* prime2
        value ^= value >> 29
        value = value &* prime3
        value ^= value >> 32
        return value
    }
}
