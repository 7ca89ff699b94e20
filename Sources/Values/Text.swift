/// The few string operations pdstep needs that Foundation Essentials lacks (pdstep does not
/// link all of Foundation: its ICU data would be most of the binary and its start-up). The
/// names differ from Foundation's, so code that imports both (the tests) is never ambiguous.
extension StringProtocol {
    /// Without leading and trailing whitespace (spaces, tabs and the other Unicode spaces, as
    /// Foundation's `.whitespaces`; line breaks are kept).
    @inlinable public func trimmingSpaces() -> String { trimming { Self.isWhitespace($0) && !Self.isLineBreak($0) } }

    /// Without leading and trailing whitespace and line breaks (Foundation's `.whitespacesAndNewlines`).
    @inlinable public func trimmingSpacesAndLines() -> String { trimming { Self.isWhitespace($0) } }

    /// Without leading and trailing spaces and tabs only (HTTP's optional whitespace, a shell's
    /// blanks).
    @inlinable public func trimmingBlanks() -> String { trimming { $0 == " " || $0 == "\t" } }

    /// Without leading and trailing characters for which `drop` is true (by Unicode scalar).
    @inlinable public func trimming(where drop: (Unicode.Scalar) -> Bool) -> String {
        // Most values have nothing to trim: answer them without building anything.
        guard let head = unicodeScalars.first, let tail = unicodeScalars.last else { return "" }
        if !drop(head) && !drop(tail) { return String(self) }
        return trimmedText(String(self), drop)
    }

    /// Whether `needle` occurs in the text, code unit for code unit, as Java's `String.contains`
    /// compares (`contains` from _StringProcessing compares characters, with canonical
    /// equivalence, and was a tenth of a job step's time on the probes for `${`).
    @inlinable public func includes(_ needle: String) -> Bool {
        var needle = needle
        return needle.withUTF8 { pattern in
            guard let first = pattern.first else { return true }
            return utf8.withContiguousStorageIfAvailable { text in
                occurs(pattern, in: text, first: first)
            } ?? occurs(pattern, in: Array(utf8), first: first)
        }
    }

    /// Unicode's White_Space, answered without a table lookup for ASCII.
    @usableFromInline static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x80 ? scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
    }

    @usableFromInline static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }
}

/// Whether `pattern` (whose first byte is `first`) occurs in `text`: `includes`, on bytes.
@usableFromInline func occurs<Text: RandomAccessCollection<UInt8>>(_ pattern: UnsafeBufferPointer<UInt8>, in text: Text, first: UInt8) -> Bool
where Text.Index == Int {
    guard pattern.count <= text.count else { return false }
    var i = text.startIndex
    let last = text.endIndex - pattern.count
    while i <= last {
        if text[i] == first {
            var j = 1
            while j < pattern.count && text[i + j] == pattern[j] { j += 1 }
            if j == pattern.count { return true }
        }
        i += 1
    }
    return false
}

/// The rare case of `trimming(where:)`, kept out of line so that inlining the check is small.
@usableFromInline func trimmedText(_ text: String, _ drop: (Unicode.Scalar) -> Bool) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !drop($0) }) else { return "" }
    let last = scalars.lastIndex(where: { !drop($0) })!
    // A slice of the text itself (copying it scalar by scalar into a new view was slow).
    return String(scalars[first...last])
}

/// File path text, as Foundation's `NSString` path methods treat it: `/`-separated, a trailing
/// slash ignored.
public enum Path {
    /// The last component (`/a/b.txt` → `b.txt`; `/` → `/`).
    public static func lastComponent(_ path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        if trimmed == "/" { return "/" }
        return trimmed.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? ""
    }

    /// The path without its last component (`/a/b` → `/a`, `b` → ``, `/a` → `/`).
    public static func deletingLastComponent(_ path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        return withoutTrailingSlashes(String(trimmed[..<slash]))
    }

    /// `component` appended with one slash between (`a` + `b` → `a/b`; `` + `b` → `b`).
    public static func appending(_ path: String, _ component: String) -> String {
        if path.isEmpty { return component }
        if component.isEmpty { return path }
        let head = path.hasSuffix("/") ? String(path.dropLast()) : path
        let tail = component.hasPrefix("/") ? String(component.dropFirst()) : component
        return head + "/" + tail
    }

    /// The extension of the last component, without its dot (`a/b.tar.gz` → `gz`), or ``.
    public static func extensionOf(_ path: String) -> String {
        let last = lastComponent(path)
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return "" }
        return String(last[last.index(after: dot)...])
    }

    /// The path without the extension of its last component.
    public static func deletingExtension(_ path: String) -> String {
        let ext = extensionOf(path)
        guard !ext.isEmpty else { return path }
        return String(withoutTrailingSlashes(path).dropLast(ext.count + 1))
    }

    /// `path` as is when absolute, else under `directory`.
    public static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : appending(directory, path)
    }

    static func withoutTrailingSlashes(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

/// Number and byte formatting without Foundation's `String(format:)`.
public enum Text {
    /// A number of seconds as a message writes it: `5`, `0.3`.
    public static func seconds(_ value: Double) -> String {
        fixed(value, value == value.rounded() ? 0 : 1)
    }

    /// `text` cut to `limit` characters, the last of them `…`, when it is longer.
    public static func clipped(_ text: String, to limit: Int) -> String {
        text.count > limit ? String(text.prefix(max(0, limit - 1))) + "…" : text
    }

    /// `value` with `digits` decimals, rounded half away from zero (`%.1f`).
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e18 else { return String(value) }
        let whole = UInt64(scaled)
        let sign = value < 0 && whole != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let divisor = UInt64(scale)
        let fraction = String(whole % divisor)
        return sign + String(whole / divisor) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    /// `value` in decimal, zero-padded to `width` digits (`%05d`).
    public static func padded<T: BinaryInteger>(_ value: T, width: Int) -> String {
        let digits = String(value.magnitude)
        let sign = value < 0 ? "-" : ""
        return sign + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `value` in upper- (or lower-) case hexadecimal, zero-padded to `width` digits.
    public static func hex<T: BinaryInteger>(_ value: T, width: Int, uppercase: Bool = true) -> String {
        let digits = String(value, radix: 16, uppercase: uppercase)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `bytes` as lowercase hexadecimal, two digits each (a digest, a signature).
    public static func hex(bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `hex(bytes:)` wrote (either case, two digits each), or nil for anything else.
    public static func bytes<S: StringProtocol>(hex: S) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = hexDigit(digits[i]), let low = hexDigit(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    /// `text` with every byte but ASCII letters, digits and `-._~` percent-encoded (RFC 3986's
    /// unreserved characters), as a URL path segment or query value needs.
    public static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + hex(byte, width: 2)
            }
        }
        return out
    }
}

extension String {
    /// Cut or padded with spaces to `width` characters (Foundation's `padding(toLength:withPad:startingAt:)`
    /// with a space), for aligned columns.
    public func padded(to width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }
}

/// The value of one ASCII hex digit, or nil.
@inline(__always) public func hexDigit(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}
