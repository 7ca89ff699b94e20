import Values

/// An element of an XML document: its name, attributes in document order, and its content.
public struct XMLElement: Sendable, Hashable {
    /// One piece of an element's content.
    public enum Child: Sendable, Hashable {
        case element(XMLElement)
        /// Character data: text, references and CDATA sections run together (comments and
        /// processing instructions between them do not split it).
        case text(String)
    }

    /// The element's name as written (`job`, `step-plugin`).
    public var name: String
    /// Attributes in document order, their values normalized as XML 1.0 says for attributes
    /// without a DTD (each literal tab, line feed or carriage return becomes a space).
    public var attributes: [(name: String, value: String)]
    /// Elements and text, in document order.
    public var children: [Child]
    /// Where its start tag begins.
    public var location: SourceLocation

    /// An element (for writing; `location` matters only for what was read).
    public init(name: String, attributes: [(name: String, value: String)] = [], children: [Child] = [], location: SourceLocation = SourceLocation(line: 0, column: 0)) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.location = location
    }

    /// The value of an attribute.
    public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

    /// The child elements.
    public var elements: [XMLElement] {
        children.compactMap { if case .element(let element) = $0 { return element } else { return nil } }
    }

    /// The text directly inside it, pieces joined.
    public var text: String {
        children.reduce(into: "") { if case .text(let text) = $1 { $0 += text } }
    }

    public static func == (a: XMLElement, b: XMLElement) -> Bool {
        a.name == b.name && a.attributes.map(\.name) == b.attributes.map(\.name) && a.attributes.map(\.value) == b.attributes.map(\.value)
            && a.children == b.children
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(children)
    }
}

/// A reader of the XML that job files are written in: XML 1.0 elements, attributes, character
/// data, CDATA sections, the five predefined entities and character references, comments,
/// processing instructions and the XML declaration; UTF-8 only.
///
/// Document type declarations are refused outright, so no DTD is read and no entity is ever
/// defined: there is nothing for an external entity (XXE) or an entity expansion bomb to use.
/// Nesting is bounded (`maxDepth`), and the input is whatever the caller already bounded.
/// Errors say `file:line:column: what`.
public struct XMLParser {
    /// Deepest element nesting read (Rundeck's jobs nest about 10 deep).
    public static let maxDepth = 256

    private let bytes: [UInt8]
    private let file: String?
    private var position = 0
    private var line = 1
    private var lineStart = 0
    /// The last column worked out (its byte offset, column and line), so that finding the
    /// column of each element of a long line costs what lies since the last one, not the whole
    /// line again (a minified file is one line).
    private var lastColumn = (offset: 0, column: 1, line: 0)

    /// Reads a whole document and returns its root element.
    public static func parse(bytes: [UInt8], file: String? = nil) throws(SyntaxError) -> XMLElement {
        try DocumentText.check(bytes, file: file, yaml: false)
        var parser = XMLParser(bytes: bytes, file: file)
        return try parser.document()
    }

    private init(bytes: [UInt8], file: String?) {
        self.bytes = bytes
        self.file = file
    }

    // MARK: Document

    private mutating func document() throws(SyntaxError) -> XMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            position = 3
            lineStart = 3
        }
        if starts(with: "<?xml") && position + 5 < bytes.count && isSpace(bytes[position + 5]) {
            try declaration()
        }
        try misc()
        guard position < bytes.count else { throw error("the document has no root element") }
        guard bytes[position] == UInt8(ascii: "<") else { throw error("text is not allowed before the root element") }
        let root = try element(depth: 1)
        try misc()
        if position < bytes.count {
            throw error(bytes[position] == UInt8(ascii: "<") ? "only one root element is allowed; this is a second one" : "text is not allowed after the root element")
        }
        return root
    }

    /// `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`.
    private mutating func declaration() throws(SyntaxError) {
        let start = location()
        position += 5
        var seen: [String: String] = [:]
        while true {
            let hadSpace = skipSpace()
            if starts(with: "?>") {
                position += 2
                break
            }
            guard hadSpace else { throw error("expected a space or '?>' in the XML declaration") }
            let nameStart = position
            while position < bytes.count, isNameByte(bytes[position]) { position += 1 }
            let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
            guard ["version", "encoding", "standalone"].contains(name), seen[name] == nil else {
                throw error(name.isEmpty ? "expected version, encoding or standalone in the XML declaration" : "'\(name)' is not allowed here in the XML declaration")
            }
            skipSpace()
            guard consume("=") else { throw error("expected '=' after '\(name)'") }
            skipSpace()
            seen[name] = try quotedLiteral()
        }
        guard let version = seen["version"] else { throw SyntaxError("the XML declaration needs a version", at: start) }
        guard version.hasPrefix("1."), version.count > 2, version.dropFirst(2).allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw SyntaxError("XML version '\(version)' is not 1.x", at: start)
        }
        if let encoding = seen["encoding"], !["utf-8", "utf8", "us-ascii", "ascii"].contains(encoding.lowercased()) {
            throw SyntaxError("the file says it is encoded in \(encoding); pdstep reads UTF-8 only: save it as UTF-8 and say encoding=\"UTF-8\"", at: start)
        }
        if let standalone = seen["standalone"], !["yes", "no"].contains(standalone) {
            throw SyntaxError("standalone is yes or no, not '\(standalone)'", at: start)
        }
    }

    private mutating func quotedLiteral() throws(SyntaxError) -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw error("expected a quoted value")
        }
        let quote = bytes[position]
        position += 1
        let start = position
        while position < bytes.count, bytes[position] != quote {
            if bytes[position] == 0x0A { newLine(at: position + 1) }
            position += 1
        }
        guard position < bytes.count else { throw error("the quoted value never ends") }
        defer { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// Comments, processing instructions and white space (before and after the root).
    private mutating func misc() throws(SyntaxError) {
        while true {
            skipSpace()
            if starts(with: "<!--") {
                try comment()
            } else if starts(with: "<?") {
                try processingInstruction()
            } else if starts(with: "<!DOCTYPE") {
                throw error("DOCTYPE is not allowed: pdstep reads no DTDs and defines no entities (a job file needs neither)")
            } else {
                return
            }
        }
    }

    // MARK: Markup

    private mutating func element(depth: Int) throws(SyntaxError) -> XMLElement {
        guard depth <= Self.maxDepth else { throw error("elements are nested more than \(Self.maxDepth) deep") }
        let start = location()
        position += 1  // <
        let name = try self.name()
        var element = XMLElement(name: name, attributes: [], children: [], location: start)
        while true {
            let hadSpace = skipSpace()
            guard position < bytes.count else { throw error("the start tag of <\(name)> never ends") }
            if consume("/>") { return element }
            if consume(">") { break }
            guard hadSpace else { throw error("expected a space, '>' or '/>' in the start tag of <\(name)>") }
            let attributeStart = location()
            let attributeName = try self.name()
            if element.attributes.contains(where: { $0.name == attributeName }) {
                throw SyntaxError("<\(name)> has the attribute '\(attributeName)' twice", at: attributeStart)
            }
            skipSpace()
            guard consume("=") else { throw error("expected '=' after the attribute '\(attributeName)'") }
            skipSpace()
            element.attributes.append((attributeName, try attributeValue()))
        }
        try content(of: &element, depth: depth)
        return element
    }

    /// What is between `<name ...>` and `</name>`.
    private mutating func content(of element: inout XMLElement, depth: Int) throws(SyntaxError) {
        var text: [UInt8] = []
        func flush() {
            if !text.isEmpty { element.children.append(.text(String(decoding: text, as: UTF8.self))) }
            text = []
        }
        while true {
            guard position < bytes.count else {
                throw SyntaxError("<\(element.name)> is never closed (expected </\(element.name)>)", at: element.location)
            }
            let byte = bytes[position]
            if byte == UInt8(ascii: "<") {
                if starts(with: "</") {
                    let closeAt = location()
                    position += 2
                    let name = try self.name()
                    skipSpace()
                    guard consume(">") else { throw error("expected '>' to end </\(name)>") }
                    guard name == element.name else {
                        throw SyntaxError("</\(name)> closes <\(element.name)> (opened at \(element.location.line):\(element.location.column))", at: closeAt)
                    }
                    flush()
                    return
                } else if starts(with: "<!--") {
                    try comment()
                } else if starts(with: "<![CDATA[") {
                    position += 9
                    let start = position
                    guard let end = find("]]>") else { throw error("the CDATA section never ends (expected ']]>')") }
                    appendNormalized(bytes[start..<end], to: &text)
                    position = end + 3
                } else if starts(with: "<?") {
                    try processingInstruction()
                } else if starts(with: "<!") {
                    throw error(starts(with: "<!DOCTYPE") ? "DOCTYPE is only allowed before the root element, and pdstep refuses it anyway" : "'<!' starts no comment or CDATA section here")
                } else {
                    flush()
                    element.children.append(.element(try self.element(depth: depth + 1)))
                }
            } else if byte == UInt8(ascii: "&") {
                text += Array(try reference().utf8)
            } else if byte == UInt8(ascii: "]") && starts(with: "]]>") {
                throw error("']]>' is not allowed in text (write ]]&gt;)")
            } else if byte == 0x0D {
                text.append(0x0A)
                position += 1
                if position < bytes.count, bytes[position] == 0x0A { position += 1 }
                newLine(at: position)
            } else {
                text.append(byte)
                position += 1
                if byte == 0x0A { newLine(at: position) }
            }
        }
    }

    private mutating func attributeValue() throws(SyntaxError) -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw error("an attribute value must be in quotes")
        }
        let quote = bytes[position]
        position += 1
        var value: [UInt8] = []
        while true {
            guard position < bytes.count else { throw error("the attribute value never ends") }
            let byte = bytes[position]
            if byte == quote {
                position += 1
                return String(decoding: value, as: UTF8.self)
            }
            switch byte {
            case UInt8(ascii: "<"):
                throw error("'<' is not allowed in an attribute value (write &lt;)")
            case UInt8(ascii: "&"):
                value += Array(try reference().utf8)
            case 0x0D:
                value.append(0x20)
                position += 1
                if position < bytes.count, bytes[position] == 0x0A { position += 1 }
                newLine(at: position)
            case 0x0A, 0x09:
                value.append(0x20)
                position += 1
                if byte == 0x0A { newLine(at: position) }
            default:
                value.append(byte)
                position += 1
            }
        }
    }

    /// `&lt;` `&gt;` `&amp;` `&apos;` `&quot;` `&#N;` `&#xH;`.
    private mutating func reference() throws(SyntaxError) -> String {
        let start = location()
        position += 1
        guard let semicolon = bytes[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
            throw SyntaxError("'&' must start a reference such as &amp; (write &amp; for a literal &)", at: start)
        }
        let body = String(decoding: bytes[position..<semicolon], as: UTF8.self)
        position = semicolon + 1
        switch body {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "apos": return "'"
        case "quot": return "\""
        default:
            guard body.hasPrefix("#") else {
                throw SyntaxError("the entity &\(body); is not defined (XML predefines only lt, gt, amp, apos and quot; pdstep reads no DTD)", at: start)
            }
            let hex = body.hasPrefix("#x")
            let digits = body.dropFirst(hex ? 2 : 1)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && (hex ? $0.isHexDigit : $0.isNumber) }), let code = UInt32(digits, radix: hex ? 16 : 10),
                Self.isXMLChar(code), let scalar = Unicode.Scalar(code)
            else {
                throw SyntaxError("&\(body); is not a character XML allows", at: start)
            }
            return String(Character(scalar))
        }
    }

    private mutating func comment() throws(SyntaxError) {
        position += 4
        guard let end = find("--") else { throw error("the comment never ends (expected '-->')") }
        advanceCountingLines(to: end)
        guard starts(with: "-->") else { throw error("'--' is not allowed inside a comment") }
        position += 3
    }

    private mutating func processingInstruction() throws(SyntaxError) {
        position += 2
        let target = try name()
        if target.lowercased() == "xml" { throw error("the XML declaration is only allowed at the very start of the file") }
        guard let end = find("?>") else { throw error("the processing instruction never ends (expected '?>')") }
        if end > position && !isSpace(bytes[position]) { throw error("expected a space after <?\(target)") }
        advanceCountingLines(to: end)
        position += 2
    }

    // MARK: Lexical pieces

    private mutating func name() throws(SyntaxError) -> String {
        let start = position
        var first = true
        while position < bytes.count {
            let (scalar, length) = decodeScalar(at: position)
            guard first ? Self.isNameStart(scalar) : Self.isNameChar(scalar) else { break }
            position += length
            first = false
        }
        guard position > start else { throw error("expected a name here") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private func decodeScalar(at index: Int) -> (UInt32, Int) {
        let byte = bytes[index]
        if byte < 0x80 { return (UInt32(byte), 1) }
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        guard index + length <= bytes.count else { return (0, 1) }
        var value = UInt32(byte) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
        for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        return (value, length)
    }

    public static func isNameStart(_ c: UInt32) -> Bool {
        switch c {
        case 0x3A, 0x41...0x5A, 0x5F, 0x61...0x7A, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x2FF, 0x370...0x37D, 0x37F...0x1FFF,
            0x200C...0x200D, 0x2070...0x218F, 0x2C00...0x2FEF, 0x3001...0xD7FF, 0xF900...0xFDCF, 0xFDF0...0xFFFD, 0x10000...0xEFFFF:
            return true
        default: return false
        }
    }

    public static func isNameChar(_ c: UInt32) -> Bool {
        isNameStart(c) || c == 0x2D || c == 0x2E || (0x30...0x39).contains(c) || c == 0xB7 || (0x300...0x36F).contains(c) || (0x203F...0x2040).contains(c)
    }

    /// XML 1.0's Char production.
    static func isXMLChar(_ c: UInt32) -> Bool {
        c == 0x9 || c == 0xA || c == 0xD || (0x20...0xD7FF).contains(c) || (0xE000...0xFFFD).contains(c) || (0x10000...0x10FFFF).contains(c)
    }

    private func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = position
        while position < bytes.count, isSpace(bytes[position]) {
            if bytes[position] == 0x0A { newLine(at: position + 1) }
            position += 1
        }
        return position > start
    }

    private func starts(with text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let pointer = text.utf8Start
        for offset in 0..<count where bytes[position + offset] != pointer[offset] { return false }
        return true
    }

    private mutating func consume(_ text: StaticString) -> Bool {
        guard starts(with: text) else { return false }
        position += text.utf8CodeUnitCount
        return true
    }

    /// Where `text` next starts, from here.
    private func find(_ text: StaticString) -> Int? {
        let count = text.utf8CodeUnitCount
        let pointer = text.utf8Start
        var index = position
        while index + count <= bytes.count {
            if bytes[index] == pointer[0] {
                var matched = true
                for offset in 1..<count where bytes[index + offset] != pointer[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }

    /// CDATA content: line ends normalized, line count kept.
    private mutating func appendNormalized(_ slice: ArraySlice<UInt8>, to text: inout [UInt8]) {
        var index = slice.startIndex
        while index < slice.endIndex {
            let byte = slice[index]
            index += 1
            if byte == 0x0D {
                text.append(0x0A)
                if index < slice.endIndex, slice[index] == 0x0A { index += 1 }
                newLine(at: index)
            } else {
                text.append(byte)
                if byte == 0x0A { newLine(at: index) }
            }
        }
    }

    private mutating func advanceCountingLines(to end: Int) {
        while position < end {
            if bytes[position] == 0x0A { newLine(at: position + 1) }
            position += 1
        }
    }

    private mutating func newLine(at index: Int) {
        line += 1
        lineStart = index
    }

    private mutating func location() -> SourceLocation {
        let end = min(position, bytes.count)
        var (start, column) = (lineStart, 1)
        if lastColumn.line == line, lastColumn.offset >= lineStart, lastColumn.offset <= end { (start, column) = (lastColumn.offset, lastColumn.column) }
        for byte in bytes[start..<end] where byte & 0xC0 != 0x80 { column += 1 }
        lastColumn = (end, column, line)
        return SourceLocation(file: file, line: line, column: column)
    }

    private func error(_ message: String) -> SyntaxError {
        let column = bytes[lineStart..<min(position, bytes.count)].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return SyntaxError(message, at: SourceLocation(file: file, line: line, column: column))
    }
}
