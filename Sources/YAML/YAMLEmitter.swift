import Values

/// Writes a `Value` as block-style YAML that PyYAML and SnakeYAML read back to the same value.
/// Strings that would resolve to something else (`yes`, `1.0`, `null`), or that hold special
/// characters, are double-quoted.
public enum YAMLEmitter {
    /// The YAML text of `value`, ending with a newline.
    public static func emit(_ value: Value) -> String {
        var out = ""
        switch value {
        case .array(let items) where !items.isEmpty:
            emitSequence(items, indent: 0, into: &out)
        case .object(let object) where !object.isEmpty:
            emitMapping(object, indent: 0, into: &out)
        default:
            out += scalar(value) + "\n"
        }
        return out
    }

    private static func emitMapping(_ object: ValueObject, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for entry in object {
            out += pad + string(entry.key) + ":"
            emitValue(entry.value, indent: indent, into: &out)
        }
    }

    private static func emitSequence(_ items: [Value], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            out += pad + "-"
            switch item {
            case .object(let object) where !object.isEmpty:
                // Compact form: the first key on the dash line, the rest aligned under it.
                var first = true
                for entry in object {
                    out += first ? " " : pad + "  "
                    first = false
                    out += string(entry.key) + ":"
                    emitValue(entry.value, indent: indent + 2, into: &out)
                }
            case .array(let nested) where !nested.isEmpty:
                out += "\n"
                emitSequence(nested, indent: indent + 2, into: &out)
            default:
                out += " " + scalar(item) + "\n"
            }
        }
    }

    private static func emitValue(_ value: Value, indent: Int, into out: inout String) {
        switch value {
        case .object(let object) where !object.isEmpty:
            out += "\n"
            emitMapping(object, indent: indent + 2, into: &out)
        case .array(let items) where !items.isEmpty:
            out += "\n"
            emitSequence(items, indent: indent, into: &out)
        default:
            out += " " + scalar(value) + "\n"
        }
    }

    /// A scalar (or empty collection) on one line.
    static func scalar(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return yamlFloat(d)
        case .string(let s): return string(s)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    static func yamlFloat(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        return pythonFloatText(d)
    }

    /// A double as text that YAML 1.1 reads back as a float: always with a dot, and a signed
    /// exponent (`1.0e+20`), as Python writes floats.
    public static func pythonFloatText(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        var text = d.description
        if let e = text.firstIndex(of: "e") {
            var mantissa = String(text[..<e])
            var exponent = String(text[text.index(after: e)...])
            if !mantissa.contains(".") { mantissa += ".0" }
            if !exponent.hasPrefix("-") && !exponent.hasPrefix("+") { exponent = "+" + exponent }
            text = mantissa + "e" + exponent
        } else if !text.contains(".") {
            text += ".0"
        }
        return text
    }

    /// A string plain when that reads back as the same string, else double-quoted.
    static func string(_ s: String) -> String {
        if isSafePlain(s) { return s }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{2028}", "\u{2029}", "\u{FEFF}":
                out += "\\u" + Text.hex(scalar.value, width: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func isSafePlain(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        guard first.properties.isAlphabetic || first == "/" || first == "_" || first == "." && s.count > 1 && !s.hasPrefix("..") else {
            return false
        }
        if last == " " || last == ":" { return false }
        for scalar in s.unicodeScalars {
            let allowed = scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || " _-./=+()@%^~".unicodeScalars.contains(scalar) || scalar.value > 0x9F && scalar.value < 0x2028
            if !allowed { return false }
        }
        if s.contains(" #") || s.contains(": ") { return false }
        guard case .string = YAMLScalarResolver.resolve(s) else { return false }
        return true
    }
}
