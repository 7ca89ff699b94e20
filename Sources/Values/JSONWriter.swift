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
        var out = ""
        write(value, options: options, indent: 0, into: &out)
        return out
    }

    /// A JSON string literal for `text`, quotes included.
    public static func quote(_ text: String) -> String {
        var out = ""
        writeString(text, into: &out)
        return out
    }

    private static func write(_ value: Value, options: Options, indent: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d) where !d.isFinite && options.nonFiniteAsText: out += d.isNaN ? "\".nan\"" : (d < 0 ? "\"-.inf\"" : "\".inf\"")
        case .double(let d): out += format(d)
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            if elements.isEmpty { out += "[]"; return }
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                newline(options, indent + 1, &out)
                write(element, options: options, indent: indent + 1, into: &out)
            }
            newline(options, indent, &out)
            out += "]"
        case .object(let object):
            if object.isEmpty { out += "{}"; return }
            out += "{"
            let entries = options.sortKeys ? object.entries.sorted { $0.key < $1.key } : object.entries
            for (i, entry) in entries.enumerated() {
                if i > 0 { out += "," }
                newline(options, indent + 1, &out)
                writeString(entry.key, into: &out)
                out += options.pretty ? ": " : ":"
                write(entry.value, options: options, indent: indent + 1, into: &out)
            }
            newline(options, indent, &out)
            out += "}"
        }
    }

    private static func newline(_ options: Options, _ indent: Int, _ out: inout String) {
        guard options.pretty else { return }
        out += "\n"
        out += String(repeating: "  ", count: indent)
    }

    /// Shortest text that reads back as the same double; integral values keep a `.0` so they
    /// read back as doubles.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        return d.description
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{00}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
