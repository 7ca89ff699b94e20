/// Writes a zip archive with stored (uncompressed) entries and CRC-32 checksums: enough for a
/// Rundeck plugin bundle, and readable by `unzip` and Python's `zipfile`.
public struct ZipWriter {
    private var data: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    /// An empty archive.
    public init() {}

    /// Adds a file (`mode` is its Unix permission bits) or, for a name ending in `/`, a folder.
    public mutating func add(_ name: String, _ content: [UInt8] = [], mode: UInt16 = 0o644) {
        let nameBytes = Array(name.utf8)
        let isFolder = name.hasSuffix("/")
        let crc = CRC32.checksum(content)
        let offset = UInt32(data.count)
        // Local file header.
        append32(&data, 0x0403_4B50)
        append16(&data, 10)  // version needed
        append16(&data, 0x0800)  // UTF-8 names
        append16(&data, 0)  // stored
        append16(&data, 0); append16(&data, 0x21)  // time, date (1980-01-01): fixed, so archives are reproducible
        append32(&data, crc); append32(&data, UInt32(content.count)); append32(&data, UInt32(content.count))
        append16(&data, UInt16(nameBytes.count)); append16(&data, 0)
        data += nameBytes
        data += content
        // Central directory entry.
        append32(&central, 0x0201_4B50)
        append16(&central, 0x0314)  // made by: Unix, 2.0
        append16(&central, 10); append16(&central, 0x0800); append16(&central, 0)
        append16(&central, 0); append16(&central, 0x21)
        append32(&central, crc); append32(&central, UInt32(content.count)); append32(&central, UInt32(content.count))
        append16(&central, UInt16(nameBytes.count)); append16(&central, 0); append16(&central, 0)
        append16(&central, 0); append16(&central, 0)
        let type: UInt32 = isFolder ? 0o040000 : 0o100000
        append32(&central, (type | UInt32(isFolder ? 0o755 : mode)) << 16 | (isFolder ? 0x10 : 0))
        append32(&central, offset)
        central += nameBytes
        count += 1
    }

    /// The finished archive.
    public func finish() -> [UInt8] {
        var out = data + central
        append32(&out, 0x0605_4B50)
        append16(&out, 0); append16(&out, 0)
        append16(&out, UInt16(count)); append16(&out, UInt16(count))
        append32(&out, UInt32(central.count)); append32(&out, UInt32(data.count))
        append16(&out, 0)
        return out
    }

    private func append16(_ out: inout [UInt8], _ value: UInt16) {
        out.append(UInt8(value & 0xFF)); out.append(UInt8(value >> 8))
    }

    private func append32(_ out: inout [UInt8], _ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}

/// CRC-32 (IEEE 802.3), as zip uses.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 a zip entry records for its bytes.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
