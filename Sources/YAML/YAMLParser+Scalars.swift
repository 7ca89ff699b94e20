import Values

/// Scalars: plain, single- and double-quoted, and block scalars (| and >).
extension Parser {
    // MARK: Plain scalars

    /// A lone plain `=` is YAML 1.1's "value" key, which PyYAML and SnakeYAML refuse to load.
    func refuseValueKey(_ text: String, at nodeMark: Mark) throws(SyntaxError) {
        if text == "=" { throw error("a plain '=' is YAML 1.1's value key and cannot be loaded; quote it: '='", at: nodeMark) }
    }

    /// A plain key on one line: up to `: `, ` #` or the end of the line.
    mutating func parseKeyPlain() throws(SyntaxError) -> String {
        guard canStartPlain(flow: false) else { throw error("unexpected character '\(String(decoding: [cur], as: UTF8.self))'") }
        let from = pos
        var end = pos
        while !isBreakOrEnd(pos) {
            let c = cur
            if c == Byte.colon && isBlankOrEnd(pos + 1) { break }
            if c == Byte.space || c == Byte.tab {
                if at(pos + 1) == Byte.hash { break }
                pos += 1
                continue
            }
            pos += 1
            end = pos
        }
        pos = end
        return String(decoding: b[from..<end], as: UTF8.self)
    }

    func canStartPlain(flow: Bool) -> Bool {
        let c = cur
        if atEnd { return false }
        switch c {
        case Byte.dash, UInt8(ascii: "?"), Byte.colon:
            let next = at(pos + 1)
            if isBlankOrEnd(pos + 1) { return false }
            if flow && ",[]{}".utf8.contains(next) { return false }
            return true
        case Byte.comma, UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), Byte.hash,
            UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"),
            UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"),
            Byte.space, Byte.tab, Byte.lf, Byte.cr:
            return false
        default:
            return true
        }
    }

    /// A plain scalar, possibly over several lines (continuation lines must be indented past
    /// `parentIndent` in block context). Line breaks fold into spaces; empty lines into `\n`.
    mutating func parsePlain(parentIndent: Int, flow: Bool) throws(SyntaxError) -> String {
        guard canStartPlain(flow: flow) else {
            throw error("unexpected character '\(String(decoding: [cur], as: UTF8.self))' where a value was expected")
        }
        var out: [UInt8] = []
        var pendingBreaks = 0
        while true {
            // One line of text.
            let from = pos
            var end = pos
            while !isBreakOrEnd(pos) {
                let c = cur
                if c == Byte.colon && (isBlankOrEnd(pos + 1) || flow && ",[]{}".utf8.contains(at(pos + 1))) { break }
                // (`?` ends nothing inside a plain scalar: `[?x]` holds "?x", as the YAML test suite says.)
                if flow && (c == Byte.comma || c == UInt8(ascii: "[") || c == UInt8(ascii: "]")
                    || c == UInt8(ascii: "{") || c == UInt8(ascii: "}")) { break }
                if c == Byte.space || c == Byte.tab {
                    if at(pos + 1) == Byte.hash || c == Byte.tab { break }
                    pos += 1
                    continue
                }
                pos += 1
                end = pos
            }
            if end > from {
                if !out.isEmpty || pendingBreaks > 0 {
                    if pendingBreaks == 1 { out.append(Byte.space) }
                    else if pendingBreaks > 1 { out.append(contentsOf: repeatElement(Byte.lf, count: pendingBreaks - 1)) }
                }
                out.append(contentsOf: b[from..<end])
                pendingBreaks = 0
            }
            pos = end
            // Continue onto the next line?
            let save = mark
            skipSpaces()
            guard isBreakOrEnd(pos), !atEnd else { reset(save); break }
            var breaks = 0
            while cur == Byte.lf || cur == Byte.cr {
                consumeBreak()
                breaks += 1
                skipSpaces()
            }
            if atEnd || cur == Byte.hash || atDocumentMarker() || (!flow && column <= parentIndent) || cur == Byte.tab {
                reset(save)
                break
            }
            if flow && ",[]{}".utf8.contains(cur) {
                break
            }
            if !flow && cur == Byte.colon && isBlankOrEnd(pos + 1) { reset(save); break }
            pendingBreaks += breaks
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Quoted scalars

    mutating func parseSingleQuoted() throws(SyntaxError) -> String {
        let start = mark
        pos += 1
        var out: [UInt8] = []
        while true {
            guard !atEnd else { throw error("unterminated single-quoted string", at: start) }
            let c = cur
            if c == UInt8(ascii: "'") {
                if at(pos + 1) == UInt8(ascii: "'") {
                    out.append(c)
                    pos += 2
                    continue
                }
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == Byte.lf || c == Byte.cr {
                try foldQuotedBreak(&out, start: start)
                continue
            }
            out.append(c)
            pos += 1
        }
    }

    /// Folds a line break inside a quoted scalar: trailing blanks dropped, one break becomes a
    /// Byte.space, each further (empty) line a `\n`, leading blanks of the next line dropped.
    /// Folds a line break inside a quoted scalar. Trailing blanks before it go, except those
    /// `keep` protects (the first `keep` bytes: an escaped `\t` or `\ ` is content).
    mutating func foldQuotedBreak(_ out: inout [UInt8], start: Mark, keep: Int = 0) throws(SyntaxError) {
        while out.count > keep, let last = out.last, last == Byte.space || last == Byte.tab { out.removeLast() }
        var breaks = 0
        while cur == Byte.lf || cur == Byte.cr {
            consumeBreak()
            breaks += 1
            while cur == Byte.space || cur == Byte.tab { pos += 1 }
        }
        if atDocumentMarker() { throw error("unterminated quoted string (a document marker inside it)", at: start) }
        if breaks == 1 { out.append(Byte.space) } else { out.append(contentsOf: repeatElement(Byte.lf, count: breaks - 1)) }
    }

    mutating func parseDoubleQuoted() throws(SyntaxError) -> String {
        let start = mark
        pos += 1
        var out: [UInt8] = []
        var escaped = 0  // bytes up to the end of the last escape: never trimmed before a fold
        while true {
            guard !atEnd else { throw error("unterminated double-quoted string", at: start) }
            let c = cur
            switch c {
            case UInt8(ascii: "\""):
                pos += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let escapeMark = mark
                pos += 1
                let e = cur
                pos += 1
                switch e {
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "a"): out.append(7)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "t"), Byte.tab: out.append(9)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "v"): out.append(11)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "e"): out.append(0x1B)
                case Byte.space: out.append(Byte.space)
                case UInt8(ascii: "\""): out.append(e)
                case UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "\\"): out.append(e)
                case UInt8(ascii: "N"): appendScalar(0x85, to: &out)
                case UInt8(ascii: "_"): appendScalar(0xA0, to: &out)
                case UInt8(ascii: "L"): appendScalar(0x2028, to: &out)
                case UInt8(ascii: "P"): appendScalar(0x2029, to: &out)
                case UInt8(ascii: "x"): appendScalar(try readHex(2, escapeMark), to: &out)
                case UInt8(ascii: "u"): appendScalar(try readHex(4, escapeMark), to: &out)
                case UInt8(ascii: "U"): appendScalar(try readHex(8, escapeMark), to: &out)
                case Byte.lf, Byte.cr:
                    // An escaped line break: joins the lines with nothing between them.
                    pos -= 1
                    consumeBreak()
                    while cur == Byte.space || cur == Byte.tab { pos += 1 }
                    while cur == Byte.lf || cur == Byte.cr {
                        consumeBreak()
                        out.append(Byte.lf)
                        while cur == Byte.space || cur == Byte.tab { pos += 1 }
                    }
                default:
                    throw error("unknown escape '\\\(String(decoding: [e], as: UTF8.self))' in a double-quoted string", at: escapeMark)
                }
                escaped = out.count
            case Byte.lf, Byte.cr:
                try foldQuotedBreak(&out, start: start, keep: escaped)
            default:
                out.append(c)
                pos += 1
            }
        }
    }

    mutating func readHex(_ count: Int, _ escapeMark: Mark) throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            let c = cur
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - 55)
            default: throw error("expected \(count) hex digits in the escape", at: escapeMark)
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }

    func appendScalar(_ value: UInt32, to out: inout [UInt8]) {
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    // MARK: Block scalars

    mutating func parseBlockScalar(parentIndent: Int) throws(SyntaxError) -> String {
        let headerMark = mark
        let folded = cur == UInt8(ascii: ">")
        pos += 1
        var chomping = 0  // -1 strip, 0 clip, +1 keep
        var increment: Int?
        for _ in 0..<2 {
            let c = cur
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                guard chomping == 0 else { throw error("two chomping indicators in a block scalar header", at: headerMark) }
                chomping = c == UInt8(ascii: "+") ? 1 : -1
                pos += 1
            } else if c >= UInt8(ascii: "1") && c <= UInt8(ascii: "9") {
                guard increment == nil else { throw error("two indentation indicators in a block scalar header", at: headerMark) }
                increment = Int(c - 48)
                pos += 1
            } else if c == UInt8(ascii: "0") {
                throw error("the indentation indicator of a block scalar must be 1 to 9")
            }
        }
        let headerEnd = pos
        skipSpaces()
        if cur == Byte.hash {
            // A comment needs a space before it (`># comment` is not a header and a comment).
            guard pos > headerEnd else { throw error("a comment after a block scalar header needs a space before the '#'") }
            while !isBreakOrEnd(pos) { pos += 1 }
        }
        guard isBreakOrEnd(pos) else { throw error("expected a comment or a line break after the block scalar header") }
        if !atEnd { consumeBreak() }

        let minIndent = max(parentIndent + 1, 1)
        var indent: Int
        var lines: [(text: ArraySlice<UInt8>, empty: Bool, more: Bool)] = []
        if let increment {
            indent = max(parentIndent, 0) + increment
            if parentIndent < 0 { indent = increment }
        } else {
            // Auto-detect from the first non-empty line; empty lines before it count too.
            var maxEmptyIndent = 0
            let save = mark
            var detected = 0
            while true {
                let lineFrom = pos
                while cur == Byte.space { pos += 1 }
                let width = pos - lineFrom
                if isBreakOrEnd(pos) {
                    maxEmptyIndent = max(maxEmptyIndent, width)
                    if atEnd { detected = 0; break }
                    consumeBreak()
                    continue
                }
                detected = width
                break
            }
            reset(save)
            indent = max(minIndent, max(detected, maxEmptyIndent))
            if detected < maxEmptyIndent && detected >= minIndent {
                throw error("a leading empty line of the block scalar has more spaces than its first line", at: headerMark)
            }
        }
        // Read lines while they are indented at least `indent` (or are empty).
        while !atEnd {
            let lineMark = mark
            var width = 0
            while cur == Byte.space && width < indent { pos += 1; width += 1 }
            if isBreakOrEnd(pos) {
                // An empty (or short blank) line.
                lines.append((b[pos..<pos], true, false))
                if atEnd { break }
                consumeBreak()
                continue
            }
            if width < indent || atDocumentMarker() && width == 0 {
                reset(lineMark)
                break
            }
            if cur == Byte.tab && width < indent {
                reset(lineMark)
                break
            }
            let from = pos
            while !isBreakOrEnd(pos) { pos += 1 }
            let text = b[from..<pos]
            let more = text.first == Byte.space || text.first == Byte.tab
            lines.append((text, false, more))
            if atEnd { break }
            consumeBreak()
        }
        // Split off trailing empty lines for chomping.
        var trailing = 0
        while let last = lines.last, last.empty {
            lines.removeLast()
            trailing += 1
        }
        var out: [UInt8] = []
        var previousWasText = false
        var previousMore = false
        var emptyRun = 0
        for entry in lines {
            if entry.empty {
                emptyRun += 1
                continue
            }
            if previousWasText {
                if folded && !previousMore && !entry.more && emptyRun == 0 {
                    out.append(Byte.space)
                } else if folded && !previousMore && !entry.more {
                    out.append(contentsOf: repeatElement(Byte.lf, count: emptyRun))
                } else {
                    out.append(contentsOf: repeatElement(Byte.lf, count: emptyRun + 1))
                }
            } else {
                out.append(contentsOf: repeatElement(Byte.lf, count: emptyRun))
            }
            out.append(contentsOf: entry.text)
            previousWasText = true
            previousMore = entry.more
            emptyRun = 0
        }
        let hasText = previousWasText
        // The line break after the last text line, and the trailing empty lines.
        switch chomping {
        case -1: break
        case 1:
            if hasText { out.append(Byte.lf) }
            out.append(contentsOf: repeatElement(Byte.lf, count: trailing))
        default:
            if hasText { out.append(Byte.lf) }
        }
        // A final text line with no line break at the end of input gets none under "clip" in
        // PyYAML only when input ends right after it.
        if chomping >= 0, hasText, atEnd, let last = b.last, last != Byte.lf, last != Byte.cr, trailing == 0,
            lines.last.map({ $0.text.endIndex == b.count }) == true
        {
            out.removeLast()
        }
        return String(decoding: out, as: UTF8.self)
    }
}
