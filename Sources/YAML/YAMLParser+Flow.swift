import Values

/// Flow collections: [a, b] and {k: v}.
extension Parser {
    // MARK: Flow collections

    mutating func parseFlowCollection() throws(SyntaxError) -> Value {
        depth += 1
        defer { depth -= 1 }
        if shallowStack && depth > Parser.shallowDepth { throw error(Parser.deeperThanThisStack) }
        guard depth <= YAMLParser.maximumDepth + 1 else { throw error("nesting deeper than \(YAMLParser.maximumDepth) levels") }
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
            if cur == Byte.comma { throw error("unexpected ',' in a flow \(isMapping ? "mapping" : "list")") }
            let entryMark = mark
            if cur == UInt8(ascii: "?") && isBlankOrEnd(pos + 1) {
                throw error("explicit keys ('? ') are not supported")
            }
            // An entry: node, or key ':' value.
            let first: Value
            if cur == Byte.colon && (isBlankOrEnd(pos + 1) || ",[]{}".utf8.contains(at(pos + 1))) {
                first = .null  // an empty key: `{: v}`
            } else {
                first = try parseFlowNode(start)
            }
            try skipFlowSpace(start)
            var pair: (String, Value)?
            if cur == Byte.colon {
                // In a flow list, `key: value` is a one-line pair: its ':' on the key's line.
                if !isMapping && line != entryMark.line {
                    throw error("in a flow list, a 'key: value' entry must have its ':' on the key's line")
                }
                pos += 1
                try skipFlowSpace(start)
                let value: Value
                if cur == Byte.comma || cur == close {
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
            if cur == Byte.comma {
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
        let crossed = try skipToToken()
        if crossed && !atEnd && column < flowMinimumColumn {
            throw error("this line of a flow collection must be indented past the block it is in (column \(flowMinimumColumn + 1) or more)")
        }
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
        case Byte.comma, UInt8(ascii: "]"), UInt8(ascii: "}"):
            value = .null
        case Byte.colon where isBlankOrEnd(pos + 1) || ",[]{}".utf8.contains(at(pos + 1)):
            value = .null  // an empty node before ':' (`:x` is the plain scalar ":x")
        default:
            let text = try parsePlain(parentIndent: -1, flow: true)
            try refuseValueKey(text, at: propertiesMark)
            plain = text
            value = try resolvePlain(text, at: propertiesMark)
        }
        value = try applyTag(tag, to: value, plain: plain, at: propertiesMark)
        if let anchor { setAnchor(anchor, value, since: startCount) }
        return value
    }
}
