import Values

#if canImport(Glibc)
    import Glibc
#endif

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
    public static let maximumDepth = 1_000
    /// Most nodes a document may stand for once its aliases are expanded; a 1 KB "billion
    /// laughs" file would otherwise take minutes and gigabytes in every tool that walks it.
    public static let maximumExpandedNodes = 1_000_000

    /// Parses a document from text. `file` only labels error locations.
    public static func parse(_ text: String, file: String? = nil) throws(SyntaxError) -> Value {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Parses a document from UTF-8 bytes.
    public static func parse(bytes: [UInt8], file: String? = nil) throws(SyntaxError) -> Value {
        let bytes = try utf8(bytes, file: file)
        try DocumentText.check(bytes, file: file, yaml: true)
        // The reader is recursive: it runs on a thread with a stack large enough for
        // `maximumDepth` levels, whatever thread (a small cooperative one) calls it.
        let parse = { (shallow: Bool) -> Result<Value, SyntaxError> in
            var parser = Parser(bytes: bytes, file: file)
            parser.shallowStack = shallow
            return Result { () throws(SyntaxError) -> Value in try parser.parseStream() }
        }
        // Read right here; a document that nests deeper than this thread's stack may hold (a
        // small cooperative one) is read again on a thread with a large stack.
        let here = parse(true)
        if case .failure(let error) = here, error.message == Parser.deeperThanThisStack {
            return try onLargeStack { parse(false) }.get()
        }
        return try here.get()
    }

    /// Stack for the reader's thread: room for `maximumDepth` nested nodes with a wide margin
    /// (address space reserved, not memory used).
    static let stackBytes = 256 << 20

    /// Runs `body` on a new thread with a `stackBytes` stack and waits for it.
    static func onLargeStack(_ body: @escaping () -> Result<Value, SyntaxError>) -> Result<Value, SyntaxError> {
        let box = LargeStackJob(body)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackBytes)
        var thread = pthread_t()
        let raw = Unmanaged.passRetained(box).toOpaque()
        defer { Unmanaged<LargeStackJob>.fromOpaque(raw).release() }
        let started = pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            let job = Unmanaged<LargeStackJob>.fromOpaque(raw).takeUnretainedValue()
            job.result = job.body()
            return nil
        }, raw)
        guard started == 0 else { return body() }  // no thread to be had: run here
        pthread_join(thread, nil)
        return box.result ?? body()
    }

    /// The document as UTF-8: a UTF-16 or UTF-32 file with a byte-order mark is decoded, as the
    /// YAML spec says; one that does not decode is an error.
    static func utf8(_ bytes: [UInt8], file: String?) throws(SyntaxError) -> [UInt8] {
        func decoded<Codec: UnicodeCodec>(_ codec: Codec.Type, _ units: [Codec.CodeUnit], name: String) throws(SyntaxError) -> [UInt8] {
            var out: [UInt8] = [0xEF, 0xBB, 0xBF]  // keep a UTF-8 mark where the original had one
            var iterator = units.makeIterator()
            var decoder = Codec()
            while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar): out += Array(String(scalar).utf8)
                case .emptyInput: return out
                case .error: throw SyntaxError("the file starts with a \(name) byte-order mark but is not valid \(name)", at: SourceLocation(file: file, line: 1, column: 1))
                }
            }
        }
        func units16(bigEndian: Bool) -> [UInt16] {
            stride(from: 2, to: bytes.count - 1, by: 2).map { i in
                let (high, low) = bigEndian ? (bytes[i], bytes[i + 1]) : (bytes[i + 1], bytes[i])
                return UInt16(high) << 8 | UInt16(low)
            }
        }
        func units32(bigEndian: Bool) -> [UInt32] {
            stride(from: 4, to: bytes.count - 3, by: 4).map { i in
                let ordered: [UInt8] = bigEndian ? Array(bytes[i..<i + 4]) : Array(bytes[i..<i + 4].reversed())
                var unit: UInt32 = 0
                for byte in ordered { unit = unit << 8 | UInt32(byte) }
                return unit
            }
        }
        if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) { return try decoded(UTF32.self, units32(bigEndian: true), name: "UTF-32") }
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) { return try decoded(UTF32.self, units32(bigEndian: false), name: "UTF-32") }
        if bytes.starts(with: [0xFE, 0xFF]) { return try decoded(UTF16.self, units16(bigEndian: true), name: "UTF-16") }
        if bytes.starts(with: [0xFF, 0xFE]) { return try decoded(UTF16.self, units16(bigEndian: false), name: "UTF-16") }
        return bytes
    }
}

/// The bytes the reader looks for, by name.
enum Byte {
    static var space: UInt8 { UInt8(ascii: " ") }
    static var tab: UInt8 { UInt8(ascii: "\t") }
    static var lf: UInt8 { UInt8(ascii: "\n") }
    static var cr: UInt8 { UInt8(ascii: "\r") }
    static var hash: UInt8 { UInt8(ascii: "#") }
    static var colon: UInt8 { UInt8(ascii: ":") }
    static var dash: UInt8 { UInt8(ascii: "-") }
    static var comma: UInt8 { UInt8(ascii: ",") }
}

/// Where a node starts relative to what came before it on its line.
enum Position {
    /// At the start of the document (or after `---` on the same line).
    case root
    /// After `key:` on the same line or below it.
    case mappingValue
    /// After `- ` on the same line or below it.
    case sequenceItem
}

struct Parser {
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
    /// The line of an explicit `---`, when the document has one: a root node on that line
    /// cannot open a block collection.
    var documentStartLine: Int?
    /// Reading on a thread whose stack may be small: past `shallowDepth` levels the reader
    /// stops with `deeperThanThisStack`, and `YAMLParser.parse` reads again on a large stack.
    var shallowStack = false
    /// The least column a line of the current flow collection may start at (0 at the root).
    var flowMinimumColumn = 0
    static let shallowDepth = 200
    static let deeperThanThisStack = "(nested deeper than this thread's stack allows; read again on a larger one)"

    init(bytes: [UInt8], file: String?) {
        self.b = bytes
        self.file = file
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            pos = 3
            lineStart = 3
        }
    }

    // MARK: Plain scalars

    /// A plain scalar's value; an integer past 64 bits is refused with its place, never rounded.
    func resolvePlain(_ text: String, at start: Mark) throws(SyntaxError) -> Value {
        if text == "<<" { throw error("'<<' (merge) can only be a mapping key", at: start) }
        if YAMLScalarResolver.isOversizedInteger(text) {
            throw error("the integer \(text) does not fit in 64 bits; quote it to keep it as text", at: start)
        }
        return YAMLScalarResolver.resolve(text)
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

    /// Space, Byte.tab, line break or end of input at `i`.
    @inline(__always) func isBlankOrEnd(_ i: Int) -> Bool {
        let c = at(i)
        return c == Byte.space || c == Byte.tab || c == Byte.lf || c == Byte.cr || c == 0 && i >= b.count
    }

    @inline(__always) func isBreakOrEnd(_ i: Int) -> Bool {
        let c = at(i)
        return c == Byte.lf || c == Byte.cr || i >= b.count
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
        if cur == Byte.cr { pos += 1 }
        if cur == Byte.lf { pos += 1 }
        line += 1
        lineStart = pos
    }

    /// Skips spaces on the current line (not tabs, not breaks).
    mutating func skipSpaces() {
        while cur == Byte.space { pos += 1 }
    }

    /// Skips spaces, comments and line breaks up to the next token. Answers whether a line break
    /// was crossed. A Byte.tab where a token should start is an error, as in PyYAML.
    @discardableResult
    mutating func skipToToken() throws(SyntaxError) -> Bool {
        var crossed = false
        while true {
            skipSpaces()
            if cur == Byte.hash {
                while !isBreakOrEnd(pos) { pos += 1 }
            }
            if cur == Byte.lf || cur == Byte.cr {
                consumeBreak()
                crossed = true
                continue
            }
            if cur == Byte.tab {
                throw error("tab character where a token was expected; YAML does not allow tabs for indentation or separation here, use spaces")
            }
            return crossed
        }
    }

    /// True at a `---` or `...` line at column 0.
    func atDocumentMarker() -> Bool {
        guard column == 0, pos + 2 < b.count || pos + 3 == b.count else { return false }
        let c = cur
        guard c == Byte.dash || c == UInt8(ascii: ".") else { return false }
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
            let directive = String(decoding: name, as: UTF8.self)
            if directive == "TAG" { throw error("the %TAG directive is not supported", at: start) }
            pos = i
            if directive == "YAML" {
                // `%YAML 1.x`, then nothing but a comment.
                skipSpaces()
                let versionStart = pos
                while !isBlankOrEnd(pos) { pos += 1 }
                let version = String(decoding: b[versionStart..<pos], as: UTF8.self).split(separator: ".")
                guard version.count == 2, version[0] == "1", version.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
                    throw error("%YAML takes a version 1.x, like %YAML 1.1", at: start)
                }
                let afterVersion = pos
                skipSpaces()
                guard isBreakOrEnd(pos) || (cur == Byte.hash && pos > afterVersion) else {
                    throw error("unexpected text after the %YAML version", at: mark)
                }
            }
            // Other (reserved) directives are ignored, as the spec says.
            while !isBreakOrEnd(pos) { pos += 1 }
            try skipToToken()
            guard atDocumentMarker(), cur == Byte.dash else { throw error("a directive must be followed by '---'", at: start) }
        }
        var explicitStart = false
        if atDocumentMarker() && cur == Byte.dash {
            documentStartLine = line
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
            if atDocumentMarker() && cur == Byte.dash {
                throw error("a second document starts here; pdstep reads one document per file")
            }
            throw error("unexpected content after the end of the document (check the indentation)")
        }
        return value
    }
}

/// A parse handed to the large-stack thread, and its result (read after the join).
private final class LargeStackJob: @unchecked Sendable {
    let body: () -> Result<Value, SyntaxError>
    var result: Result<Value, SyntaxError>?
    init(_ body: @escaping () -> Result<Value, SyntaxError>) { self.body = body }
}
