import StepKit
import Testing

@testable import Runner

/// The data-capture log filters as Rundeck's own plugins behave: `key-value-data`
/// (rundeckapp/src/main/groovy/com/dtolabs/rundeck/server/plugins/logging/
/// KeyValueDataLogFilterPlugin.groovy) and `key-value-data-multilines`
/// (rundeck-plugins/multiline-regex-datacapture-filter, DataKeyFilterMultiLines.groovy).
struct LogFilterTests {
    func capture(_ config: [String: String], _ lines: [String], type: String = "key-value-data") throws -> (data: [String: String], shown: [String]) {
        var filters = try OutputFilters([LogFilterConfig(type: type, config: config)])
        let shown = lines.filter { filters.process($0) }
        _ = filters.finish()
        return (Dictionary(filters.data.map { ($0.key, $0.value) }) { $1 }, shown)
    }

    /// Rundeck uses `Matcher.matches()` (KeyValueDataLogFilterPlugin.groovy 221): the whole line,
    /// with alternation and lazy groups doing what they say.
    @Test func aLineIsMatchedWhole() throws {
        #expect(try capture(["regex": #"v=(\d+|\d+\.\d+)"#, "name": "v"], ["v=1.5"]).data == ["v": "1.5"])
        #expect(try capture(["regex": #"(.+?)=(.+?)"#], ["key=a value"]).data == ["key": "a value"])
        #expect(try capture(["regex": #"v=(\d+)"#, "name": "v"], ["v=12 and more", "xv=3"]).data == [:])
        #expect(try capture([:], ["RUNDECK:DATA:k = v w"]).data == ["k": "v w"])
    }

    /// Three groups are accepted: key = group 1, value = group 2 (185-192, 231-236).
    @Test func moreThanTwoGroupsTakeTheFirstTwo() throws {
        #expect(try capture(["regex": #"(\w+)=(\w+)(;?)"#], ["k=v;"]).data == ["k": "v"])
    }

    /// `matchSubstrings` uses find(): the first match, or every one with `allowMultipleMatches`.
    @Test func substringsAndMultipleMatches() throws {
        let regex = #"(\w+)=(\d)"#
        #expect(try capture(["regex": regex, "matchSubstrings": "true"], ["a=1 b=2"]).data == ["a": "1"])
        #expect(try capture(["regex": regex, "matchSubstrings": "true", "allowMultipleMatches": "true"], ["a=1 b=2"]).data == ["a": "1", "b": "2"])
        #expect(try capture(["regex": regex, "allowMultipleMatches": "true"], ["a=1 b=2"]).data == [:])
    }

    /// Invalid key characters (239-253): `_` without `replaceFilteredResult`, whatever the
    /// replacement says; with it, the replacement, or nothing when that is unset. The line stays
    /// shown either way (Rundeck's LogFilterSpec expects it).
    @Test func invalidKeyCharacters() throws {
        let line = "RUNDECK:DATA:a{b}=1"
        #expect(try capture(["invalidCharactersReplacement": "-"], [line]).data == ["a_b_": "1"])
        #expect(try capture(["replaceFilteredResult": "true", "invalidCharactersReplacement": "-"], [line]).data == ["a-b-": "1"])
        let removed = try capture(["replaceFilteredResult": "true"], [line])
        #expect(removed.data == ["ab": "1"] && removed.shown == [line])
        #expect(try capture(["invalidKeyPattern": ""], [line]).data == ["a{b}": "1"])
    }

    @Test func badExpressionsAreRefusedNamingTheProperty() {
        for (config, property) in [(["regex": "(a"], "regex"), (["regex": "a=b"], "regex"), (["regex": "v=(.*)"], "name"), (["invalidKeyPattern": "["], "invalidKeyPattern")] {
            do {
                _ = try OutputFilters([LogFilterConfig(type: "key-value-data", config: config)])
                Issue.record("accepted \(config)")
            } catch {
                #expect(error.property == property, "\(config): \(error)")
            }
        }
    }

    /// The multi-line filter matches the whole output once, with DOTALL, at the end; its
    /// default is `^(.+?)\s*=\s*(.+)`, and each line it saw is followed by a line break.
    @Test func multilinesMatchesTheWholeOutput() throws {
        let result = try capture([:], ["report = first", "second"], type: "key-value-data-multilines")
        #expect(result.data == ["report": "first\nsecond\n"] && result.shown.count == 2)
        let named = try capture(["regex": #"BEGIN\n(.*)END\n"#, "name": "body"], ["BEGIN", "a", "b", "END"], type: "key-value-data-multilines")
        #expect(named.data == ["body": "a\nb\n"])
    }

    /// `captureMultipleKeysValues` matches each line; a key seen again gets a new line.
    /// `hideOutput` hides the lines.
    @Test func multilinesPerLineAndHidden() throws {
        let result = try capture(["regex": #"(\w+): (\d+)"#, "captureMultipleKeysValues": "true", "hideOutput": "true"],
            ["a: 1", "noise", "b: 2", "a: 3"], type: "key-value-data-multilines")
        #expect(result.data == ["a": "1\n3", "b": "2"] && result.shown.isEmpty)
        let named = try capture(["regex": #"v(\d)"#, "name": "v", "captureMultipleKeysValues": "true"], ["v1", "v2"], type: "key-value-data-multilines")
        #expect(named.data == ["v": "1\n2"])
    }

    /// The multi-line filter holds at most 8 MB of output, and says so when it stops.
    @Test func multilinesHoldsBoundedOutput() throws {
        var filters = try OutputFilters([LogFilterConfig(type: "key-value-data-multilines", config: [:])])
        let line = String(repeating: "x", count: 1 << 20)
        for _ in 0..<10 { _ = filters.process(line) }
        #expect(filters.finish().contains { $0.contains("past 8 MB was not matched") })
    }
}
