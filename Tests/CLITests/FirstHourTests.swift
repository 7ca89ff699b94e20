import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport
import Values
import StepLibrary
import StepKit
@testable import PDStepCLI

/// The first hour with pdstep: the sandbox's own recipe works as printed, a run against it can
/// be kept up to look at, and machine output is machine-readable.
struct FirstHourTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/jobs/page-and-resolve.yaml").path

    /// A pdstep process whose output is read line by line while it runs.
    final class Running: @unchecked Sendable {
        let process = Process()
        let output = Pipe()
        let errors = Pipe()

        init(_ arguments: [String], directory: String) throws {
            process.executableURL = pdstepBinary
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        /// Lines of standard output until one contains `marker` (at most 30 s).
        func lines(until marker: String) async throws -> [String] {
            let handle = output.fileHandleForReading
            return try await offload {
                var lines: [String] = []
                var line = Data()
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline, let byte = try handle.read(upToCount: 1), !byte.isEmpty {
                    if byte == Data("\n".utf8) {
                        lines.append(String(decoding: line, as: UTF8.self))
                        if lines.last?.contains(marker) == true { return lines }
                        line = Data()
                    } else {
                        line += byte
                    }
                }
                return lines
            }
        }

        func interrupt() async -> Int32 {
            process.interrupt()
            let process = self.process
            _ = try? await offload { process.waitUntilExit() }
            return process.terminationStatus
        }
    }

    static func get(_ url: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// `pdstep sandbox --configure DIR` writes settings and keys that work as printed.
    @Test func theSandboxsRecipeWorksAsPrinted() async throws {
        let directory = makeTemporaryDirectory()
        let sandbox = try Running(["sandbox", "--configure", "sbx"], directory: directory)
        let first = try await sandbox.lines(until: "url").first ?? ""
        let url = try JSONParser.parse(first)["url"]?.stringValue ?? ""
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let ran = try await runBinary(
            ["run", Self.example, "--framework-properties", "sbx/framework.properties", "--storage", "sbx/storage"], directory: directory)
        #expect(ran.code == 0, "\(ran.stdout)\(ran.stderr)")
        // Or from the folder itself, where both are the defaults.
        let inside = try await runBinary(["run", Self.example], directory: directory + "/sbx")
        #expect(inside.code == 0, "\(inside.stdout)\(inside.stderr)")
        let (status, state) = try await Self.get(url + "/_sandbox/state")
        #expect(status == 200 && state.contains("\"incidents\""))
        _ = await sandbox.interrupt()
    }

    /// `run --keep-sandbox` leaves the sandbox up after the job, until Ctrl-C, which ends pdstep
    /// with the job's exit code.
    @Test func keepSandboxKeepsItUpUntilInterrupted() async throws {
        let run = try Running(["run", Self.example, "--keep-sandbox"], directory: makeTemporaryDirectory())
        let lines = try await run.lines(until: "kept running at")
        let kept = lines.last ?? ""
        #expect(kept.contains("sandbox: kept running at http://127.0.0.1:"), "\(lines)")
        let url = kept.split(separator: " ").first { $0.hasPrefix("http://") }.map { String($0.dropLast()) } ?? ""
        let (status, page) = try await Self.get(url + "/")
        #expect(status == 200 && page.contains("<"), "\(url)")
        #expect(await run.interrupt() == 0)
    }

    /// `--log-format json` puts JSON lines only on standard output, the sandbox's lines included.
    @Test func jsonLogsAreJSONOnly() async throws {
        let outcome = try await runBinary(["run", Self.example, "--sandbox", "--log-format", "json"], directory: makeTemporaryDirectory())
        #expect(outcome.code == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines { #expect((try? JSONParser.parse(String(line))) != nil, "not JSON: \(line)") }
        #expect(outcome.stderr.contains("sandbox: an emulated PagerDuty account"))
    }

    /// `--json` is the one spelling for machine output: the run's JSON lines (numbers as
    /// numbers; a job that cannot start is a JSON event too), validate's report, a step's result.
    @Test func jsonEverywhere() async throws {
        let directory = makeTemporaryDirectory()
        let run = try await runBinary(["run", Self.example, "--sandbox", "--json"], directory: directory)
        let events = run.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(run.code == 0 && events.count == run.stdout.split(separator: "\n").count, "\(run.stdout)")
        #expect(events.first?["execid"]?.intValue != nil)
        #expect(events.first { $0["event"] == "step_start" }?["step"] == .int(1))
        try "- name: x\n  sequence: [\n".write(toFile: directory + "/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try await runBinary(["run", "bad.yaml", "--json"], directory: directory)
        let failure = try JSONParser.parse(bad.stdout)
        #expect(bad.code == 2 && failure["event"] == "error" && failure["exit_code"] == .int(2), "\(bad.stdout)")
        #expect(failure["message"]?.stringValue?.contains("bad.yaml:2:") == true)
        let checked = try await runBinary(["validate", Self.example, "--json", "--sandbox"], directory: directory)
        let report = try JSONParser.parse(checked.stdout)
        #expect(checked.code == 0 && report["ok"] == .bool(true) && report["jobs"]?[0]?["steps"] == .int(5), "\(checked.stdout)")
        let unchecked = try await runBinary(["validate", Self.example, "--json"], directory: directory)
        let uncheckedReport = try JSONParser.parse(unchecked.stdout)
        #expect(unchecked.code == 2 && uncheckedReport["jobs"]?[0]?["problems"]?.arrayValue?.isEmpty == false)
        let step = try await runBinary(["send-event", "--summary", "s", "--sandbox", "--json"], directory: directory)
        let result = try JSONParser.parse(step.stdout)
        #expect(step.code == 0 && result["status"] == "succeeded", "\(step.stdout)\(step.stderr)")
        let both = try await runBinary(["send-event", "--summary", "s", "--json", "--output", "rundeck"], directory: directory)
        #expect(both.code == 2 && both.stderr.contains("--json and --output rundeck ask for different outputs"))
    }
}

/// Every step's `--help` examples are valid: the sandbox one runs through to PagerDuty (the
/// sandbox may answer that an example id does not exist, never that the command is wrong), and
/// the help lists the step's properties as flags.
@Suite struct HelpExamplesTests {
    @Test func eachStepsSandboxExampleIsAValidCommand() async throws {
        let directory = makeTemporaryDirectory()
        let binDirectory = pdstepBinary.deletingLastPathComponent().path
        for step in StepCatalog.builtIn.steps {
            let descriptor = step.descriptor
            let help = StepCommand.help(descriptor)
            #expect(help.contains("Examples:") && help.contains("Exit codes:"), "\(descriptor.name)")
            for property in descriptor.properties { #expect(help.contains("--" + property.name.replacingOccurrences(of: "_", with: "-")), "\(descriptor.name): \(property.name)") }
            let example = StepCommand.examples(descriptor)[0].components(separatedBy: "  #")[0]
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", example]
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = ["PATH": binDirectory + ":/usr/bin:/bin"]
            let errors = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            let text = String(decoding: try await offload { errors.fileHandleForReading.readDataToEndOfFile() }, as: UTF8.self)
            process.waitUntilExit()
            #expect([0, 1].contains(process.terminationStatus), "\(example) exited \(process.terminationStatus): \(text)")
        }
    }
}

/// `pdstep completion bash|zsh`: completes commands, steps and each one's flags, from the same
/// tables the parser uses.
@Suite struct CompletionTests {
    func complete(_ words: [String]) async throws -> [String] {
        let script = await pdstep(["completion", "bash"]).stdout
        let directory = makeTemporaryDirectory()
        try script.write(toFile: directory + "/completion.bash", atomically: true, encoding: .utf8)
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let (status, output) = try await runTool([
            "bash", "-c", "source \(directory)/completion.bash; COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); _pdstep; printf '%s\\n' \"${COMPREPLY[@]}\"",
        ])
        #expect(status == 0)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func completesCommandsStepsAndFlags() async throws {
        #expect(try await complete(["pdstep", "ru"]) == ["run", "run-response-play"])
        #expect(try await complete(["pdstep", "send-event", "--sum"]) == ["--summary"])
        #expect(try await complete(["pdstep", "run", "--keep"]) == ["--keep-sandbox"])
        #expect(try await complete(["pdstep", "validate", "--allow"]) == ["--allow-unknown-config"])
        let zsh = await pdstep(["completion", "zsh"])
        #expect(zsh.code == 0 && zsh.stdout.contains("bashcompinit") && zsh.stdout.contains("complete -F _pdstep pdstep"))
        #expect(await pdstep(["completion", "fish"]).code == 2)
    }
}

/// List steps print a table for a person (a terminal, or --output table) and JSON for a
/// program (a pipe, or --json).
@Suite struct ResultTableTests {
    @Test func listsAreTablesForPeopleAndJSONForPrograms() async throws {
        let directory = makeTemporaryDirectory()
        let table = try await runBinary(["list-users", "--sandbox", "--output", "table"], directory: directory)
        #expect(table.code == 0)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("ID       NAME            EMAIL              ROLE") == true, "\(table.stdout)")
        #expect(lines.contains("PUSR002  Bob Responder   bob@example.com    user") && lines.last == "4 users (--json for everything)", "\(table.stdout)")
        #expect(!table.stdout.contains("\u{1B}["), "no colour when not on a terminal")
        // Piped, the default is the JSON result.
        let piped = try await runBinary(["list-users", "--sandbox"], directory: directory)
        #expect((try JSONParser.parse(piped.stdout))["status"] == "succeeded")
        // A result with no list is JSON even when a table is asked for.
        let event = try await runBinary(["send-event", "--summary", "s", "--sandbox", "--output", "table"], directory: directory)
        #expect((try JSONParser.parse(event.stdout))["status"] == "succeeded")
        let none = try await runBinary(["list-incidents", "--sandbox", "--output", "table"], directory: directory)
        #expect(none.stdout == "no incidents\n", "\(none.stdout)")
    }
}
