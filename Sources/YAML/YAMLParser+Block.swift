import Values

/// Block structure: nodes, block mappings and lists, node properties (anchors, tags).
extension Parser {
    // MARK: Nodes

    /// Parses the node that follows, or null if there is none. `parentIndent` is the indent of
    /// the enclosing block collection (-1 at the root).
    mutating func parseNode(parentIndent: Int, position: Position) throws(SyntaxError) -> Value {
        depth += 1
        defer { depth -= 1 }
        if shallowStack && depth > Parser.shallowDepth { throw error(Parser.deeperThanThisStack) }
        guard depth <= YAMLParser.maximumDepth + 1 else { throw error("nesting deeper than \(YAMLParser.maximumDepth) levels") }

        var sameLine = !(try skipToToken())
        // At the root, "the same line" means the line of an explicit `---`: a file whose first
        // node is indented (`  - name: x`) starts no line before it, yet is a block collection.
        if position == .root { sameLine = documentStartLine == line }
        if atEnd || atDocumentMarker() { return .null }
        if !sameLine || position == .root && column == 0 {
            // A node on its own line belongs here only if it is indented past the parent
            // (a sequence under a mapping key may sit at the key's indent).
            if column <= parentIndent {
                let sequenceAtKeyIndent = position == .mappingValue && column == parentIndent && cur == Byte.dash && isBlankOrEnd(pos + 1)
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
            if atEnd {
                // Properties on an empty node that ends the file (`&a`, `--- !!str`).
                let empty = try applyTag(tag, to: .null, plain: nil, at: propertiesMark ?? mark)
                if let anchor { setAnchor(anchor, empty, since: startCount) }
                return empty
            }
            if crossed && (cur == UInt8(ascii: "&") || cur == UInt8(ascii: "!")) && column > parentIndent && propertiesAloneOnLine() {
                continue  // more properties of this node, on a line of their own
            }
            if crossed {
                // The properties stand alone on their line; the content follows below.
                if atEnd || atDocumentMarker() || column <= parentIndent
                    && !(position == .mappingValue && column == parentIndent && cur == Byte.dash && isBlankOrEnd(pos + 1))
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
        case Byte.dash where isBlankOrEnd(pos + 1):
            if let propertiesMark, propertiesMark.line == line {
                throw error("a block list cannot start on the line of its anchor or tag; put '- ...' on the next line")
            }
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
            skipSpaces()
            if cur == Byte.colon && isBlankOrEnd(pos + 1) {
                // An alias used as the first key of a mapping; properties on an earlier line
                // are the mapping's.
                reset(aliasMark)
                if let propertiesMark, propertiesMark.line == line {
                    throw error("an alias cannot have an anchor or a tag", at: aliasMark)
                }
                value = try parseBlockMapping(indent: column, position: position, sameLine: sameLine)
            } else {
                if anchor != nil || tag != nil { throw error("an alias cannot have an anchor or a tag", at: aliasMark) }
                return try expand(alias: name, at: aliasMark)
            }
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            // Lines of a flow collection inside a block one are indented past the block's.
            let outer = flowMinimumColumn
            flowMinimumColumn = parentIndent + 1
            defer { flowMinimumColumn = outer }
            value = try parseFlowCollection()
            skipSpaces()
            if cur == Byte.colon && (isBlankOrEnd(pos + 1)) {
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
                if let propertiesMark, propertiesMark.line == line {
                    // Properties on the key's own line belong to the first key (`&a k: v`):
                    // the key reads them again; the mapping itself gets only properties that
                    // stood on their own line.
                    anchor = nil
                    tag = nil
                    reset(propertiesMark)
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
                value = try resolvePlain(text, at: nodeMark)
            }
        }
        value = try applyTag(tag, to: value, plain: plainText, at: propertiesMark ?? nodeMark)
        if let anchor { setAnchor(anchor, value, since: startCount) }
        return value
    }

    /// Looks ahead: does a scalar (or alias) key followed by `: ` start here?
    /// Whether the properties (`&a`, `!t`) that start here are all the line holds.
    mutating func propertiesAloneOnLine() -> Bool {
        let start = mark
        defer { reset(start) }
        while cur == UInt8(ascii: "&") || cur == UInt8(ascii: "!") {
            while !isBlankOrEnd(pos) { pos += 1 }
            skipSpaces()
        }
        return isBreakOrEnd(pos) || cur == Byte.hash
    }

    mutating func startsImplicitKey() throws(SyntaxError) -> Bool {
        let start = mark
        defer { reset(start) }
        // A key may carry its own properties (`&k key:`, `!!str 010:`).
        while cur == UInt8(ascii: "&") || cur == UInt8(ascii: "!") {
            while !isBlankOrEnd(pos) { pos += 1 }
            skipSpaces()
        }
        if cur == Byte.colon && isBlankOrEnd(pos + 1) { return line == start.line }  // an empty key
        switch cur {
        case UInt8(ascii: "'"):
            guard (try? parseSingleQuoted()) != nil else { return false }
        case UInt8(ascii: "\""):
            guard (try? parseDoubleQuoted()) != nil else { return false }
        default:
            guard let text = try? parseKeyPlain(), !text.isEmpty || cur == Byte.colon else { return false }
        }
        guard line == start.line else { return false }
        skipSpaces()
        return cur == Byte.colon && isBlankOrEnd(pos + 1)
    }

    // MARK: Block collections

    mutating func parseBlockSequence(indent: Int) throws(SyntaxError) -> Value {
        var items: [Value] = []
        while true {
            guard cur == Byte.dash, isBlankOrEnd(pos + 1), column == indent else {
                throw error("expected '- ' for the next item of the list at column \(indent + 1)")
            }
            pos += 1
            items.append(try parseNode(parentIndent: indent, position: .sequenceItem))
            try skipToToken()
            if atEnd || atDocumentMarker() || column < indent { break }
            if column > indent {
                throw error("bad indentation: this line is indented more than the list item above it")
            }
            if !(cur == Byte.dash && isBlankOrEnd(pos + 1)) { break }
        }
        return .array(items)
    }

    mutating func parseBlockMapping(indent: Int, position: Position, sameLine: Bool) throws(SyntaxError) -> Value {
        var object = ValueObject()
        var merges: [ValueObject] = []
        var keyLines: [String: Int] = [:]
        while true {
            guard column == indent else { throw error("bad indentation of a mapping entry") }
            if cur == UInt8(ascii: "?") && isBlankOrEnd(pos + 1) {
                throw error("explicit keys ('? ') are not supported; write 'key: value'")
            }
            let keyMark = mark
            let (key, isMerge) = try parseKey()
            skipSpaces()
            guard cur == Byte.colon, isBlankOrEnd(pos + 1) else {
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
            if cur == Byte.dash && isBlankOrEnd(pos + 1) {
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
        var tag: String?
        var tagMark = mark
        // A key's own properties, in either order (`&a k:`, `!!str 010:`).
        while cur == UInt8(ascii: "&") || cur == UInt8(ascii: "!") {
            if cur == UInt8(ascii: "&") {
                guard anchor == nil else { throw error("a node can have only one anchor") }
                anchor = try readName(after: "&")
            } else {
                guard tag == nil else { throw error("a node can have only one tag") }
                tagMark = mark
                tag = try readTag()
            }
            skipSpaces()
        }
        let startLine = line
        var value: Value
        var plain: String?
        switch cur {
        case UInt8(ascii: "'"): value = .string(try parseSingleQuoted())
        case UInt8(ascii: "\""): value = .string(try parseDoubleQuoted())
        case UInt8(ascii: "*"):
            let aliasMark = mark
            let name = try readName(after: "*")
            if anchor != nil || tag != nil { throw error("an alias cannot have an anchor or a tag", at: aliasMark) }
            value = try expand(alias: name, at: aliasMark)
        case Byte.colon where isBlankOrEnd(pos + 1):
            value = .null  // an empty key, given only by its properties (`!!null : a`)
        default:
            let keyMark = mark
            let text = try parseKeyPlain()
            if text == "<<" && anchor == nil && tag == nil { return ("<<", true) }
            plain = text
            value = try resolvePlain(text, at: keyMark)
        }
        value = try applyTag(tag, to: value, plain: plain, at: tagMark)
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
}
