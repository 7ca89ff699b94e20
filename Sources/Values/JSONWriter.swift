/// Writes a `Value` as JSON.
public enum JSONWriter {
    /// How the text is laid out.
    public struct Options: Sendable {
        /// Two-space indentation and one member per line.
        public var pretty: Bool
        /// Object keys in sorted order instead of insertion order (for stable output).
        public var sortKeys: Bool
        /// Infinity and NaN, which JSON has no numbers for, as the strings `".inf"`, `"-.inf"`
        /// and `".nan"` (their YAML spelling) instead of `null`, which would lose them.
        public var nonFiniteAsText: Bool

        /// Options: indented output, keys sorted, non-finite numbers as text.
        public init(pretty: Bool = false, sortKeys: Bool = false, nonFiniteAsText: Bool = false) {
            self.pretty = pretty
            self.sortKeys = sortKeys
            self.nonFiniteAsText = nonFiniteAsText
        }

        /// One line, keys in order.
        public static let compact = Options()
        /// Indented, keys in order.
        public static let pretty = Options(pretty: true)
    }

    /// The JSON text of `value`. Non-finite doubles, which JSON cannot express, are written as
    /// `null`.
    public static func write(_ value: Value, options: Options = .compact) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, options: options, indent: 0, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON string literal for `text`, quotes included.
    public static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        writeString(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    // The text is built as bytes: appending to a String costs a uniqueness and capacity check
    // and a count update per piece, which was most of the time `convert` spent writing.

    private static func write(_ value: Value, options: Options, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let i): out += String(i).utf8
        case .double(let d) where !d.isFinite && options.nonFiniteAsText: out += (d.isNaN ? "\".nan\"" : (d < 0 ? "\"-.inf\"" : "\".inf\"")).utf8
        case .double(let d): out += format(d).utf8
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            if elements.isEmpty { out += "[]".utf8; return }
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(options, indent + 1, &out)
                write(element, options: options, indent: indent + 1, into: &out)
            }
            newline(options, indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            if object.isEmpty { out += "{}".utf8; return }
            out.append(UInt8(ascii: "{"))
            let entries = options.sortKeys ? object.entries.sorted { $0.key < $1.key } : object.entries
            for (i, entry) in entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(options, indent + 1, &out)
                writeString(entry.key, into: &out)
                out += (options.pretty ? ": " : ":").utf8
                write(entry.value, options: options, indent: indent + 1, into: &out)
            }
            newline(options, indent, &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ options: Options, _ indent: Int, _ out: inout [UInt8]) {
        guard options.pretty else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    /// Shortest text that reads back as the same double; integral values keep a `.0` so they
    /// read back as doubles.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        return d.description
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                var escape: [UInt8]? = nil
                switch byte {
                case 0x22: escape = Array("\\\"".utf8)
                case 0x5C: escape = Array("\\\\".utf8)
                case 0x0A: escape = Array("\\n".utf8)
                case 0x0D: escape = Array("\\r".utf8)
                case 0x09: escape = Array("\\t".utf8)
                case 0x08: escape = Array("\\b".utf8)
                case 0x0C: escape = Array("\\f".utf8)
                case 0x00..<0x20, 0x7F: escape = Array(("\\u00" + hex2(byte)).utf8)
                case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    // U+2028 and U+2029: valid JSON, but not valid JavaScript string text.
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    out += (bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8
                    index += 3
                    runStart = index
                    continue
                default: break
                }
                if let escape {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    out += escape
                    runStart = index + 1
                }
                index += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
    }
}
