import Foundation
import Testing
import TestSupport
import Values

/// Every number, size and depth that comes from a file or a flag is bounded: out of range is
/// exit 2 naming where it came from, never a trap, a hang or unbounded memory.
@Suite struct InputBoundsTests {
    func write(_ text: String, _ name: String, in directory: String) throws {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    /// Durations and retry counts that would overflow a wait: refused by validate and run.
    @Test(arguments: [
        ("timeout: 9999999999999h", "timeout '9999999999999h' is longer than a year"),
        ("timeout: 0x7fffffffffffffff", "timeout '9223372036854775807' is longer than a year"),
        ("retry: {retry: 3, delay: 99999999999999d}", "retry delay '99999999999999d' is longer than a year"),
        ("retry: 99999999999999999999", "job.yaml:2:10: the integer 99999999999999999999 does not fit in 64 bits"),
        ("retry: '99999999999999999999'", "is not a whole number from 0 to 1000"),
    ])
    func hugeDurationsAreInvalid(_ line: String, _ message: String) async throws {
        let directory = makeTemporaryDirectory()
        try write("- name: j\n  \(line)\n  sequence:\n    commands:\n    - exec: echo ran\n", "job.yaml", in: directory)
        for command in ["validate", "run"] {
            let outcome = try await runBinary([command, "job.yaml"], directory: directory)
            #expect(outcome.code == 2, "\(command): \(outcome.stdout)\(outcome.stderr)")
            #expect((outcome.stdout + outcome.stderr).contains(message), "\(command): \(outcome.stdout)\(outcome.stderr)")
            #expect(!outcome.stdout.contains("\nran"))
        }
    }

    /// The same values coming from an option at run time are refused before anything runs.
    @Test func aDurationFromAnOptionIsCheckedToo() async throws {
        let directory = makeTemporaryDirectory()
        try write("- name: j\n  options: [{name: t}]\n  timeout: ${option.t}\n  sequence:\n    commands:\n    - exec: echo ran\n", "job.yaml", in: directory)
        let outcome = try await runBinary(["run", "job.yaml", "-o", "t=99999999999h"], directory: directory)
        #expect(outcome.code == 2 && (outcome.stdout + outcome.stderr).contains("timeout '99999999999h' is longer than a year"), "\(outcome.stdout)")
        #expect(!outcome.stdout.contains("\nran"))
    }

    /// PagerDuty settings with numbers out of range: exit 2 naming the setting and its file.
    @Test(arguments: [
        "pagerduty.timeout=1e30", "pagerduty.timeout=inf", "pagerduty.timeout=nan", "pagerduty.retry.max_attempts=99999999999999999999",
        "pagerduty.retry.max_attempts=2.5", "pagerduty.retry.max_seconds=-1", "pagerduty.events.rate_window=1e300",
    ])
    func settingsNumbersAreRangeChecked(_ setting: String) async throws {
        let directory = makeTemporaryDirectory()
        try write(setting + "\n", "framework.properties", in: directory)
        let outcome = try await runBinary(["send-event", "--summary", "x", "--source", "y", "--sandbox"], directory: directory)
        let key = String(setting.split(separator: "=")[0])
        #expect(outcome.code == 2, "\(setting): \(outcome.stdout)")
        #expect(outcome.stderr.contains("setting \(key) (framework.properties:1) must be"), "\(outcome.stderr)")
    }

    /// A chain of `${...}` references that doubles at each step is refused quickly, naming a key.
    @Test func aPropertiesExpansionBombIsRefused() async throws {
        let directory = makeTemporaryDirectory()
        var lines = ["a0=xxxxxxxxxxxxxxxx"]
        for i in 1...40 { lines.append("a\(i)=${a\(i - 1)}${a\(i - 1)}") }
        try write(lines.joined(separator: "\n") + "\n", "framework.properties", in: directory)
        let outcome = try await runBinary(["config", "show"], directory: directory)
        #expect(outcome.code == 2 && outcome.stderr.contains("framework.properties:") && outcome.stderr.contains("grows past 1 MB"), "\(outcome.stderr)")
    }

    /// A 600-byte alias bomb is refused with its line and column instead of taking gigabytes.
    @Test func aYAMLAliasBombIsRefused() async throws {
        let directory = makeTemporaryDirectory()
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in 1..<10 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]") }
        try write(lines.joined(separator: "\n") + "\n", "bomb.yaml", in: directory)
        for command in [["validate", "bomb.yaml"], ["convert", "bomb.yaml"]] {
            let outcome = try await runBinary(command, directory: directory)
            #expect(outcome.code == 2 && outcome.stderr.contains("bomb.yaml:6:") && outcome.stderr.contains("alias bomb"), "\(outcome.stderr)")
        }
    }

    /// NUL and other controls, and bytes that are not UTF-8, are errors with line:column (a NUL
    /// once cut `echo a b; echo after` short without a word).
    @Test(arguments: [
        ("- name: j\n  sequence:\n    commands:\n    - exec: echo a b\u{0}; echo after\n", "job.yaml:4:21: control character NUL"),
        ("- name: j\n  sequence:\n    commands:\n    - exec: echo \u{1B}[2J\n", "job.yaml:4:18: control character U+001B"),
        ("[{\"name\": \"j\u{7}\"}]", "job.json:1:13: control character U+0007"),
    ])
    func controlCharactersInJobFilesAreErrors(_ text: String, _ message: String) async throws {
        let directory = makeTemporaryDirectory()
        let name = message.hasPrefix("job.json") ? "job.json" : "job.yaml"
        try write(text, name, in: directory)
        let outcome = try await runBinary(["run", name], directory: directory)
        #expect(outcome.code == 2 && outcome.stderr.contains(message), "\(outcome.stderr)")
    }

    @Test func invalidUTF8InAJobFileIsAnError() async throws {
        let directory = makeTemporaryDirectory()
        FileManager.default.createFile(atPath: directory + "/job.yaml", contents: Data("- name: caf".utf8) + Data([0xE9]) + Data("\n".utf8))
        let outcome = try await runBinary(["validate", "job.yaml"], directory: directory)
        #expect(outcome.code == 2 && outcome.stderr.contains("job.yaml:1:12: the file is not valid UTF-8"), "\(outcome.stderr)")
    }

    /// A job file is read up to 64 MB, whatever it is: an endless one is an error, not all memory.
    @Test(arguments: ["validate", "convert", "migrate"]) func anEndlessJobFileIsRefused(command: String) async throws {
        let outcome = try await runBinary([command, "/dev/zero"], directory: makeTemporaryDirectory())
        #expect(outcome.code == 2 && outcome.stderr.contains("/dev/zero: larger than 64 MB"), "\(outcome.stderr)")
    }

    /// Output with no line break is handed on in bounded pieces, and read in linear time.
    @Test func anEndlessOutputLineIsSplit() async throws {
        let directory = makeTemporaryDirectory()
        try write("- name: j\n  sequence:\n    commands:\n    - exec: head -c 300000 /dev/zero | tr -c a a; echo; echo done\n", "job.yaml", in: directory)
        let outcome = try await runBinary(["run", "job.yaml", "--log-format", "json"], directory: directory)
        #expect(outcome.code == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }.filter { $0["event"] == "log" }.compactMap { $0["message"]?.stringValue }
        #expect(lines.filter { $0.hasPrefix("aaa") }.map(\.count) == [65_536, 65_536, 65_536, 65_536, 37_856])
        #expect(lines.last == "done")
    }

    /// A key that cannot be written (no space, no permission, a file where a folder belongs) is a
    /// failure of the machine, exit 1 with the reason, not invalid input.
    @Test func aKeyThatCannotBeWrittenIsAFailure() async throws {
        let directory = makeTemporaryDirectory()
        try write("not a folder", "content", in: directory)
        let outcome = try await runBinary(["keys", "put", "keys/pd/api", "--password-stdin", "--storage", directory], stdin: "secret-value", directory: directory)
        #expect(outcome.code == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("cannot create folder") && !outcome.stderr.contains("secret-value"), "\(outcome.stderr)")
    }

    /// JSON has no infinity or NaN: convert writes them as their YAML text, never null, and says so.
    @Test func convertKeepsNonFiniteNumbersAsText() async throws {
        let directory = makeTemporaryDirectory()
        try write("a: .inf\nb: [-.inf, .nan, 1.5]\n", "n.yaml", in: directory)
        let outcome = try await runBinary(["convert", "n.yaml"], directory: directory)
        #expect(outcome.code == 0)
        let json = try JSONParser.parse(outcome.stdout)
        #expect(json["a"] == ".inf" && json["b"] == [.string("-.inf"), .string(".nan"), .double(1.5)], "\(outcome.stdout)")
        #expect(outcome.stderr.contains("a, b[0], b[1] are infinite or not a number"), "\(outcome.stderr)")
    }
}
