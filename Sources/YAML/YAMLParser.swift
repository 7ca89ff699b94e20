import Values

/// Reads one YAML document into a `Value`.
///
/// The supported subset is what job files and configuration use: block and flow mappings and
/// sequences; plain, single- and double-quoted scalars with every escape; block scalars (`|`,
/// `>`) with chomping and indentation indicators; comments; anchors and aliases (and `<<` merge
/// keys); `---` and `...` around one document. Plain scalars resolve by YAML 1.1 rules, as
/// SnakeYAML (Rundeck's parser) and PyYAML do (see `YAMLScalarResolver`).
///
/// Not supported, each reported as an error with its line and column, never read as a wrong
/// value: explicit (`?`) and collection keys, tags other than the standard `!!str`, `!!int`,
/// `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq` (and `!`), `%TAG` directives, and more than
/// one document. Duplicate keys are an error. Tabs may not indent or separate tokens (as in
/// PyYAML); they are fine inside quoted scalars, block scalars and comments.
public enum YAMLParser {
    /// Deepest nesting accepted; deeper input is an error rather than a stack overflow.
    public static let maximumDepth = 256
    /// Most nodes a document may stand for once its aliases are expanded; a 1 KB "billion
    /// laughs" file would otherwise take minutes and gigabytes in every tool that walks it.
    public static let maximumExpandedNodes = 1_000_000

    /// Parses a document from text. `file` only labels error locations.
    public static func parse(_ text: String, file: String? = nil) throws(SyntaxError) -> Value {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Parses a document from UTF-8 bytes.
    public static func parse(bytes: [UInt8], file: String? = nil) throws(SyntaxError) -> Value {
        try DocumentText.check(bytes, file: file, yaml: true)
        var parser = Parser(bytes: bytes, file: file)
        return try parser.parseStream()
    }
}

private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let lf = UInt8(ascii: "\n")
private let cr = UInt8(ascii: "\r")
private let hash = UInt8(ascii: "#")
private let colon = UInt8(ascii: ":")
private let dash = UInt8(ascii: "-")
private let comma = UInt8(ascii: ",")

/// Where a node starts relative to what came before it on its line.
private enum Position {
    /// At the start of the document (or after `---` on the same line).
    case root
    /// After `key:` on the same line or below it.
    case mappingValue
    /// After `- ` on the same line or below it.
    case sequenceItem
}

private struct Parser {
    let b: [UInt8]
    let file: String?
    var pos = 0
    var line = 1
    var lineStart = 0
    /// Each anchor's value and how many nodes it stands for (aliases inside it expanded).
    var anchors: [String: (value: Value, nodes: Int)] = [:]
    /// Nodes the document stands for so far, aliases expanded (bounded by maximumExpandedNodes).
    var produced = 0
    var depth = 0

    init(bytes: [UInt8], file: String?) {
        self.b = bytes
        self.file = file
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            pos = 3
            lineStart = 3
        }
    }

    // MARK: Anchors and aliases

    /// Counts one parsed node; answers the count before it, for `setAnchor`.
    mutating func countNode() -> Int {
        produced += 1
        return produced - 1
    }

    mutating func setAnchor(_ name: String, _ value: Value, since start: Int) {
        anchors[name] = (value, max(1, produced - start))
    }

    /// An alias's value, counting the nodes it stands for against the document's bound.
    mutating func expand(alias name: String, at aliasMark: Mark) throws(SyntaxError) -> Value {
        guard let target = anchors[name] else { throw error("unknown alias '*\(name)': no anchor '&\(name)' before it", at: aliasMark) }
        produced += target.nodes
        if produced > YAMLParser.maximumExpandedNodes {
            throw error("aliases make this document stand for more than \(YAMLParser.maximumExpandedNodes) nodes (an alias bomb?); write the values out or use fewer aliases", at: aliasMark)
        }
        return target.value
    }

    // MARK: Characters and positions

    @inline(__always) func at(_ i: Int) -> UInt8 { i < b.count ? b[i] : 0 }
    @inline(__always) var cur: UInt8 { at(pos) }
    @inline(__always) var atEnd: Bool { pos >= b.count }
    @inline(__always) var column: Int { pos - lineStart }

    /// Space, tab, line break or end of input at `i`.
    @inline(__always) func isBlankOrEnd(_ i: Int) -> Bool {
        let c = at(i)
        return c == space || c == tab || c == lf || c == cr || c == 0 && i >= b.count
    }

    @inline(__always) func isBreakOrEnd(_ i: Int) -> Bool {
        let c = at(i)
        return c == lf || c == cr || i >= b.count
    }

    func location(_ offset: Int? = nil, line lineNumber: Int? = nil, lineStart start: Int? = nil) -> SourceLocation {
        let end = offset ?? pos
        let from = start ?? lineStart
        var column = 1
        var i = from
        while i < end && i < b.count {
            if b[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return SourceLocation(file: file, line: lineNumber ?? line, column: column)
    }

    func error(_ message: String) -> SyntaxError { SyntaxError(message, at: location()) }

    func error(_ message: String, at mark: Mark) -> SyntaxError {
        SyntaxError(message, at: location(mark.pos, line: mark.line, lineStart: mark.lineStart))
    }

    struct Mark {
        var pos: Int
        var line: Int
        var lineStart: Int
    }

    var mark: Mark { Mark(pos: pos, line: line, lineStart: lineStart) }
    mutating func reset(_ m: Mark) {
        pos = m.pos
        line = m.line
        lineStart = m.lineStart
    }

    /// Consumes one line break (`\n`, `\r\n` or `\r`).
    mutating func consumeBreak() {
        if cur == cr { pos += 1 }
        if cur == lf { pos += 1 }
        line += 1
        lineStart = pos
    }

    /// Skips spaces on the current line (not tabs, not breaks).
    mutating func skipSpaces() {
        while cur == space { pos += 1 }
    }

    /// Skips spaces, comments and line breaks up to the next token. Answers whether a line break
    /// was crossed. A tab where a token should start is an error, as in PyYAML.
    @discardableResult
    mutating func skipToToken() throws(SyntaxError) -> Bool {
        var crossed = false
        while true {
            skipSpaces()
            if cur == hash {
                while !isBreakOrEnd(pos) { pos += 1 }
            }
            if cur == lf || cur == cr {
                consumeBreak()
                crossed = true
                continue
            }
            if cur == tab {
                throw error("tab character where a token was expected; YAML does not allow tabs for indentation or separation here, use spaces")
            }
            return crossed
        }
    }

    /// True at a `---` or `...` line at column 0.
    func atDocumentMarker() -> Bool {
        guard column == 0, pos + 2 < b.count || pos + 3 == b.count else { return false }
        let c = cur
        guard c == dash || c == UInt8(ascii: ".") else { return false }
        return at(pos + 1) == c && at(pos + 2) == c && isBlankOrEnd(pos + 3)
    }

    // MARK: Document

    mutating func parseStream() throws(SyntaxError) -> Value {
        try skipToToken()
        // Directives.
        while column == 0 && cur == UInt8(ascii: "%") {
            let start = mark
            var name: [UInt8] = []
            var i = pos + 1
            while !isBlankOrEnd(i) { name.append(at(i)); i += 1 }
            guard name == Array("YAML".utf8) else {
                throw error("the %\(String(decoding: name, as: UTF8.self)) directive is not supported", at: start)
            }
            while !isBreakOrEnd(pos) { pos += 1 }
            try skipToToken()
            guard atDocumentMarker(), cur == dash else { throw error("a directive must be followed by '---'", at: start) }
        }
        var explicitStart = false
        if atDocumentMarker() && cur == dash {
            pos += 3
            explicitStart = true
        }
        let value: Value
        if explicitStart {
            value = try parseNode(parentIndent: -1, position: .root)
        } else if atEnd || (atDocumentMarker() && cur == UInt8(ascii: ".")) {
            value = .null
        } else {
            value = try parseNode(parentIndent: -1, position: .root)
        }
        try skipToToken()
        if atDocumentMarker() && cur == UInt8(ascii: ".") {
            pos += 3
            try skipToToken()
        }
        if !atEnd {
            if atDocumentMarker() && cur == dash {
                throw error("a second document starts here; pdstep reads one document per file")
            }
            throw error("unexpected content after the end of the document (check the indentation)")
        }
        return value
    }

    // MARK: Nodes

    /// Parses the node that follows, or null if there is none. `parentIndent` is the indent of
    /// the enclosing block collection (-1 at the root).
    mutating func parseNode(parentIndent: Int, position: Position) throws(SyntaxError) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth < YAMLParser.maximumDepth else { throw error("nesting deeper than \(YAMLParser.maximumDepth) levels") }

        var sameLine = !(try skipToToken())
        if atEnd || atDocumentMarker() { return .null }
        if !sameLine || position == .root && column == 0 {
            // A node on its own line belongs here only if it is indented past the parent
            // (a sequence under a mapping key may sit at the key's indent).
            if column <= parentIndent {
                let sequenceAtKeyIndent = position == .mappingValue && column == parentIndent && cur == dash && isBlankOrEnd(pos + 1)
                if !sequenceAtKeyIndent { return .null }
                return try parseBlockSequence(indent: column)
            }
        }

        // Properties: anchor and tag, in either order.
        let startCount = countNode()
        var anchor: String?
        var tag: String?
        var propertiesMark: Mark?
        while cur == UInt8(ascii: "&") || cur == UInt8(ascii: "!") {
            propertiesMark = propertiesMark ?? mark
            if cur == UInt8(ascii: "&") {
                guard anchor == nil else { throw error("a node can have only one anchor") }
                anchor = try readName(after: "&")
            } else {
                guard tag == nil else { throw error("a node can have only one tag") }
                tag = try readTag()
            }
            let crossed = try skipToToken()
            if crossed {
                // The properties stand alone on their line; the content follows below.
                if atEnd || atDocumentMarker() || column <= parentIndent
                    && !(position == .mappingValue && column == parentIndent && cur == dash && isBlankOrEnd(pos + 1))
                {
                    let empty = try applyTag(tag, to: .null, plain: nil, at: propertiesMark ?? mark)
                    if let anchor { setAnchor(anchor, empty, since: startCount) }
                    return empty
                }
                if column == parentIndent {
                    let value = try applyTag(tag, to: try parseBlockSequence(indent: column), plain: nil, at: propertiesMark ?? mark)
                    if let anchor { setAnchor(anchor, value, since: startCount) }
                    return value
                }
                sameLine = false
                break
            }
        }
        let nodeMark = mark
        var plainText: String?
        var value: Value
        let c = cur
        switch c {
        case dash where isBlankOrEnd(pos + 1):
            if position == .mappingValue && sameLine {
                throw error("a block sequence cannot start on the same line as its key; put '- ...' on the next line")
            }
            if position == .root && sameLine && column > 0 {
                throw error("a block sequence cannot start on the same line as '---'")
            }
            value = try parseBlockSequence(indent: column)
        case UInt8(ascii: "?") where isBlankOrEnd(pos + 1):
            throw error("explicit keys ('? ') are not supported; write 'key: value'")
        case UInt8(ascii: "|"), UInt8(ascii: ">"):
            value = .string(try parseBlockScalar(parentIndent: parentIndent))
        case UInt8(ascii: "*"):
            let aliasMark = mark
            let name = try readName(after: "*")
            if anchor != nil || tag != nil { throw error("an alias cannot have an anchor or a tag", at: aliasMark) }
            skipSpaces()
            if cur == colon && isBlankOrEnd(pos + 1) {
                // An alias used as a mapping key.
                reset(aliasMark)
                return try parseBlockMapping(indent: column, position: position, sameLine: sameLine)
            }
            return try expand(alias: name, at: aliasMark)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            value = try parseFlowCollection()
            skipSpaces()
            if cur == colon && (isBlankOrEnd(pos + 1)) {
                throw error("a list or mapping cannot be used as a mapping key", at: nodeMark)
            }
        default:
            // A scalar, or the first key of a block mapping.
            if try startsImplicitKey() {
                if (position == .mappingValue || position == .root && column > 0) && sameLine {
                    _ = try? parseKeyPlain()
                    skipSpaces()
                    throw error("mapping values are not allowed here (a second ': ' on the line; quote the value if it contains ': ')")
                }
                if anchor != nil || tag != nil {
                    // The properties belong to the first key, which we do not keep; the
                    // mapping itself gets them when they stood on their own line.
                    if propertiesMark?.line == line {
                        anchor = nil
                        tag = nil
                    }
                }
                value = try parseBlockMapping(indent: column, position: position, sameLine: sameLine)
            } else if c == UInt8(ascii: "'") {
                value = .string(try parseSingleQuoted())
            } else if c == UInt8(ascii: "\"") {
                value = .string(try parseDoubleQuoted())
            } else {
                let text = try parsePlain(parentIndent: parentIndent, flow: false)
                try refuseValueKey(text, at: nodeMark)
                plainText = text
                value = YAMLScalarResolver.resolve(text)
            }
        }
        value = try applyTag(tag, to: value, plain: plainText, at: propertiesMark ?? nodeMark)
        if let anchor { setAnchor(anchor, value, since: startCount) }
        return value
    }

    /// Looks ahead: does a scalar (or alias) key followed by `: ` start here?
    mutating func startsImplicitKey() throws(SyntaxError) -> Bool {
        let start = mark
        defer { reset(start) }
        switch cur {
        case UInt8(ascii: "'"):
            guard (try? parseSingleQuoted()) != nil else { return false }
        case UInt8(ascii: "\""):
            guard (try? parseDoubleQuoted()) != nil else { return false }
        default:
            guard let text = try? parseKeyPlain(), !text.isEmpty || cur == colon else { return false }
        }
        guard line == start.line else { return false }
        skipSpaces()
        return cur == colon && isBlankOrEnd(pos + 1)
    }

    // MARK: Block collections

    mutating func parseBlockSequence(indent: Int) throws(SyntaxError) -> Value {
        var items: [Value] = []
        while true {
            guard cur == dash, isBlankOrEnd(pos + 1), column == indent else {
                throw error("expected '- ' for the next item of the list at column \(indent + 1)")
            }
            pos += 1
            items.append(try parseNode(parentIndent: indent, position: .sequenceItem))
            try skipToToken()
            if atEnd || atDocumentMarker() || column < indent { break }
            if column > indent {
                throw error("bad indentation: this line is indented more than the list item above it")
            }
            if !(cur == dash && isBlankOrEnd(pos + 1)) { break }
        }
        return .array(items)
    }

    mutating func parseBlockMapping(indent: Int, position: Position, sameLine: Bool) throws(SyntaxError) -> Value {
        var object = ValueObject()
        var merges: [ValueObject] = []
        var keyLines: [String: Int] = [:]
        while true {
            guard column == indent else { throw error("bad indentation of a mapping entry") }
            let keyMark = mark
            let (key, isMerge) = try parseKey()
            skipSpaces()
            guard cur == colon, isBlankOrEnd(pos + 1) else {
                throw error("could not find the ':' after the key \(JSONWriter.quote(key))")
            }
            pos += 1
            let value = try parseNode(parentIndent: indent, position: .mappingValue)
            if isMerge {
                merges.append(contentsOf: try mergeSources(value, at: keyMark))
            } else {
                if let earlier = keyLines[key] {
                    throw error("duplicate key \(JSONWriter.quote(key)) (first defined on line \(earlier))", at: keyMark)
                }
                keyLines[key] = keyMark.line
                object[key] = value
            }
            try skipToToken()
            if atEnd || atDocumentMarker() || column < indent { break }
            if column > indent {
                throw error("bad indentation: this line is indented more than the mapping entries above it (or a value with ': ' needs quotes)")
            }
            if cur == dash && isBlankOrEnd(pos + 1) {
                if position == .mappingValue || position == .root {
                    throw error("a list item '- ' where a 'key: value' was expected")
                }
                break
            }
        }
        return .object(merged(object, merges))
    }

    /// A mapping key: a plain or quoted scalar, or an alias. Answers the key as text and whether
    /// it is the merge key `<<`.
    mutating func parseKey() throws(SyntaxError) -> (String, Bool) {
        let startCount = countNode()
        var anchor: String?
        if cur == UInt8(ascii: "&") {
            anchor = try readName(after: "&")
            skipSpaces()
        }
        let startLine = line
        let value: Value
        switch cur {
        case UInt8(ascii: "'"): value = .string(try parseSingleQuoted())
        case UInt8(ascii: "\""): value = .string(try parseDoubleQuoted())
        case UInt8(ascii: "*"):
            let aliasMark = mark
            let name = try readName(after: "*")
            value = try expand(alias: name, at: aliasMark)
        case UInt8(ascii: "!"):
            throw error("tags on mapping keys are not supported")
        default:
            let text = try parseKeyPlain()
            if text == "<<" { return ("<<", true) }
            value = YAMLScalarResolver.resolve(text)
        }
        if line != startLine { throw error("a mapping key must be on one line") }
        if let anchor { setAnchor(anchor, value, since: startCount) }
        return (try keyText(value), false)
    }

    /// The text form of a resolved key (`true`, `1`, `null`), as JSON writes keys.
    func keyText(_ value: Value) throws(SyntaxError) -> String {
        switch value {
        case .string(let s): return s
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return YAMLEmitter.pythonFloatText(d)
        case .array, .object: throw error("a list or mapping cannot be used as a mapping key")
        }
    }

    func mergeSources(_ value: Value, at keyMark: Mark) throws(SyntaxError) -> [ValueObject] {
        switch value {
        case .object(let object): return [object]
        case .array(let items):
            var sources: [ValueObject] = []
            for item in items {
                guard case .object(let object) = item else {
                    throw error("'<<' (merge) takes a mapping or a list of mappings", at: keyMark)
                }
                sources.append(object)
            }
            return sources
        default: throw error("'<<' (merge) takes a mapping or a list of mappings", at: keyMark)
        }
    }

    /// Merge keys: the mapping's own keys win; earlier sources win over later ones.
    func merged(_ own: ValueObject, _ sources: [ValueObject]) -> ValueObject {
        guard !sources.isEmpty else { return own }
        var result = ValueObject()
        for source in sources.reversed() {
            for entry in source { result[entry.key] = entry.value }
        }
        var ordered = ValueObject()
        for source in sources { for entry in source where !ordered.contains(entry.key) { ordered[entry.key] = result[entry.key] } }
        for entry in own { ordered[entry.key] = entry.value }
        return ordered
    }

    // MARK: Properties

    mutating func readName(after sigil: Character) throws(SyntaxError) -> String {
        let start = mark
        pos += 1
        let from = pos
        while !isBlankOrEnd(pos), !",[]{}".utf8.contains(cur) { pos += 1 }
        guard pos > from else { throw error("expected a name after '\(sigil)'", at: start) }
        return String(decoding: b[from..<pos], as: UTF8.self)
    }

    mutating func readTag() throws(SyntaxError) -> String {
        let from = pos
        while !isBlankOrEnd(pos) { pos += 1 }
        return String(decoding: b[from..<pos], as: UTF8.self)
    }

    func applyTag(_ tag: String?, to value: Value, plain: String?, at tagMark: Mark) throws(SyntaxError) -> Value {
        guard let tag else { return value }
        let scalarText: String? = plain ?? value.stringValue
        switch tag {
        case "!":
            return value  // the non-specific tag: resolved as if untagged, as PyYAML does
        case "!!str":
            if let plain { return .string(plain) }
            if case .null = value { return .string("") }
            guard value.stringValue != nil else { throw error("!!str needs a scalar", at: tagMark) }
            return value
        case "!!int":
            if let text = scalarText, case .int = YAMLScalarResolver.resolve(text) { return YAMLScalarResolver.resolve(text) }
            throw error("!!int: '\(scalarText ?? value.kindName)' is not an integer", at: tagMark)
        case "!!float":
            if let text = scalarText {
                switch YAMLScalarResolver.resolve(text) {
                case .double(let d): return .double(d)
                case .int(let i): return .double(Double(i))
                default: break
                }
            }
            throw error("!!float: '\(scalarText ?? value.kindName)' is not a number", at: tagMark)
        case "!!bool":
            if let text = scalarText, let flag = YAMLScalarResolver.boolean(text) { return .bool(flag) }
            throw error("!!bool: '\(scalarText ?? value.kindName)' is not a boolean", at: tagMark)
        case "!!null":
            if scalarText == nil || ["", "~", "null", "Null", "NULL"].contains(scalarText ?? "") { return .null }
            throw error("!!null: '\(scalarText ?? "")' is not null", at: tagMark)
        case "!!map":
            if case .object = value { return value }
            if case .null = value { return .object(ValueObject()) }
            throw error("!!map on something that is not a mapping", at: tagMark)
        case "!!seq":
            if case .array = value { return value }
            if case .null = value { return .array([]) }
            throw error("!!seq on something that is not a list", at: tagMark)
        default:
            throw error("the tag \(tag) is not supported (only !!str, !!int, !!float, !!bool, !!null, !!map, !!seq)", at: tagMark)
        }
    }

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
            if c == colon && isBlankOrEnd(pos + 1) { break }
            if c == space || c == tab {
                if at(pos + 1) == hash { break }
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
        case dash, UInt8(ascii: "?"), colon:
            let next = at(pos + 1)
            if isBlankOrEnd(pos + 1) { return false }
            if flow && ",[]{}".utf8.contains(next) { return false }
            return true
        case comma, UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), hash,
            UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"),
            UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"),
            space, tab, lf, cr:
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
                if c == colon && (isBlankOrEnd(pos + 1) || flow && ",[]{}".utf8.contains(at(pos + 1))) { break }
                if flow && (c == comma || c == UInt8(ascii: "?") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]")
                    || c == UInt8(ascii: "{") || c == UInt8(ascii: "}")) { break }
                if c == space || c == tab {
                    if at(pos + 1) == hash || c == tab { break }
                    pos += 1
                    continue
                }
                pos += 1
                end = pos
            }
            if end > from {
                if !out.isEmpty || pendingBreaks > 0 {
                    if pendingBreaks == 1 { out.append(space) }
                    else if pendingBreaks > 1 { out.append(contentsOf: repeatElement(lf, count: pendingBreaks - 1)) }
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
            while cur == lf || cur == cr {
                consumeBreak()
                breaks += 1
                skipSpaces()
            }
            if atEnd || cur == hash || atDocumentMarker() || (!flow && column <= parentIndent) || cur == tab {
                reset(save)
                break
            }
            if flow && ",[]{}".utf8.contains(cur) {
                break
            }
            if !flow && cur == colon && isBlankOrEnd(pos + 1) { reset(save); break }
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
            if c == lf || c == cr {
                try foldQuotedBreak(&out, start: start)
                continue
            }
            out.append(c)
            pos += 1
        }
    }

    /// Folds a line break inside a quoted scalar: trailing blanks dropped, one break becomes a
    /// space, each further (empty) line a `\n`, leading blanks of the next line dropped.
    mutating func foldQuotedBreak(_ out: inout [UInt8], start: Mark) throws(SyntaxError) {
        while let last = out.last, last == space || last == tab { out.removeLast() }
        var breaks = 0
        while cur == lf || cur == cr {
            consumeBreak()
            breaks += 1
            while cur == space || cur == tab { pos += 1 }
        }
        if atDocumentMarker() { throw error("unterminated quoted string (a document marker inside it)", at: start) }
        if breaks == 1 { out.append(space) } else { out.append(contentsOf: repeatElement(lf, count: breaks - 1)) }
    }

    mutating func parseDoubleQuoted() throws(SyntaxError) -> String {
        let start = mark
        pos += 1
        var out: [UInt8] = []
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
                case UInt8(ascii: "t"), tab: out.append(9)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "v"): out.append(11)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "e"): out.append(0x1B)
                case space: out.append(space)
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
                case lf, cr:
                    // An escaped line break: joins the lines with nothing between them.
                    pos -= 1
                    consumeBreak()
                    while cur == space || cur == tab { pos += 1 }
                    while cur == lf || cur == cr {
                        consumeBreak()
                        out.append(lf)
                        while cur == space || cur == tab { pos += 1 }
                    }
                default:
                    throw error("unknown escape '\\\(String(decoding: [e], as: UTF8.self))' in a double-quoted string", at: escapeMark)
                }
            case lf, cr:
                try foldQuotedBreak(&out, start: start)
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
        skipSpaces()
        if cur == hash { while !isBreakOrEnd(pos) { pos += 1 } }
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
                while cur == space { pos += 1 }
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
            while cur == space && width < indent { pos += 1; width += 1 }
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
            if cur == tab && width < indent {
                reset(lineMark)
                break
            }
            let from = pos
            while !isBreakOrEnd(pos) { pos += 1 }
            let text = b[from..<pos]
            let more = text.first == space || text.first == tab
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
                    out.append(space)
                } else if folded && !previousMore && !entry.more {
                    out.append(contentsOf: repeatElement(lf, count: emptyRun))
                } else {
                    out.append(contentsOf: repeatElement(lf, count: emptyRun + 1))
                }
            } else {
                out.append(contentsOf: repeatElement(lf, count: emptyRun))
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
            if hasText { out.append(lf) }
            out.append(contentsOf: repeatElement(lf, count: trailing))
        default:
            if hasText { out.append(lf) }
        }
        // A final text line with no line break at the end of input gets none under "clip" in
        // PyYAML only when input ends right after it.
        if chomping >= 0, hasText, atEnd, let last = b.last, last != lf, last != cr, trailing == 0,
            lines.last.map({ $0.text.endIndex == b.count }) == true
        {
            out.removeLast()
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Flow collections

    mutating func parseFlowCollection() throws(SyntaxError) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth < YAMLParser.maximumDepth else { throw error("nesting deeper than \(YAMLParser.maximumDepth) levels") }
        let start = mark
        let isMapping = cur == UInt8(ascii: "{")
        let close = isMapping ? UInt8(ascii: "}") : UInt8(ascii: "]")
        pos += 1
        var items: [Value] = []
        var object = ValueObject()
        var keyLines: [String: Int] = [:]
        while true {
            try skipFlowSpace(start)
            if cur == close {
                pos += 1
                break
            }
            if cur == comma { throw error("unexpected ',' in a flow \(isMapping ? "mapping" : "list")") }
            let entryMark = mark
            if cur == UInt8(ascii: "?") && isBlankOrEnd(pos + 1) {
                throw error("explicit keys ('? ') are not supported")
            }
            // An entry: node, or key ':' value.
            let first: Value
            if cur == colon && (isBlankOrEnd(pos + 1) || ",[]{}".utf8.contains(at(pos + 1))) {
                first = .null  // an empty key: `{: v}`
            } else {
                first = try parseFlowNode(start)
            }
            try skipFlowSpace(start)
            var pair: (String, Value)?
            if cur == colon {
                pos += 1
                try skipFlowSpace(start)
                let value: Value
                if cur == comma || cur == close {
                    value = .null
                } else {
                    value = try parseFlowNode(start)
                }
                pair = (try keyText(first), value)
            } else if isMapping {
                pair = (try keyText(first), .null)
            }
            if isMapping, let (key, value) = pair {
                if let earlier = keyLines[key] {
                    throw error("duplicate key \(JSONWriter.quote(key)) (first defined on line \(earlier))", at: entryMark)
                }
                keyLines[key] = entryMark.line
                object[key] = value
            } else if let (key, value) = pair {
                items.append(.object(ValueObject([(key, value)])))
            } else {
                items.append(first)
            }
            try skipFlowSpace(start)
            if cur == comma {
                pos += 1
                continue
            }
            if cur == close {
                pos += 1
                break
            }
            if atEnd { throw error("unterminated flow \(isMapping ? "mapping" : "list") (missing '\(String(decoding: [close], as: UTF8.self))')", at: start) }
            throw error("expected ',' or '\(String(decoding: [close], as: UTF8.self))' in a flow \(isMapping ? "mapping" : "list")")
        }
        return isMapping ? .object(object) : .array(items)
    }

    mutating func skipFlowSpace(_ start: Mark) throws(SyntaxError) {
        try skipToToken()
        if atEnd {
            let isMapping = at(start.pos) == UInt8(ascii: "{")
            throw error("unterminated flow \(isMapping ? "mapping (missing '}')" : "list (missing ']')")", at: start)
        }
        if atDocumentMarker() { throw error("unterminated flow collection (a document marker inside it)", at: start) }
    }

    mutating func parseFlowNode(_ start: Mark) throws(SyntaxError) -> Value {
        let startCount = countNode()
        var anchor: String?
        var tag: String?
        let propertiesMark = mark
        while cur == UInt8(ascii: "&") || cur == UInt8(ascii: "!") {
            if cur == UInt8(ascii: "&") { anchor = try readName(after: "&") } else { tag = try readTag() }
            try skipFlowSpace(start)
        }
        var plain: String?
        var value: Value
        switch cur {
        case UInt8(ascii: "["), UInt8(ascii: "{"): value = try parseFlowCollection()
        case UInt8(ascii: "'"): value = .string(try parseSingleQuoted())
        case UInt8(ascii: "\""): value = .string(try parseDoubleQuoted())
        case UInt8(ascii: "*"):
            let aliasMark = mark
            let name = try readName(after: "*")
            return try expand(alias: name, at: aliasMark)
        case comma, UInt8(ascii: "]"), UInt8(ascii: "}"), colon:
            value = .null
        default:
            let text = try parsePlain(parentIndent: -1, flow: true)
            try refuseValueKey(text, at: propertiesMark)
            plain = text
            value = YAMLScalarResolver.resolve(text)
        }
        value = try applyTag(tag, to: value, plain: plain, at: propertiesMark)
        if let anchor { setAnchor(anchor, value, since: startCount) }
        return value
    }
}
