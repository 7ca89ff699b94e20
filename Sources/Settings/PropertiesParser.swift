import Values

/// Reads Java `.properties` files exactly as `java.util.Properties.load(InputStream)` does:
/// ISO-8859-1 bytes, `=`/`:`/whitespace separators, `#`/`!` comments, odd-backslash line
/// continuation, `\t \n \r \f \uXXXX` escapes, trailing whitespace kept in values.
///
/// The rules follow the JDK's `Properties.LineReader` and `loadConvert` step by step; the test
/// suite compares the result with `java.util.Properties` itself on a corpus of tricky files.
public enum PropertiesParser {
    /// One `key=value` pair and the line its logical line started on.
    public struct Entry: Sendable, Hashable {
        /// The key, escapes decoded.
        public var key: String
        /// The value, escapes decoded and continuation lines joined.
        public var value: String
        /// The line the entry starts on.
        public var line: Int
    }

    /// Every pair in file order. Duplicate keys are all returned; the last one wins when the
    /// pairs are loaded into a map, as in Java.
    public static func parse(bytes: [UInt8], file: String? = nil) throws(SyntaxError) -> [Entry] {
        var reader = LogicalLineReader(bytes: bytes)
        var entries: [Entry] = []
        while let line = reader.next() {
            entries.append(try split(line, file: file))
        }
        return entries
    }

    /// Pairs from text (already decoded); characters above U+00FF are kept as they are, as a
    /// `java.io.Reader` would.
    public static func parse(_ text: String, file: String? = nil) throws(SyntaxError) -> [Entry] {
        var reader = LogicalLineReader(units: Array(text.utf16))
        var entries: [Entry] = []
        while let line = reader.next() {
            entries.append(try split(line, file: file))
        }
        return entries
    }

    /// Splits one logical line into key and value (`Properties.load0`).
    private static func split(_ line: LogicalLine, file: String?) throws(SyntaxError) -> Entry {
        let chars = line.chars
        let limit = chars.count
        var keyLength = 0
        var valueStart = limit
        var hasSeparator = false
        var precedingBackslash = false
        while keyLength < limit {
            let c = chars[keyLength]
            if (c == equals || c == colon) && !precedingBackslash {
                valueStart = keyLength + 1
                hasSeparator = true
                break
            } else if isWhitespace(c) && !precedingBackslash {
                valueStart = keyLength + 1
                break
            }
            precedingBackslash = c == backslash ? !precedingBackslash : false
            keyLength += 1
        }
        while valueStart < limit {
            let c = chars[valueStart]
            if !isWhitespace(c) {
                if !hasSeparator && (c == equals || c == colon) {
                    hasSeparator = true
                } else {
                    break
                }
            }
            valueStart += 1
        }
        let key = try unescape(line, from: 0, to: keyLength, file: file)
        let value = try unescape(line, from: valueStart, to: limit, file: file)
        return Entry(key: key, value: value, line: line.positions.first?.line ?? 1)
    }

    /// Resolves escapes (`Properties.loadConvert`).
    private static func unescape(_ line: LogicalLine, from start: Int, to end: Int, file: String?) throws(SyntaxError) -> String {
        var out: [UInt16] = []
        out.reserveCapacity(end - start)
        var i = start
        while i < end {
            var c = line.chars[i]
            i += 1
            guard c == backslash else {
                out.append(c)
                continue
            }
            let escapeIndex = i - 1
            c = line.chars[i]
            i += 1
            if c == UInt16(UInt8(ascii: "u")) {
                var value: UInt16 = 0
                guard i <= end - 4 else { throw malformed(line, escapeIndex, file) }
                for _ in 0..<4 {
                    guard line.chars[i] < 0x80, let digit = hexDigit(UInt8(line.chars[i])) else {
                        throw malformed(line, escapeIndex, file)
                    }
                    value = value << 4 | UInt16(digit)
                    i += 1
                }
                out.append(value)
            } else {
                switch c {
                case UInt16(UInt8(ascii: "t")): out.append(0x09)
                case UInt16(UInt8(ascii: "r")): out.append(0x0D)
                case UInt16(UInt8(ascii: "n")): out.append(0x0A)
                case UInt16(UInt8(ascii: "f")): out.append(0x0C)
                default: out.append(c)
                }
            }
        }
        // Most settings are ASCII: built as UTF-8 directly (the generic UTF-16 decoding was 2%
        // of a step binary's samples); anything else as Java's UTF-16, a lone surrogate U+FFFD.
        if out.allSatisfy({ $0 < 0x80 }) { return String(decoding: out.map { UInt8($0) }, as: UTF8.self) }
        return String(decoding: out, as: UTF16.self)
    }

    private static func malformed(_ line: LogicalLine, _ index: Int, _ file: String?) -> SyntaxError {
        let position = line.positions[index]
        return SyntaxError(
            "malformed \\uXXXX escape: \\u must be followed by exactly four hex digits",
            at: SourceLocation(file: file, line: position.line, column: position.column))
    }
}

private let backslash: UInt16 = 0x5C
private let equals: UInt16 = 0x3D
private let colon: UInt16 = 0x3A
private let lineFeed: UInt16 = 0x0A
private let carriageReturn: UInt16 = 0x0D

@inline(__always) private func isWhitespace(_ c: UInt16) -> Bool {
    c == 0x20 || c == 0x09 || c == 0x0C
}


/// A logical line: the characters after comments, continuations and leading whitespace are
/// handled, each with the physical line and column it came from.
private struct LogicalLine {
    var chars: [UInt16] = []
    var positions: [(line: Int, column: Int)] = []
}

/// `Properties.LineReader.readLine`, over UTF-16 units (bytes are widened as ISO-8859-1).
private struct LogicalLineReader {
    let units: [UInt16]
    var offset = 0
    var physicalLine = 1
    var lineStart = 0

    init(units: [UInt16]) { self.units = units }
    init(bytes: [UInt8]) { self.units = bytes.map { UInt16($0) } }

    private mutating func read() -> UInt16? {
        guard offset < units.count else { return nil }
        let c = units[offset]
        offset += 1
        return c
    }

    /// Bookkeeping for locations: call after consuming a line break character.
    private mutating func noteBreak(_ c: UInt16) {
        if c == lineFeed || (c == carriageReturn && (offset >= units.count || units[offset] != lineFeed)) {
            physicalLine += 1
            lineStart = offset
        }
    }

    mutating func next() -> LogicalLine? {
        var line = LogicalLine()
        var skipWhiteSpace = true
        var appendedLineBegin = false
        var precedingBackslash = false
        while true {
            guard let c = read() else {
                if line.chars.isEmpty { return nil }
                if precedingBackslash { line.chars.removeLast(); line.positions.removeLast() }
                return line
            }
            if skipWhiteSpace {
                if isWhitespace(c) { continue }
                if !appendedLineBegin && (c == carriageReturn || c == lineFeed) {
                    noteBreak(c)
                    continue
                }
                skipWhiteSpace = false
                appendedLineBegin = false
            }
            if line.chars.isEmpty && (c == UInt16(UInt8(ascii: "#")) || c == UInt16(UInt8(ascii: "!"))) {
                // A comment: consume the rest of the physical line.
                while let d = read() {
                    if d == carriageReturn || d == lineFeed {
                        noteBreak(d)
                        break
                    }
                }
                if offset >= units.count { return nil }
                skipWhiteSpace = true
                continue
            }
            if c != lineFeed && c != carriageReturn {
                line.chars.append(c)
                line.positions.append((physicalLine, offset - lineStart))
                precedingBackslash = c == backslash ? !precedingBackslash : false
                continue
            }
            noteBreak(c)
            if line.chars.isEmpty {
                skipWhiteSpace = true
                continue
            }
            if offset >= units.count {
                if precedingBackslash { line.chars.removeLast(); line.positions.removeLast() }
                return line
            }
            guard precedingBackslash else { return line }
            // The backslash joins the next physical line, minus its leading whitespace.
            line.chars.removeLast()
            line.positions.removeLast()
            skipWhiteSpace = true
            appendedLineBegin = true
            precedingBackslash = false
            if c == carriageReturn && offset < units.count && units[offset] == lineFeed {
                offset += 1
                physicalLine += 1
                lineStart = offset
            }
        }
    }
}
