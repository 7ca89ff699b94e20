import Dispatch
import Synchronization
import Values

/// A regular expression with Java's two ways of matching, for the job fields Rundeck matches
/// with `java.util.regex` (option `regex`, log filter expressions): `matches()` / `==~` (the
/// whole text, trying every alternative to get there) and `find()`.
///
/// It is Swift's `Regex`, built at run time from the pattern (no Foundation, no ICU), set to
/// Java's defaults where Swift's differ: matching by Unicode scalar (Java: by code point; Swift:
/// by character, so `.` would take a whole emoji sequence), ASCII-only `\d`, `\w`, `\s` and
/// `\b` (Java: ASCII unless `(?U)`), and `.` not matching line breaks unless DOTALL. The syntax
/// jobs use is the same in both: classes, quantifiers (greedy, lazy, possessive), groups
/// (capturing, non-capturing, named, atomic), lookaround, backreferences, `\Q...\E`, inline
/// flags `(?i)`, `(?s)`, `(?m)`, `(?x)`. Where they differ (`RegexDifferencesTests` checks each
/// against Java): Java's `\p{Alpha}`-style POSIX names are refused (use `[[:alpha:]]` or
/// `\p{L}`), and `(?i)` folds case for all of Unicode (Java: ASCII unless `(?u)`).
/// Lookbehind (`(?<=`, `(?<!`) is not supported by Swift's engine: such a pattern is refused
/// with that reason. `[[:alpha:]]` is the POSIX class (Java reads it as a set of characters).
struct JavaRegex: @unchecked Sendable {
    // `Regex` holds no mutable state once built; it is not marked Sendable in this toolchain.
    private let regex: Regex<AnyRegexOutput>
    /// How many capturing groups it has.
    let groupCount: Int

    /// Compiles `source` (DOTALL with `dotAll`), or nil when it is not a valid expression.
    init?(_ source: String, dotAll: Bool = false) {
        guard var regex = try? Regex(Self.javaDollar(source)) else { return nil }
        regex = regex.matchingSemantics(.unicodeScalar).asciiOnlyDigits().asciiOnlyWhitespace().asciiOnlyWordCharacters()
            .wordBoundaryKind(.simple)
        if dotAll { regex = regex.dotMatchesNewlines() }
        self.regex = regex
        self.groupCount = Self.capturingGroups(in: source)
    }

    /// Why `source` does not compile, for a message: `is not a valid regular expression`, or
    /// what pdstep's engine lacks.
    static func invalid(_ source: String) -> String {
        if source.contains("(?<=") || source.contains("(?<!") {
            return "uses lookbehind ((?<= or (?<!), which pdstep's regular expressions do not support"
        }
        return "is not a valid regular expression"
    }

    /// Java's `$` outside multiline mode also matches before a line break that ends the text;
    /// Swift's only at the very end. Each unescaped `$` outside a class becomes that lookahead,
    /// unless the pattern turns multiline mode on (then Swift's `$` is Java's).
    static func javaDollar(_ source: String) -> String {
        guard source.contains("$"), !source.contains("(?m") else { return source }
        var out = ""
        var escaped = false, quoted = false
        var classDepth = 0
        let characters = Array(source)
        for (index, c) in characters.enumerated() {
            if quoted {
                if c == "E" && index > 0 && characters[index - 1] == "\\" { quoted = false }
                out.append(c)
                continue
            }
            if escaped {
                escaped = false
                if c == "Q" { quoted = true }
                out.append(c)
                continue
            }
            switch c {
            case "\\": escaped = true
            case "[": classDepth += 1
            case "]" where classDepth > 0: classDepth -= 1
            case "$" where classDepth == 0:
                out += #"(?=(?:\r\n|[\n\r\x{85}\x{2028}\x{2029}])?\z)"#
                continue
            default: break
            }
            out.append(c)
        }
        return out
    }

    /// True when the whole of `text` matches (Java's `matches()`, Groovy's `==~`).
    func matchesWhole(_ text: String) -> Bool { wholeMatch(text) != nil }

    /// Seconds a match of text from outside the job (an option's value, a webhook's title) may
    /// take before it counts as undecided.
    static let checkSeconds: Double = 5

    /// Runs `match` on a thread of its own and waits at most `seconds`: nil when it took longer.
    /// Swift's `Regex` cannot be interrupted, so a pattern that backtracks on the text
    /// (`(a+)+b` against a run of `a`) is left to end on that thread instead of holding up the
    /// caller; a log filter's many matches go through `FilterWorker` instead.
    static func within<T: Sendable>(seconds: Double = checkSeconds, _ match: @escaping @Sendable () -> T) -> T? {
        let answer = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        startThread {
            let value = match()
            answer.withLock { $0 = value }
            done.signal()
        }
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return answer.withLock { $0 }
    }

    /// The groups (0 is the whole match) of a match of the whole text, or nil.
    func wholeMatch(_ text: String) -> [String?]? {
        (try? regex.wholeMatch(in: text)).flatMap { $0 }.map(groups)
    }

    /// The groups of the first match in `text`, or of every match (Java's `find()`).
    func find(in text: String, every: Bool) -> [[String?]] {
        if !every { return (try? regex.firstMatch(in: text)).flatMap { $0 }.map { [groups($0)] } ?? [] }
        return text.matches(of: regex).map(groups)
    }

    /// `text` with every match replaced by `replacement`, taken literally (Java's
    /// `replaceAll` with `Matcher.quoteReplacement`).
    func replacingEvery(in text: String, with replacement: String) -> String {
        text.replacing(regex, with: replacement)
    }

    private func groups(_ match: Regex<AnyRegexOutput>.Match) -> [String?] {
        (0...groupCount).map { n in n < match.output.count ? match.output[n].substring.map(String.init) : nil }
    }

    /// The capturing groups of a pattern: `(` not escaped, not in a class, and not `(?` unless
    /// it names the group (`(?<n>`, `(?P<n>`, `(?'n'`); in `\Q...\E` nothing counts.
    static func capturingGroups(in source: String) -> Int {
        let characters = Array(source)
        var count = 0
        var index = 0
        var classDepth = 0
        var quoted = false
        while index < characters.count {
            let c = characters[index]
            if quoted {
                if c == "\\" && index + 1 < characters.count && characters[index + 1] == "E" { quoted = false; index += 1 }
            } else if c == "\\" {
                if index + 1 < characters.count && characters[index + 1] == "Q" { quoted = true }
                index += 1
            } else if c == "[" {
                classDepth += 1
            } else if c == "]" && classDepth > 0 {
                classDepth -= 1
            } else if c == "(" && classDepth == 0 {
                let next = index + 1 < characters.count ? characters[index + 1] : " "
                if next != "?" {
                    count += 1
                } else if index + 2 < characters.count {
                    let kind = characters[index + 2]
                    let lookbehind = kind == "<" && index + 3 < characters.count && (characters[index + 3] == "=" || characters[index + 3] == "!")
                    if (kind == "<" && !lookbehind) || kind == "'" || (kind == "P" && index + 3 < characters.count && characters[index + 3] == "<") { count += 1 }
                }
            }
            index += 1
        }
        return count
    }
}
