import Foundation
import Testing
import TestSupport

@testable import Runner

/// JavaRegex (Swift's `Regex`, set to Java's defaults) against `java.util.regex` itself, the
/// engine Rundeck matches option `regex` values and log filters with: `matches()` and every
/// `find()` with its groups, for the syntax jobs use and the places the two engines could differ.
/// The differences that remain are listed, each with its reason, and must stay exactly those.
struct RegexOracleTests {
    /// Pattern, text.
    static let cases: [(String, String)] = [
        // What Rundeck's own filters and jobs use.
        (#"^RUNDECK:DATA:\s*([^\s]+?)\s*=\s*(.+)$"#, "RUNDECK:DATA:host = web1"),
        (#"^RUNDECK:DATA:(.+?)\s*=\s*(.+)$"#, "RUNDECK:DATA:a=b=c"),
        (#"^(\w+)=(.*)$"#, "key=value with spaces"),
        (#"[^a-zA-Z0-9_$.]"#, "a b-c/d"),
        (#"^[a-z]+(-[a-z]+)*$"#, "checkout-api-prod"),
        (#"^(P[A-Z0-9]{6})$"#, "PABC123"),
        (#"^(critical|error|warning|info)$"#, "warning"),
        (#"^\d{1,3}(\.\d{1,3}){3}$"#, "10.0.0.1"),
        (#"(?i)disk|5xx"#, "Checkout returns 5XX"),
        (#"(?i)^yes$"#, "YES"),
        // Java's matches(): the whole text, every alternative tried.
        ("a|ab", "ab"),
        ("(a+?)(b*)", "aab"),
        ("x*", ""),
        // ASCII-only classes by default, as Java.
        (#"\d+"#, "12٣4"),
        (#"\w+"#, "café"),
        (#"\s+"#, "a\u{00A0}b c"),
        (#"\bfoo\b"#, "a foo_b foo."),
        (#"\bé"#, "xé é"),
        // `.` by code point, and not across line breaks (DOTALL with (?s)).
        (".", "👍🏽"),
        ("^.$", "é"),
        ("a.c", "a\nc"),
        ("(?s)a.c", "a\nc"),
        (".+", "one\ntwo"),
        // Anchors.
        ("^a$", "a\n"),
        ("^b", "a\nb"),
        ("(?m)^b$", "a\nb\nc"),
        (#"a\z"#, "a\n"),
        (#"a\Z"#, "a\n"),
        (#"\Aa"#, "ba a"),
        // Quantifiers, groups, lookaround, backreferences.
        ("a*+a", "aaa"),
        ("(?>a+)b", "aaab"),
        ("(?<=a)b", "ab cb"),
        ("(?<!a)b", "ab cb"),
        ("q(?=u)", "qu qa"),
        (#"(?<word>\w+)-(\d)"#, "abc-1"),
        (#"(\w)\1"#, "hello"),
        ("(a)|b", "b"),
        ("x{2,3}", "xxxxx"),
        (#"\Qa.b\E"#, "a.b axb"),
        ("[[:alpha:]]+", "abc1"),
        (#"\p{L}+"#, "ÀbC1"),
        (#"\p{Lu}"#, "aBc"),
        ("(?x) a b  # spaced", "ab"),
        (#"[a-z&&[^e]]+"#, "hello"),
        (#"\h+"#, "a \tb"),
        ("(?x) ^ a $ # extended", "a\n"),
        (#"[$]\$x$"#, "$$x"),
        (#"\R"#, "a\r\nb"),
        // Invalid patterns are invalid in both.
        ("(", "x"),
        ("[a", "x"),
        ("a{2,1}", "aa"),
    ]

    /// Where Swift's engine does not do what Java's does, and why that is acceptable (README,
    /// "Regular expressions").
    static let differences: [String: String] = [
        "(?<=a)b": "lookbehind: Swift's engine has none; the pattern is refused with that reason",
        "(?<!a)b": "lookbehind: Swift's engine has none; the pattern is refused with that reason",
        "[[:alpha:]]+": "POSIX classes: Java reads [[:alpha:]] as a set of characters; pdstep as the class",
    ]

    static func run(_ pattern: String, _ text: String) -> String {
        guard let regex = JavaRegex(pattern) else { return "E" }
        var out = regex.matchesWhole(text) ? "M" : "-"
        for groups in regex.find(in: text, every: true) {
            out += " " + groups.map { $0.map { Data($0.utf8).base64EncodedString() } ?? "~" }.joined(separator: ",")
        }
        return out
    }

    @Test func javaAgrees() async throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Oracles/RegexOracle.java").path
        guard (try? await runTool(["java", "-version"]))?.status == 0 else { return }
        let input = Self.cases.map { Data($0.0.utf8).base64EncodedString() + " " + Data($0.1.utf8).base64EncodedString() }.joined(separator: "\n") + "\n"
        let (status, output) = try await runTool(["java", source], stdin: input)
        let java = String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(status == 0 && java.count >= Self.cases.count, "\(String(decoding: output, as: UTF8.self))")
        guard java.count >= Self.cases.count else { return }
        var disagreements: [String] = []
        var differing: Set<String> = []
        for (index, (pattern, text)) in Self.cases.enumerated() where Self.run(pattern, text) != java[index] {
            differing.insert(pattern)
            disagreements.append("\(pattern) on \(text.debugDescription): java \(java[index]), pdstep \(Self.run(pattern, text))")
        }
        #expect(differing == Set(Self.differences.keys), "\(disagreements.joined(separator: "\n"))")
    }

    /// A pattern pdstep's engine cannot take says why, not just "invalid".
    @Test func lookbehindIsRefusedWithItsReason() {
        #expect(JavaRegex("(?<=web)\\d+") == nil)
        #expect(JavaRegex.invalid("(?<=web)\\d+").contains("lookbehind"))
        #expect(JavaRegex.invalid("(") == "is not a valid regular expression")
    }
}
