import Foundation
import Settings
import StepKit
import StepLibrary
import Testing
import TestSupport
import Values

@testable import PDStepCLI

/// A step used to exercise the catalog commands.
struct EchoStep: JobStep {
    static let descriptor = StepDescriptor(
        name: "pagerduty-echo", aliases: ["pd-echo-step"], title: "Echo", summary: "Echoes its message.",
        properties: [
            StepProperty("message", title: "Message", description: "What to echo.", required: true, aliases: ["msg"]),
            StepProperty("level", title: "Level", description: "How loud.", kind: .select(["low", "high"]), default: "low"),
        ],
        outputs: [StepOutput("echo", "The message.")])
    let message: String
    init(config: StepConfig) throws(StepError) { message = try config.requiredString("message") }
    func run(_ context: StepContext) async throws(StepError) -> StepResult {
        StepResult(outputs: ["echo": message], summary: message)
    }
}

let testCatalog = StepCatalog([EchoStep.self])

@Suite struct CommandLineTests {
    @Test func unknownCommandExits2WithASuggestion() async {
        let typo = await pdstep(["lsit"])
        #expect(typo.code == 2)
        #expect(typo.stderr.contains("unknown command 'lsit'; did you mean 'list'?"))
        let nonsense = await pdstep(["nosuchcommand"])
        #expect(nonsense.code == 2)
        #expect(nonsense.stderr.contains("the commands are run, validate, list, describe, keys, config, convert, migrate, sandbox, install-links, plugin-bundle, outbox, completion, serve, webhooks"))
    }

    @Test func unknownOptionExits2WithASuggestion() async {
        let outcome = await pdstep(["keys", "list", "--storag", "x"])
        #expect(outcome.code == 2)
        #expect(outcome.stderr.contains("unknown option '--storag'; did you mean --storage?"))
    }

    @Test func helpAndVersion() async {
        let help = await pdstep(["--help"])
        #expect(help.code == 0)
        #expect(help.stdout.contains("exit codes:") && help.stdout.contains("124  timed out"))
        let version = await pdstep(["--version"])
        #expect(version.stdout == "pdstep \(pdstepVersion)\n")
        let commandHelp = await pdstep(["keys", "--help"])
        #expect(commandHelp.code == 0 && commandHelp.stdout.contains("--password-stdin"))
    }

    @Test func listShowsNamesAliasesAndSummaries() async {
        let outcome = await pdstep(["list"], catalog: testCatalog)
        #expect(outcome.stdout == "pagerduty-echo  Echoes its message. (alias: pd-echo-step)\n")
    }

    @Test func describeByNameAliasOrCommandAndAsJSON() async throws {
        for name in ["pagerduty-echo", "pd-echo-step", "echo"] {
            let text = await pdstep(["describe", name], catalog: testCatalog)
            #expect(text.code == 0)
            #expect(text.stdout.contains("message (string, required): Message"))
            #expect(text.stdout.contains("also accepted as: msg"))
        }
        let json = await pdstep(["describe", "echo", "--json"], catalog: testCatalog)
        let value = try JSONParser.parse(json.stdout)
        #expect(value["name"] == "pagerduty-echo")
        #expect(value["properties"]?.arrayValue?.count == 2)
        #expect(value["properties"]?.arrayValue?[1]["values"] == ["low", "high"])
    }

    @Test func describeUnknownStepSuggests() async {
        let outcome = await pdstep(["describe", "pagerduty-ecko"], catalog: testCatalog)
        #expect(outcome.code == 2)
        #expect(outcome.stderr.contains("did you mean 'pagerduty-echo'?"))
    }

    /// Every step the real catalog holds describes itself as valid JSON.
    @Test func everyBuiltInStepDescribesAsJSON() async throws {
        for step in StepCatalog.builtIn.steps {
            let outcome = await pdstep(["describe", step.descriptor.name, "--json"])
            #expect(outcome.code == 0)
            #expect(throws: Never.self) { try JSONParser.parse(outcome.stdout) }
        }
    }
}

@Suite struct KeysCommandTests {
    @Test func putListDeleteNeverShowTheSecret() async throws {
        let dir = makeTemporaryDirectory()
        let put = await pdstep(["keys", "put", "keys/pd/api", "--password-stdin", "--storage", "st"], stdin: "s3cret\n", directory: dir)
        #expect(put.code == 0)
        #expect(try String(contentsOfFile: dir + "/st/content/keys/pd/api", encoding: .utf8) == "s3cret")
        let list = await pdstep(["keys", "list", "--storage", "st"], directory: dir)
        #expect(list.stdout == "keys/pd/api  password\n")
        #expect(!(list.stdout + list.stderr + put.stdout + put.stderr).contains("s3cret"))
        let delete = await pdstep(["keys", "delete", "keys/pd/api", "--storage", "st"], directory: dir)
        #expect(delete.code == 0)
        let again = await pdstep(["keys", "delete", "keys/pd/api", "--storage", "st"], directory: dir)
        #expect(again.code == 1)
    }

    @Test func storageFolderComesFromTheSettingWhenNoFlag() async throws {
        let dir = makeTemporaryDirectory()
        try "pdstep.storage.dir=vault\n".write(toFile: dir + "/framework.properties", atomically: true, encoding: .utf8)
        let put = await pdstep(["keys", "put", "keys/a", "--password-stdin"], stdin: "x", directory: dir)
        #expect(put.code == 0)
        #expect(FileManager.default.fileExists(atPath: dir + "/vault/content/keys/a"))
    }

    @Test func putRefusesEmptyInputAndSecretsOnTheCommandLine() async {
        let empty = await pdstep(["keys", "put", "keys/a", "--password-stdin"], stdin: "")
        #expect(empty.code == 2)
        let noStdin = await pdstep(["keys", "put", "keys/a"])
        #expect(noStdin.code == 2 && noStdin.stderr.contains("--password-stdin"))
    }

    /// The acceptance check from the issue, through the real binary.
    @Test func binaryWritesOwnerOnlyFilesAndRefusesTraversal() async throws {
        let dir = makeTemporaryDirectory()
        let storage = dir + "/storage"
        let put = try await runBinary(["keys", "put", "keys/pd/api", "--password-stdin", "--storage", storage], stdin: "s3cret", directory: dir)
        #expect(put.code == 0)
        for file in ["content", "meta"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(storage)/\(file)/keys/pd/api")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
        let list = try await runBinary(["keys", "list", "--storage", storage], directory: dir)
        #expect(list.stdout.contains("keys/pd/api") && list.stdout.contains("password"))
        #expect(!list.stdout.contains("s3cret") && !list.stderr.contains("s3cret"))
        let before = try FileManager.default.subpathsOfDirectory(atPath: dir).sorted()
        let escape = try await runBinary(["keys", "put", "../../etc/x", "--password-stdin", "--storage", storage], stdin: "x", directory: dir)
        #expect(escape.code == 2)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: dir).sorted() == before)
        #expect(!FileManager.default.fileExists(atPath: dir + "/../etc/x"))
    }
}

@Suite struct ConfigCommandTests {
    @Test func showsEachValueWithItsSourceAndMasksSecrets() async throws {
        let dir = makeTemporaryDirectory()
        try "base=/opt\ndir=${base}/x\npagerduty.api_token=abc123\n".write(toFile: dir + "/framework.properties", atomically: true, encoding: .utf8)
        try "dir=${base}/project\n".write(toFile: dir + "/project.properties", atomically: true, encoding: .utf8)
        let text = await pdstep(["config", "show", "--property", "pagerduty.region=eu"], directory: dir)
        #expect(text.code == 0)
        let lines = text.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.contains("dir = /opt/project (project.properties:1)"))
        #expect(lines.contains("pagerduty.region = eu (--property)"))
        #expect(lines.contains("pagerduty.timeout = 30 (default)"))
        #expect(lines.contains("pagerduty.api_token = **** (framework.properties:3)"))
        #expect(!text.stdout.contains("abc123"))
        let raw = await pdstep(["config", "show", "--json", "--raw"], directory: dir)
        let json = try JSONParser.parse(raw.stdout)
        #expect(json["dir"]?["value"] == "${base}/project")
        #expect(json["pagerduty.api_token"]?["value"] == "****")
        #expect(json["pagerduty.timeout"] == nil)
    }

    @Test func malformedPropertiesFileExits2WithLineAndColumn() async throws {
        let dir = makeTemporaryDirectory()
        try "ok=1\nbad=\\u12x4\n".write(toFile: dir + "/framework.properties", atomically: true, encoding: .utf8)
        let outcome = await pdstep(["config", "show"], directory: dir)
        #expect(outcome.code == 2)
        #expect(outcome.stderr.contains("framework.properties:2:5: malformed \\uXXXX escape"))
    }

    /// The acceptance check from the issue: for the whole .properties corpus, what
    /// `pdstep config show --json --raw --framework-properties FILE` prints equals what
    /// java.util.Properties reads.
    @Test(.enabled(if: javaAvailable, "needs java"))
    func configShowMatchesJavaForTheCorpus() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("SettingsTests/Fixtures")
        let files = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("properties").path)
            .filter { $0.hasSuffix(".properties") }.sorted().map { "properties/" + $0 }
        let (_, output) = try await runTool(["java", "PropertiesDump.java"] + files, directory: fixtures)
        let oracle = try JSONParser.parse(bytes: Array(output))
        let empty = makeTemporaryDirectory()
        for file in files {
            let path = fixtures.appendingPathComponent(file).path
            let outcome = try await runBinary(["config", "show", "--json", "--raw", "--framework-properties", path], directory: empty)
            #expect(outcome.code == 0, "\(file): \(outcome.stderr)")
            var pairs = ValueObject()
            for entry in try JSONParser.parse(outcome.stdout).objectValue ?? ValueObject() {
                pairs[entry.key] = entry.value["value"]
            }
            #expect(Value.object(pairs) == oracle[file], "\(file)")
        }
    }
}

@Suite struct ExampleFilesTests {
    /// framework.properties.example documents every setting pdstep reads, with its default.
    @Test func frameworkPropertiesExampleListsEverySettingWithItsDefault() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("framework.properties.example"), encoding: .utf8)
        let lines = Set(text.split(separator: "\n").map { String($0.drop { $0 == "#" }) })
        let missing = KnownSettings.all.filter { !lines.contains("\($0.key)=\($0.defaultValue)") }.map(\.key)
        #expect(missing.isEmpty, "not documented with their defaults: \(missing)")
    }
}

@Suite struct ConvertCommandTests {
    @Test func yamlToJSONAndBack() async throws {
        let dir = makeTemporaryDirectory()
        try "name: x\nn: 010\nlist: [a, yes]\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        let json = await pdstep(["convert", "a.yaml"], directory: dir)
        #expect(json.code == 0)
        #expect(try JSONParser.parse(json.stdout) == ["name": "x", "n": 8, "list": ["a", true]])
        try json.stdout.write(toFile: dir + "/b.json", atomically: true, encoding: .utf8)
        let yaml = await pdstep(["convert", "b.json", "--to", "yaml"], directory: dir)
        #expect(yaml.stdout == "name: x\nn: 8\nlist:\n- a\n- true\n")
    }

    @Test func syntaxErrorsExit2WithFileLineColumn() async throws {
        let dir = makeTemporaryDirectory()
        try "a: 1\nb: [1, 2\n".write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let outcome = await pdstep(["convert", "bad.yaml"], directory: dir)
        #expect(outcome.code == 2)
        #expect(outcome.stderr.contains("bad.yaml:2:4: unterminated flow list"))
        let missing = await pdstep(["convert", "nope.yaml"], directory: dir)
        #expect(missing.code == 2 && missing.stderr.contains("nope.yaml: no such file"))
    }
}

@Suite struct RunCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Job exports shaped like Rundeck's own published examples validate, and their local
    /// steps run.
    @Test func rundeckExportsValidateAndRun() async throws {
        let corpus = Self.root.appendingPathComponent("Tests/YAMLTests/Corpus/valid").path
        let dir = makeTemporaryDirectory()
        let status = try await runBinary(["validate", corpus + "/rundeck-export-status.yaml"], directory: dir)
        #expect(status.code == 2 && status.stderr.contains("dispatches to other nodes"))
        let local = try await runBinary(["validate", corpus + "/rundeck-export-status.yaml", "--ignore-node-filter"], directory: dir)
        #expect(local.code == 0 && local.stdout.contains("ok: job Administration/Linux/Service Status (1 step)"))
        try FileManager.default.createDirectory(atPath: dir + "/src", withIntermediateDirectories: true)
        try "x".write(toFile: dir + "/src/file.txt", atomically: true, encoding: .utf8)
        let copy = try await runBinary(["run", corpus + "/rundeck-export-copy.yaml", "-o", "sourcedir=src", "-o", "destdir=dst"], directory: dir)
        #expect(copy.code == 0, "\(copy.stdout)\(copy.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/dst/file.txt"))
    }

    @Test func exampleJobsRunGreen() async throws {
        let examples = Self.root.appendingPathComponent("examples/jobs").path
        for name in try FileManager.default.contentsOfDirectory(atPath: examples).filter({ $0.hasSuffix(".yaml") }).sorted() {
            let outcome = try await runBinary(["run", examples + "/" + name, "--sandbox"], directory: makeTemporaryDirectory())
            #expect(outcome.code == 0, "\(name): \(outcome.stdout)\(outcome.stderr)")
        }
    }

    @Test func exitCodeFollowsTheJobState() async throws {
        let dir = makeTemporaryDirectory()
        try "- name: j\n  timeout: 1s\n  sequence:\n    commands:\n    - exec: sleep 20\n".write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
        #expect(try await runBinary(["run", "t.yaml"], directory: dir).code == 124)
        try "- name: j\n  sequence:\n    commands:\n    - exec: exit 9\n".write(toFile: dir + "/f.yaml", atomically: true, encoding: .utf8)
        let failed = try await runBinary(["run", "f.yaml", "--log-format", "json"], directory: dir)
        #expect(failed.code == 1)
        let events = try failed.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(events.last?["event"] == "job_end" && events.last?["state"] == "failed")
        try "- name: j\n  sequence:\n    commands:\n    - type: no-such-step\n".write(toFile: dir + "/u.yaml", atomically: true, encoding: .utf8)
        let unknown = try await runBinary(["run", "u.yaml"], directory: dir)
        #expect(unknown.code == 2 && unknown.stdout.contains("unknown step type 'no-such-step'"))
        try "- name: j\n  sequence: [\n".write(toFile: dir + "/s.yaml", atomically: true, encoding: .utf8)
        let syntax = try await runBinary(["run", "s.yaml"], directory: dir)
        #expect(syntax.code == 2 && syntax.stderr.contains("s.yaml:2:13: unterminated flow list"))
    }

    @Test func severalJobsNeedAChoice() async throws {
        let dir = makeTemporaryDirectory()
        try "- name: a\n  sequence: {commands: [{exec: 'echo A'}]}\n- name: b\n  group: g\n  sequence: {commands: [{exec: 'echo B'}]}\n"
            .write(toFile: dir + "/two.yaml", atomically: true, encoding: .utf8)
        let none = await pdstep(["run", "two.yaml"], directory: dir)
        #expect(none.code == 2 && none.stderr.contains("choose one with --job: a, g/b"))
        let chosen = await pdstep(["run", "two.yaml", "--job", "g/b"], directory: dir)
        #expect(chosen.code == 0 && chosen.stdout.contains("        B\n"))
    }
}
