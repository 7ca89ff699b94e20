import Values

/// One `${...}` (or `@...@`) reference: `[STEP:]GROUP.KEY[@NODE | *[DELIM]]`.
public struct VariableReference: Sendable, Hashable {
    /// `2` in `${2:data.k}`: read that step's scope.
    public var step: String?
    /// `option` in `${option.x}`.
    public var group: String
    /// `x` in `${option.x}`; may contain dots (`job.user.name` has key `user.name`).
    public var key: String
    /// `node1` in `${data.k@node1}`.
    public var node: String?
    /// `,` in `${data.k*}` (or the given character in `${data.k*;}`): join every node's value.
    public var joinDelimiter: String?

    /// A reference; only `group` and `key` are needed.
    public init(step: String? = nil, group: String, key: String, node: String? = nil, joinDelimiter: String? = nil) {
        self.step = step
        self.group = group
        self.key = key
        self.node = node
        self.joinDelimiter = joinDelimiter
    }

    /// Parses the inside of a token (`option.x`, `2:data.k@web1`, `data.k*;`); nil when it is
    /// not a `group.key` reference. `nodeSeparator` is `@` in `${...}` and `/` in `@...@`.
    public static func parse(_ inside: Substring, nodeSeparator: Character = "@") -> VariableReference? {
        var text = inside
        var step: String?
        if let colon = text.firstIndex(of: ":") {
            let prefix = text[..<colon]
            guard !prefix.isEmpty, prefix.allSatisfy({ $0.isNumber || $0 == "/" }) else { return nil }
            step = String(prefix)
            text = text[text.index(after: colon)...]
        }
        var node: String?
        var join: String?
        if let at = text.lastIndex(of: nodeSeparator) {
            node = String(text[text.index(after: at)...])
            text = text[..<at]
            if node?.isEmpty == true { return nil }
        } else if let star = text.lastIndex(of: "*") {
            let after = text[text.index(after: star)...]
            guard after.count <= 1 else { return nil }
            join = after.isEmpty ? "," : String(after)
            text = text[..<star]
        }
        guard let dot = text.firstIndex(of: ".") else { return nil }
        let group = text[..<dot]
        let key = text[text.index(after: dot)...]
        guard !group.isEmpty, !key.isEmpty else { return nil }
        return VariableReference(step: step, group: String(group), key: String(key), node: node, joinDelimiter: join)
    }
}

/// Expands Rundeck's `${group.key}` references and `@group.key@` script tokens. One expander
/// for every place a value is substituted; what happens to an unresolved reference depends on
/// where the text is, as in Rundeck.
public struct VariableExpander: Sendable {
    /// What to do with a reference that does not resolve.
    public enum Unresolved: Sendable {
        /// Plugin (step) configuration: every unresolved `${...}` becomes empty, `${HOME}` too.
        case blank
        /// `exec` commands and script `args`: an unknown `${option.x}` becomes empty, anything
        /// else stays as written.
        case blankOptionsOnly
        /// Timeout, retry, storage paths: unresolved references stay as written.
        case keep
    }

    /// Resolves one reference to its value, or nil when there is none.
    public typealias Resolver = (VariableReference) -> String?

    /// Expands `${...}` in `text`. The token is `${` + non-space characters + `}`.
    /// `transform` is applied to each substituted value, with the UTF-8 offset of its token in
    /// `text` (shell quoting, for commands).
    public static func expand(
        _ text: String, unresolved: Unresolved, resolve: Resolver, transform: ((VariableReference, String, Int) -> String)? = nil
    ) -> String {
        guard text.includes("${") else { return text }
        var out = ""
        out.reserveCapacity(text.count)
        var rest = Substring(text)
        while let open = rest.firstRange(of: "${") {
            out += rest[..<open.lowerBound]
            let body = rest[open.upperBound...]
            guard let close = body.firstIndex(where: { $0 == "}" || $0.isWhitespace }), body[close] == "}",
                close != body.startIndex
            else {
                out += "${"
                rest = body
                continue
            }
            let inside = body[..<close]
            let token = rest[open.lowerBound...close]
            rest = body[body.index(after: close)...]
            if let reference = VariableReference.parse(inside), let value = resolve(reference) {
                if let transform {
                    out += transform(reference, value, text.utf8.distance(from: text.utf8.startIndex, to: open.lowerBound))
                } else {
                    out += value
                }
                continue
            }
            switch unresolved {
            case .blank: break
            case .keep: out += token
            case .blankOptionsOnly:
                let reference = VariableReference.parse(inside)
                let isOption = reference.map { $0.group == "option" || $0.group == "unquotedoption" } ?? false
                if !isOption { out += token }
            }
        }
        out += rest
        return out
    }

    /// The `${group.key}` references in `text`, in order.
    public static func references(in text: String) -> [VariableReference] {
        var found: [VariableReference] = []
        _ = expand(text, unresolved: .keep) { reference in
            found.append(reference)
            return nil
        }
        return found
    }

    /// Expands `@group.key@` tokens in an inline script body. `@@` is a literal `@`; a missing
    /// value becomes empty; an `@` followed by whitespace before the next `@` is plain text.
    /// `transform` is applied to each substituted value, with the UTF-8 offset of its token.
    public static func expandScriptTokens(
        _ text: String, resolve: Resolver, transform: ((VariableReference, String, Int) -> String)? = nil
    ) -> String {
        guard text.contains("@") else { return text }
        var out = ""
        out.reserveCapacity(text.count)
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == "@" else {
                out.append(c)
                i = text.index(after: i)
                continue
            }
            let next = text.index(after: i)
            if next < text.endIndex, text[next] == "@" {
                out.append("@")
                i = text.index(after: next)
                continue
            }
            // Read a token up to the closing @; whitespace or the end means it was not one.
            var j = next
            while j < text.endIndex, text[j] != "@", !text[j].isWhitespace { j = text.index(after: j) }
            guard j < text.endIndex, text[j] == "@" else {
                out += text[i..<j]
                i = j
                continue
            }
            let inside = text[next..<j]
            if let reference = VariableReference.parse(inside, nodeSeparator: "/") {
                let value = resolve(reference) ?? ""
                out += transform?(reference, value, text.utf8.distance(from: text.utf8.startIndex, to: i)) ?? value
            }
            i = text.index(after: j)
        }
        return out
    }
}
