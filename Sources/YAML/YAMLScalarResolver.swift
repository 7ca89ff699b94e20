import Values

/// Resolves plain (unquoted) scalars the way YAML 1.1 does in SnakeYAML (Rundeck's parser) and
/// PyYAML: `yes/no/on/off/true/false` in three case forms are booleans; `~`, `null` and empty are
/// null; integers may have a sign, `0b`, `0x`, a leading `0` (octal), `_` separators and
/// base-60 parts (`1:30` is 90); floats need a dot (`1.5`, `1.0e+3`, `.5`) or are `.inf`/`.nan`.
/// Everything else (timestamps included) stays a string.
public enum YAMLScalarResolver {
    /// The value of a plain scalar.
    public static func resolve(_ text: String) -> Value {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return .null }
        switch first {
        case UInt8(ascii: "~"):
            if bytes.count == 1 { return .null }
        case UInt8(ascii: "n"), UInt8(ascii: "N"):
            if text == "null" || text == "Null" || text == "NULL" { return .null }
            if let b = boolean(text) { return .bool(b) }
        case UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"),
            UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"):
            if let b = boolean(text) { return .bool(b) }
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let number = number(bytes) { return number }
        default:
            break
        }
        return .string(text)
    }

    static func boolean(_ text: String) -> Bool? {
        switch text {
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return true
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// Integers and floats by PyYAML's implicit resolver patterns.
    static func number(_ bytes: [UInt8]) -> Value? {
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        let body = Array(bytes[i...])
        guard let head = body.first else { return nil }
        let text = String(decoding: body, as: UTF8.self)
        // .inf / .nan
        if head == UInt8(ascii: ".") {
            switch text {
            case ".inf", ".Inf", ".INF": return .double(negative ? -.infinity : .infinity)
            case ".nan", ".NaN", ".NAN": return i == 0 ? .double(.nan) : nil
            default: break
            }
            // \.[0-9][0-9_]*([eE][-+][0-9]+)? — unsigned only
            guard i == 0, body.count > 1, isDigit(body[1]) else { return nil }
            return float(body, negative: false, startsWithDot: true)
        }
        guard isDigit(head) else { return nil }
        let sign = negative ? -1 : 1
        // 0b..., 0x..., 0[0-7_]+
        if head == UInt8(ascii: "0"), body.count > 1 {
            let marker = body[1]
            if marker == UInt8(ascii: "b") {
                return integer(body[2...], radix: 2, sign: sign, allowEmpty: false)
            }
            if marker == UInt8(ascii: "x") {
                return integer(body[2...], radix: 16, sign: sign, allowEmpty: false)
            }
            if body.allSatisfy({ ($0 >= 48 && $0 <= 55) || $0 == UInt8(ascii: "_") }) {
                // The leading 0 is a digit too: `0_` is 0, as in PyYAML.
                return integer(body[1...], radix: 8, sign: sign, allowEmpty: true)
            }
        }
        if body.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: "_") }) {
            // (0|[1-9][0-9_]*)
            if head == UInt8(ascii: "0") && body.count > 1 { return nil }
            return integer(body[...], radix: 10, sign: sign, allowEmpty: false)
        }
        if body.contains(UInt8(ascii: ":")) {
            return sexagesimal(body, sign: sign)
        }
        return float(body, negative: negative, startsWithDot: false)
    }

    private static func integer(_ digits: ArraySlice<UInt8>, radix: Int, sign: Int, allowEmpty: Bool) -> Value? {
        let cleaned = digits.filter { $0 != UInt8(ascii: "_") }
        if cleaned.isEmpty && allowEmpty { return .int(0) }
        guard !cleaned.isEmpty else { return nil }
        for b in digits where b != UInt8(ascii: "_") {
            let ok: Bool
            switch radix {
            case 2: ok = b == 48 || b == 49
            case 8: ok = b >= 48 && b <= 55
            case 16: ok = isDigit(b) || (b >= 97 && b <= 102) || (b >= 65 && b <= 70)
            default: ok = isDigit(b)
            }
            if !ok { return nil }
        }
        let text = String(decoding: cleaned, as: UTF8.self)
        // The sign goes with the digits, so that -9223372036854775808 (Int.min) fits.
        if let value = Int((sign < 0 ? "-" : "") + text, radix: radix) { return .int(value) }
        // Too large for 64 bits: the reader refuses it (isOversizedInteger) before it gets here.
        guard radix == 10, let double = Double(text) else { return nil }
        return .double(Double(sign) * double)
    }

    /// `[1-9][0-9_]*(:[0-5]?[0-9])+` (int) or the same with `.[0-9_]*` after it (float).
    private static func sexagesimal(_ body: [UInt8], sign: Int) -> Value? {
        var parts = body.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.count >= 2, let first = parts.first, let head = first.first, head != UInt8(ascii: "0") else { return nil }
        guard first.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: "_") }) else { return nil }
        var fraction: ArraySlice<UInt8>?
        if let last = parts.last, let dot = last.firstIndex(of: UInt8(ascii: ".")) {
            fraction = last[dot...]
            parts[parts.count - 1] = last[..<dot]
            guard fraction?.dropFirst().allSatisfy({ isDigit($0) || $0 == UInt8(ascii: "_") }) == true else { return nil }
        }
        for part in parts.dropFirst() {
            guard (1...2).contains(part.count), part.allSatisfy(isDigit) else { return nil }
            if part.count == 2, let tens = part.first, tens > UInt8(ascii: "5") { return nil }
        }
        if let fraction {
            var total = 0.0
            for part in parts {
                let digits = String(decoding: part.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
                guard let n = Double(digits) else { return nil }
                total = total * 60 + n
            }
            let digits = "0" + String(decoding: fraction.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
            total += Double(digits) ?? 0
            return .double(Double(sign) * total)
        }
        // An integer is computed exactly; past 64 bits it is not an Int (see isOversizedInteger).
        guard let total = sexagesimalInteger(parts) else { return .double(.infinity) }
        return .int(sign * total)
    }

    private static func sexagesimalInteger(_ parts: [ArraySlice<UInt8>]) -> Int? {
        var total = 0
        for part in parts {
            guard let n = Int(String(decoding: part.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)) else { return nil }
            let (times, overflow1) = total.multipliedReportingOverflow(by: 60)
            let (sum, overflow2) = times.addingReportingOverflow(n)
            if overflow1 || overflow2 { return nil }
            total = sum
        }
        return total
    }

    /// Whether `text` is an integer by YAML 1.1's rules (decimal, `0x`, `0b`, octal, base 60)
    /// whose value does not fit in 64 bits. The reader refuses such a scalar, with its line and
    /// column, rather than round it.
    public static func isOversizedInteger(_ text: String) -> Bool {
        // Nothing shorter can pass 64 bits (the shortest that does: 0x8000000000000000).
        guard text.utf8.count >= 18, let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || isDigit(first) else {
            return false
        }
        var body = Array(text.utf8)[...]
        var negative = false
        if let first = body.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            body = body.dropFirst()
        }
        guard let head = body.first, isDigit(head) else { return false }
        let underscore = UInt8(ascii: "_")
        func fits(_ digits: ArraySlice<UInt8>, radix: Int) -> Bool {
            let text = (negative ? "-" : "") + String(decoding: digits.filter { $0 != underscore }, as: UTF8.self)
            return Int(text, radix: radix) != nil
        }
        if head == UInt8(ascii: "0"), body.count > 2, body[body.startIndex + 1] == UInt8(ascii: "x") {
            let digits = body.dropFirst(2)
            guard digits.allSatisfy({ isDigit($0) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) || $0 == underscore }) else { return false }
            return !digits.filter({ $0 != underscore }).isEmpty && !fits(digits, radix: 16)
        }
        if head == UInt8(ascii: "0"), body.count > 2, body[body.startIndex + 1] == UInt8(ascii: "b") {
            let digits = body.dropFirst(2)
            guard digits.allSatisfy({ $0 == 48 || $0 == 49 || $0 == underscore }) else { return false }
            return !digits.filter({ $0 != underscore }).isEmpty && !fits(digits, radix: 2)
        }
        if body.allSatisfy({ isDigit($0) || $0 == underscore }) {
            if head == UInt8(ascii: "0") {
                guard body.allSatisfy({ ($0 >= 48 && $0 <= 55) || $0 == underscore }) else { return false }
                return !fits(body, radix: 8)
            }
            return !fits(body, radix: 10)
        }
        if body.contains(UInt8(ascii: ":")), !body.contains(UInt8(ascii: ".")), case .double(let d)? = number(Array(text.utf8)), d.isInfinite {
            return true
        }
        return false
    }

    /// `[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?` or `\.[0-9][0-9_]*([eE][-+][0-9]+)?`.
    private static func float(_ body: [UInt8], negative: Bool, startsWithDot: Bool) -> Value? {
        var i = 0
        if !startsWithDot {
            while i < body.count, isDigit(body[i]) || body[i] == UInt8(ascii: "_") { i += 1 }
        }
        guard i < body.count, body[i] == UInt8(ascii: ".") else { return nil }
        i += 1
        if startsWithDot {
            guard i < body.count, isDigit(body[i]) else { return nil }
        }
        while i < body.count, isDigit(body[i]) || body[i] == UInt8(ascii: "_") { i += 1 }
        if i < body.count {
            guard body[i] == UInt8(ascii: "e") || body[i] == UInt8(ascii: "E") else { return nil }
            i += 1
            guard i < body.count, body[i] == UInt8(ascii: "+") || body[i] == UInt8(ascii: "-") else { return nil }
            i += 1
            guard i < body.count else { return nil }
            while i < body.count {
                guard isDigit(body[i]) else { return nil }
                i += 1
            }
        }
        var cleaned = String(decoding: body.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        if cleaned.hasPrefix(".") { cleaned = "0" + cleaned }
        if let dot = cleaned.firstIndex(of: "."), cleaned.index(after: dot) == cleaned.endIndex || "eE".contains(cleaned[cleaned.index(after: dot)]) {
            cleaned.insert("0", at: cleaned.index(after: dot))
        }
        guard let value = Double(cleaned) else { return nil }
        return .double(negative ? -value : value)
    }
}
