import Foundation

/// A regular expression with Java's two ways of matching, for the job fields Rundeck matches
/// with `java.util.regex` (option `regex`, log filter expressions): `matches()` / `==~` (the
/// whole text, trying every alternative to get there) and `find()`. ICU's syntax is close to
/// Java's for the expressions jobs use.
struct JavaRegex: Sendable {
    private let regex: NSRegularExpression
    /// The same expression followed by the end of the text, for `matches()`.
    private let whole: NSRegularExpression
    /// How many capturing groups it has.
    let groupCount: Int

    /// Compiles `source` (DOTALL with `dotAll`), or nil when it is not a valid expression.
    init?(_ source: String, dotAll: Bool = false) {
        let options: NSRegularExpression.Options = dotAll ? [.dotMatchesLineSeparators] : []
        guard let regex = try? NSRegularExpression(pattern: source, options: options),
            // `(?:P)\z` is matches(); when P ends in an `(?x)` comment, a line break ends it.
            let whole = (try? NSRegularExpression(pattern: "(?:" + source + ")\\z", options: options))
                ?? (try? NSRegularExpression(pattern: "(?:" + source + "\n)\\z", options: options))
        else { return nil }
        self.regex = regex
        self.whole = whole
        self.groupCount = regex.numberOfCaptureGroups
    }

    /// True when the whole of `text` matches (Java's `matches()`, Groovy's `==~`).
    func matchesWhole(_ text: String) -> Bool { wholeMatch(text) != nil }

    /// The groups (0 is the whole match) of a match of the whole text, or nil.
    func wholeMatch(_ text: String) -> [String?]? {
        whole.firstMatch(in: text, options: [.anchored], range: NSRange(text.startIndex..., in: text)).map { groups($0, in: text) }
    }

    /// The groups of the first match in `text`, or of every match (Java's `find()`).
    func find(in text: String, every: Bool) -> [[String?]] {
        let range = NSRange(text.startIndex..., in: text)
        if !every { return regex.firstMatch(in: text, range: range).map { [groups($0, in: text)] } ?? [] }
        return regex.matches(in: text, range: range).map { groups($0, in: text) }
    }

    private func groups(_ match: NSTextCheckingResult, in text: String) -> [String?] {
        (0...groupCount).map { n in Range(match.range(at: n), in: text).map { String(text[$0]) } }
    }
}
