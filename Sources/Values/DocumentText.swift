/// The check every job document (YAML or JSON) passes before it is parsed: it must be UTF-8,
/// and hold no control characters but tab, line feed and carriage return. A NUL would cut a
/// command short where C strings take over (`echo a; echo after` ran only `echo a`), and text
/// that is not UTF-8 would silently become U+FFFD; both are errors with their line and column.
public enum DocumentText {
    /// Throws at the first byte that is not valid UTF-8 or is a refused control character.
    /// `yaml` also refuses DEL and the C1 controls but NEL, as YAML's printable set does.
    public static func check(_ bytes: [UInt8], file: String?, yaml: Bool) throws(SyntaxError) {
        // Fast path: plain printable ASCII, tabs and line breaks need no decoding; only a file
        // with something else is walked in detail (which also finds the line and column).
        let plain = bytes.withUnsafeBufferPointer { buffer in
            buffer.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }
        }
        if plain { return }
        var line = 1
        var column = 1
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte < 0x80 {
                if byte == 0x0A {
                    line += 1
                    column = 1
                    i += 1
                    continue
                }
                if (byte < 0x20 && byte != 0x09 && byte != 0x0D) || (yaml && byte == 0x7F) {
                    throw SyntaxError("control character \(name(UInt32(byte))) is not allowed in a job file", at: SourceLocation(file: file, line: line, column: column))
                }
                i += 1
                column += 1
                continue
            }
            guard let (scalar, length) = decode(bytes, at: i) else {
                throw SyntaxError("the file is not valid UTF-8 here (byte 0x\(String(byte, radix: 16, uppercase: true))); save it as UTF-8", at: SourceLocation(file: file, line: line, column: column))
            }
            if yaml && (0x80...0x9F).contains(scalar) && scalar != 0x85 {
                throw SyntaxError("control character \(name(scalar)) is not allowed in a job file", at: SourceLocation(file: file, line: line, column: column))
            }
            if yaml && (scalar == 0x85 || scalar == 0x2028 || scalar == 0x2029) {
                // YAML 1.1 reads these as line breaks, which no job file means; refused rather
                // than read one way here and another in Rundeck.
                throw SyntaxError("\(name(scalar)) (\(scalar == 0x85 ? "NEL" : scalar == 0x2028 ? "line separator" : "paragraph separator")) is a line break in YAML 1.1, which pdstep does not read; use a line feed, or the escape \\N, \\L or \\P in a double-quoted string", at: SourceLocation(file: file, line: line, column: column))
            }
            i += length
            column += 1
        }
    }

    private static func name(_ scalar: UInt32) -> String {
        let code = "U+" + Text.hex(scalar, width: 4)
        return scalar == 0 ? "NUL (\(code))" : code
    }

    /// One multi-byte UTF-8 sequence at `i`: its scalar and length, or nil when it is malformed
    /// (truncated, overlong, a surrogate, or past U+10FFFF).
    private static func decode(_ bytes: [UInt8], at i: Int) -> (UInt32, Int)? {
        let first = bytes[i]
        let length: Int
        var scalar: UInt32
        switch first {
        case 0xC2...0xDF: length = 2; scalar = UInt32(first & 0x1F)
        case 0xE0...0xEF: length = 3; scalar = UInt32(first & 0x0F)
        case 0xF0...0xF4: length = 4; scalar = UInt32(first & 0x07)
        default: return nil
        }
        guard i + length <= bytes.count else { return nil }
        for k in 1..<length {
            let next = bytes[i + k]
            guard next & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(next & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return nil }
        return (scalar, length)
    }
}
