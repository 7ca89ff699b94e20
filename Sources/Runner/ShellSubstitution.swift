import Settings

/// Puts `${...}` values (and `@...@` tokens of shell scripts) into a shell script so that the
/// shell never parses a value as code.
///
/// A value is not pasted into the text. It travels out of band, in an environment variable
/// (`PDSTEP_VALUE_1`, ...), and the text gets a reference to that variable written for the place
/// it lands: `"${PDSTEP_VALUE_1}"` in a bare word or a comment, `${PDSTEP_VALUE_1}` inside double
/// quotes, a parameter expansion or an expanding here-document, `'"${PDSTEP_VALUE_1}"'` inside
/// single quotes. A shell expands a parameter once and never parses the result again, so the
/// value stays data in every one of those places, also when the scanner misjudges the place (the
/// text may then come out with stray quotes, but never as code).
///
/// Two places cannot hold a reference: a quoted here-document (nothing expands there) and
/// arithmetic (bash evaluates a value there as an expression, command substitutions included).
/// There a value goes in as text only when it is plainly inert (words of safe characters; an
/// integer), and otherwise the step fails before it runs, saying where.
///
/// `${unquotedoption.x}` is inserted as is, as in Rundeck: the job author's explicit choice.
/// Not covered: what a command does with a value at run time. A value handed to a second shell
/// (`sh -c "$x"`, `eval`) is code there, and bash's `[[ $x -eq 1 ]]` evaluates a variable's
/// value as arithmetic (exec lines run /bin/sh, which is dash on Debian).
struct ShellSubstitution {
    /// A value that cannot be placed safely where it was referenced.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// Prefix of the environment variables that carry substituted values.
    static let variablePrefix = "PDSTEP_VALUE_"

    private var environment: [String: String] = [:]
    private var names: [String: String] = [:]

    init() {}

    /// Expands `${...}` references in script `args` (unknown options blank,
    /// other unknown references kept, as Rundeck does in commands).
    ///
    /// `inline`: the text will be parsed by a shell that may not see this environment (script
    /// `args` with `interpreterArgsQuoted`, handed to `sudo ... bash -c`, which resets it). Values
    /// then go in as text, quoted for where they land (single quotes in a bare word, backslashes
    /// inside double quotes), which relies on the scanner being right about the place; that
    /// shell sees nothing else of the job.
    ///
    /// An unresolved reference other than an option's (`${data.x}` no step captured, `${node.x}`)
    /// is kept as its own text, quoted like a value, so that it prints as written rather than
    /// making the shell fail with "Bad substitution" (Rundeck: ExecArgList.java 208-260, its test
    /// `buildExpandNodeRefMissing`).
    mutating func expandCommand(_ text: String, inline: Bool = false, resolve: VariableExpander.Resolver) throws(Refusal) -> String {
        var scanner = ShellScanner(text)
        var refusal: Refusal?
        var substitution = self
        let script = withoutActuallyEscaping(resolve) { resolve in
            let keepingUnresolved = Self.keepingUnresolved(resolve)
            return VariableExpander.expand(text, unresolved: .blankOptionsOnly, resolve: keepingUnresolved) { reference, value, offset in
                guard reference.group != "unquotedoption" else { return value }
                let place = scanner.place(at: offset)
                let token = "${\(reference.text)}"
                if resolve(reference) == nil {
                    // The job's own text: where nothing expands it stays as it is.
                    if place == .quotedHereDocument || place == .arithmetic || place == .comment { return token }
                }
                if inline, let quoted = Self.quoted(value, at: place) { return quoted }
                return substitution.reference(to: value, at: place, token: token, line: scanner.line, refusal: &refusal)
            }
        }
        self = substitution
        if let refusal { throw refusal }
        return script
    }

    /// Builds an `exec` line as Rundeck does (CommandNodeStepPlugin.groovy 42-68, run by
    /// ExecTaskParameterGeneratorImpl.java 84 as `sh -c` of the words joined by spaces): the line
    /// is burst into words (`ArgumentLine.burst`: quotes removed, so `echo 'a  b'` prints `a b`
    /// and `echo 'a;b'` runs `b`), each word expanded, and only a word that held a reference is
    /// quoted, and only when its text needs it (CLIUtils.quoteUnixShellArg). Words without a
    /// reference go to the shell as they are.
    ///
    /// Where Rundeck pastes a quoted value into the line, pdstep passes it out of band
    /// (`"${PDSTEP_VALUE_n}"`) with the word's own text single-quoted around it: the shell sees
    /// the same word, and never parses the value. A word whose text is plain (letters, digits,
    /// `_@%+=:,./-`) goes in as text, as in Rundeck, so `$(( ${option.n} + 1 ))` works. pdstep
    /// is stricter than Rundeck on one point: a value holding `#`, `~`, `[`, `]`, `!` or a
    /// non-ASCII letter is quoted, where Rundeck lets the shell read those characters. An
    /// unresolved option reference becomes nothing (a word left empty is dropped, as Rundeck
    /// drops it); another unresolved reference (`${data.x}`) is kept as its text, quoted, so it
    /// prints as written (ExecArgList.java 208-260).
    mutating func expandExecLine(_ text: String, resolve: VariableExpander.Resolver) -> String {
        withoutActuallyEscaping(resolve) { resolve in
            let keepingUnresolved = Self.keepingUnresolved(resolve)
            var words: [String] = []
            for word in ArgumentLine.burst(text) {
                guard word.contains("${") else {
                    words.append(word)
                    continue
                }
                // Each substituted value is marked by a NUL (job text cannot hold one).
                var values: [(text: String, raw: Bool)] = []
                let marked = VariableExpander.expand(word, unresolved: .blankOptionsOnly, resolve: keepingUnresolved) { reference, value, _ in
                    values.append((value, reference.group == "unquotedoption"))
                    return "\u{0}"
                }
                // No reference in it (`${HOME}`): the shell's own syntax, as it is.
                if values.isEmpty && marked == word {
                    words.append(word)
                    continue
                }
                let literals = marked.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
                var expanded = literals[0]
                for (index, value) in values.enumerated() { expanded += value.text + literals[index + 1] }
                if expanded.isEmpty { continue }
                if Self.isInertWords(expanded) && !expanded.contains(" ") {
                    words.append(expanded)
                    continue
                }
                var quoted = ""
                for (index, literal) in literals.enumerated() {
                    if !literal.isEmpty { quoted += "'" + literal.replacing("'", with: "'\\''") + "'" }
                    guard index < values.count else { continue }
                    let value = values[index]
                    quoted += value.raw ? value.text : "\"${\(variable(for: value.text))}\""
                }
                words.append(quoted)
            }
            return words.joined(separator: " ")
        }
    }

    /// Expands `@...@` tokens in the body of a script a POSIX shell runs.
    mutating func expandShellScript(_ body: String, resolve: VariableExpander.Resolver) throws(Refusal) -> String {
        var scanner = ShellScanner(body)
        var refusal: Refusal?
        var substitution = self
        let script = VariableExpander.expandScriptTokens(body, resolve: resolve) { reference, value, offset in
            let place = scanner.place(at: offset)
            return substitution.reference(to: value, at: place, token: "@\(reference.text)@", line: scanner.line, refusal: &refusal)
        }
        self = substitution
        if let refusal { throw refusal }
        return script
    }

    /// `resolve`, answering an unresolved reference other than an option's with its own text,
    /// which then travels like a value and prints as written (ExecArgList.java 208-260).
    private static func keepingUnresolved(_ resolve: @escaping VariableExpander.Resolver) -> VariableExpander.Resolver {
        { reference in
            if let value = resolve(reference) { return value }
            return reference.group == "option" || reference.group == "unquotedoption" ? nil : "${\(reference.text)}"
        }
    }

    /// The variables to add to the command's environment.
    var variables: [String: String] { environment }

    private mutating func reference(to value: String, at place: ShellScanner.Place, token: String, line: Int, refusal: inout Refusal?) -> String {
        switch place {
        case .quotedHereDocument:
            if Self.isInertWords(value) { return value }
            refusal = refusal ?? Refusal(description: "\(token) on line \(line) is inside a quoted here-document, where its value cannot be kept from running as code; pass it as an environment variable (RD_OPTION_X) instead")
            return ""
        case .arithmetic:
            if Self.isInteger(value) { return value }
            refusal = refusal ?? Refusal(description: "\(token) on line \(line) is inside $((...)) but its value is not an integer")
            return ""
        case .bare, .comment: return "\"${\(variable(for: value))}\""
        case .doubleQuoted, .expandingHereDocument: return "${\(variable(for: value))}"
        case .singleQuoted: return "'\"${\(variable(for: value))}\"'"
        }
    }

    /// A value as text quoted for `place`; nil where text cannot be quoted (quoted
    /// here-documents, arithmetic: the inert rules of `reference` apply).
    static func quoted(_ value: String, at place: ShellScanner.Place) -> String? {
        switch place {
        case .bare: return "'" + value.replacing("'", with: "'\\''") + "'"
        case .comment: return ""  // a line break in the value would end the comment
        case .singleQuoted: return value.replacing("'", with: "'\\''")
        case .doubleQuoted, .expandingHereDocument:
            var out = ""
            for c in value {
                if c == "\\" || c == "\"" || c == "$" || c == "`" { out.append("\\") }
                out.append(c)
            }
            return out
        case .quotedHereDocument, .arithmetic: return nil
        }
    }

    private mutating func variable(for value: String) -> String {
        if let name = names[value] { return name }
        let name = Self.variablePrefix + String(names.count + 1)
        names[value] = name
        environment[name] = value
        return name
    }

    /// Words of letters, digits, spaces and `_@%+=:,./-`: text no shell or here-document reader
    /// can take as anything but words.
    static func isInertWords(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { c in
            (c.isASCII && c.properties.isAlphabetic) || ("0"..."9").contains(c) || " _@%+=:,./-".unicodeScalars.contains(c)
        }
    }

    /// An optionally signed decimal integer, with blanks around it.
    static func isInteger(_ value: String) -> Bool {
        var digits = value.trimmingBlanks()[...]
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A value as one shell word: as it is when it holds only inert characters, else
    /// single-quoted. For pdstep's own text (script paths, interpreter lines) and for showing
    /// commands in logs and dry runs; job values never reach a shell this way.
    static func shellWord(_ value: String) -> String {
        let safe = !value.isEmpty && isInertWords(value) && !value.contains(" ")
        return safe ? value : "'" + value.replacing("'", with: "'\\''") + "'"
    }
}

extension VariableReference {
    /// The reference as written inside `${...}`.
    var text: String {
        (step.map { $0 + ":" } ?? "") + group + "." + key + (node.map { "@" + $0 } ?? "")
    }
}

/// Follows a POSIX shell script from its start and tells, for a position, which kind of place
/// it is in: a bare word, quotes, a comment, a here-document, arithmetic. It understands what
/// decides that (quotes, backslashes, `$(...)`, backquotes, `${...}`, `$((...))`, comments,
/// here-documents with quoted or unquoted delimiters) and nothing else.
struct ShellScanner {
    enum Place: Equatable {
        case bare, doubleQuoted, singleQuoted, comment, expandingHereDocument, quotedHereDocument, arithmetic
    }

    private enum Frame {
        case command(parens: Int)
        case backquote
        case double
        case single
        case parameter(braces: Int)
        case arithmetic(parens: Int)
    }

    private struct HereDocument {
        var delimiter: ArraySlice<UInt8>
        var stripTabs: Bool
        var expanding: Bool
    }

    private let bytes: [UInt8]
    private var position = 0
    private var lines = 1
    private var frames: [Frame] = [.command(parens: 0)]
    private var inComment = false
    private var pending: [HereDocument] = []
    private var hereDocument: HereDocument?
    private var atLineStart = true

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// The place at UTF-8 offset `offset`; offsets must not go backwards.
    mutating func place(at offset: Int) -> Place {
        while position < offset && position < bytes.count { advance() }
        if let hereDocument { return hereDocument.expanding ? .expandingHereDocument : .quotedHereDocument }
        if inComment { return .comment }
        for frame in frames.reversed() {
            switch frame {
            case .single: return .singleQuoted
            case .double: return .doubleQuoted
            case .arithmetic: return .arithmetic
            case .command, .backquote: return .bare
            case .parameter: continue  // the word inside `${x:-word}` is quoted as its surroundings are
            }
        }
        return .bare
    }

    /// The 1-based line of the position last asked about.
    var line: Int { lines }

    private func byte(_ i: Int) -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func move(_ count: Int) {
        for i in position..<min(position + count, bytes.count) where bytes[i] == UInt8(ascii: "\n") { lines += 1 }
        position = min(position + count, bytes.count)
    }

    private mutating func advance() {
        if hereDocument != nil { return advanceInHereDocument() }
        let c = bytes[position]
        if inComment {
            if c == UInt8(ascii: "\n") { inComment = false; newline() }
            return move(1)
        }
        let top = frames[frames.count - 1]
        if case .single = top {
            if c == UInt8(ascii: "'") { frames.removeLast() }
            return move(1)
        }
        if c == UInt8(ascii: "\\") { return move(2) }
        if c == UInt8(ascii: "$") {
            if byte(position + 1) == UInt8(ascii: "("), byte(position + 2) == UInt8(ascii: "(") {
                frames.append(.arithmetic(parens: 0))
                return move(3)
            }
            if byte(position + 1) == UInt8(ascii: "(") {
                frames.append(.command(parens: 0))
                return move(2)
            }
            if byte(position + 1) == UInt8(ascii: "{") {
                frames.append(.parameter(braces: 0))
                return move(2)
            }
            return move(1)
        }
        if c == UInt8(ascii: "`") {
            if case .backquote = top { frames.removeLast() } else { frames.append(.backquote) }
            return move(1)
        }
        switch top {
        case .double:
            if c == UInt8(ascii: "\"") { frames.removeLast() }
        case .parameter(let braces):
            switch c {
            case UInt8(ascii: "'"): frames.append(.single)
            case UInt8(ascii: "\""): frames.append(.double)
            case UInt8(ascii: "{"): frames[frames.count - 1] = .parameter(braces: braces + 1)
            case UInt8(ascii: "}"):
                if braces == 0 { frames.removeLast() } else { frames[frames.count - 1] = .parameter(braces: braces - 1) }
            default: break
            }
        case .arithmetic(let parens):
            switch c {
            case UInt8(ascii: "("): frames[frames.count - 1] = .arithmetic(parens: parens + 1)
            case UInt8(ascii: ")"):
                if parens > 0 {
                    frames[frames.count - 1] = .arithmetic(parens: parens - 1)
                } else {
                    frames.removeLast()
                    return move(byte(position + 1) == UInt8(ascii: ")") ? 2 : 1)
                }
            default: break
            }
        case .command, .backquote:
            return advanceInCommand(c, top: top)
        case .single:
            break
        }
        move(1)
    }

    private mutating func advanceInCommand(_ c: UInt8, top: Frame) {
        switch c {
        case UInt8(ascii: "'"): frames.append(.single)
        case UInt8(ascii: "\""): frames.append(.double)
        case UInt8(ascii: "#") where atWordStart:
            inComment = true
        case UInt8(ascii: "("):
            if case .command(let parens) = top { frames[frames.count - 1] = .command(parens: parens + 1) }
        case UInt8(ascii: ")"):
            if case .command(let parens) = top {
                if parens > 0 {
                    frames[frames.count - 1] = .command(parens: parens - 1)
                } else if frames.count > 1 {
                    frames.removeLast()
                }
            }
        case UInt8(ascii: "<") where byte(position + 1) == UInt8(ascii: "<") && byte(position + 2) != UInt8(ascii: "<"):
            return readHereDocumentOperator()
        case UInt8(ascii: "\n"):
            newline()
        default: break
        }
        move(1)
    }

    /// After an unquoted newline: the body of a pending here-document starts.
    private mutating func newline() {
        if !pending.isEmpty {
            hereDocument = pending.removeFirst()
            atLineStart = true
        }
    }

    private var atWordStart: Bool {
        guard position > 0 else { return true }
        return " \t\n;&|()<>".utf8.contains(bytes[position - 1])
    }

    /// `<<WORD` or `<<-WORD`: reads the delimiter word, quoted (no expansion) or not.
    private mutating func readHereDocumentOperator() {
        move(2)
        var stripTabs = false
        if byte(position) == UInt8(ascii: "-") { stripTabs = true; move(1) }
        while let c = byte(position), c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { move(1) }
        var delimiter: [UInt8] = []
        var quoted = false
        var quote: UInt8?
        while let c = byte(position) {
            if let q = quote {
                if c == q { quote = nil } else { delimiter.append(c) }
                move(1)
                continue
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                quote = c
                quoted = true
                move(1)
                continue
            }
            if c == UInt8(ascii: "\\") {
                quoted = true
                if let next = byte(position + 1) { delimiter.append(next) }
                move(2)
                continue
            }
            if " \t\n;&|()<>".utf8.contains(c) { break }
            delimiter.append(c)
            move(1)
        }
        if !delimiter.isEmpty {
            pending.append(HereDocument(delimiter: delimiter[...], stripTabs: stripTabs, expanding: !quoted))
        }
    }

    private mutating func advanceInHereDocument() {
        guard let document = hereDocument else { return }
        if atLineStart {
            var start = position
            if document.stripTabs { while byte(start) == UInt8(ascii: "\t") { start += 1 } }
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            if bytes[start..<end].elementsEqual(document.delimiter) {
                move(end + 1 - position)
                hereDocument = pending.isEmpty ? nil : pending.removeFirst()
                atLineStart = true
                return
            }
        }
        if document.expanding && bytes[position] == UInt8(ascii: "\\") {
            atLineStart = false  // an escaped character, or a line continuation
            return move(2)
        }
        atLineStart = bytes[position] == UInt8(ascii: "\n")
        move(1)
    }
}
