import Foundation
import Testing
import TestSupport
@testable import Sandbox
import Values

/// Every command in README.md's `sh` blocks runs as written, in README order, through bash, in
/// a folder set up as a reader's would be: settings pointing at a sandbox, a key storage, the
/// job files the commands name. Only paths a test cannot write are moved under the folder
/// (`/usr/local/bin`, `/var/lib/pdstep`, `/etc/pdstep`); commands that run until Ctrl-C are run
/// by `FirstHourTests` instead.
struct ReadmeCommandsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The command lines of the README's sh blocks (continuations joined, comments cut).
    static func commands() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var lines: [String] = []
        for block in text.components(separatedBy: "```sh\n").dropFirst() {
            var pending = ""
            for raw in (block.components(separatedBy: "```").first ?? "").split(separator: "\n", omittingEmptySubsequences: false) {
                var line = pending + String(raw)
                pending = ""
                if line.hasSuffix("\\") {
                    pending = String(line.dropLast()) + " "
                    continue
                }
                // A trailing `# comment` after two spaces is the README's note, not shell.
                if let note = line.range(of: "  # ") { line = String(line[..<note.lowerBound]) }
                line = line.trimmingCharacters(in: .whitespaces)
                if !line.isEmpty && !line.hasPrefix("#") { lines.append(line) }
            }
        }
        return lines
    }

    /// Lines not run here, and why.
    static let runElsewhere: [String: String] = [
        "swift test": "the test command itself (.ci/run runs it)",
        "bash scripts/install.sh": "builds the release binary and installs under /usr/local (.ci/run runs it into a temporary prefix; InstallTests runs it with the test's binary)",
        "pdstep sandbox [--port 8089]": "runs until Ctrl-C (FirstHourTests)",
        "pdstep sandbox --configure sbx": "runs until Ctrl-C (FirstHourTests.theSandboxsRecipeWorksAsPrinted)",
        "pdstep run examples/jobs/page-and-resolve.yaml --framework-properties sbx/framework.properties --storage sbx/storage":
            "needs the sandbox of the line before (FirstHourTests.theSandboxsRecipeWorksAsPrinted)",
        "pdstep run examples/jobs/page-and-resolve.yaml --keep-sandbox": "runs until Ctrl-C (FirstHourTests)",
        "pdstep serve --routes examples/webhooks/routes.yaml --listen 127.0.0.1:8090": "runs until Ctrl-C (ServeTests.theExampleLoopPostsItsNote)",
        "pdstep serve --routes examples/webhooks/routes.yaml --sandbox --trigger \"checkout returns 5xx\"": "runs until Ctrl-C (ServeLoopTests.theLoopOnTheSandbox)",
    ]

    /// What a line may answer other than success, and what it must say then.
    static let expected: [String: (Int32, String)] = [
        // The README's incident id is an example: the sandbox has no such incident, and says so
        // (which shows the key from keys/pd/api, the default path, was read and sent).
        #"echo '{"incident_id": "PABC123", "note": "rolled back"}' | pdstep incident-note --config -"#: (1, "HTTP 404 to http://127.0.0.1"),
    ]

    /// Paths a test cannot write, moved under the test's folder.
    static func local(_ line: String) -> String {
        var line = line
        if line.hasPrefix("swift run pdstep ") { line = String(line.dropFirst("swift run ".count)) }
        if line.hasPrefix("*/5 * * * * ") { line = String(line.dropFirst("*/5 * * * * ".count)) }
        for (from, to) in [("/usr/local/bin/check-queue", "false"), ("/var/lib/pdstep/outbox", "./outbox"), ("/etc/pdstep/storage", "./storage")] {
            line = line.replacingOccurrences(of: from, with: to)
        }
        return line.replacingOccurrences(of: "pdstep describe STEP [--json]", with: "pdstep describe send-event --json")
    }

    @Test func everyCommandRunsAsWritten() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let directory = f.directory
        // Settings as a reader writes them: where PagerDuty is (here, the sandbox) and who sends;
        // the key paths are pdstep's defaults, keys/pd/api and keys/pd/routing_key.
        try """
            framework.pagerduty.api.url=\(f.url)
            framework.pagerduty.service.url=\(f.url)
            pagerduty.from_email=\(Sandbox.demo.fromEmail)
            """.write(toFile: directory + "/framework.properties", atomically: true, encoding: .utf8)
        // What the README's commands name: its job files, its examples, pd-send-event on PATH.
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("examples").path, toPath: directory + "/examples")
        let deploy = """
            - name: Deploy
              group: ops
              options: [{name: host, value: web1}, {name: severity, value: error}]
              sequence:
                commands:
                - type: pagerduty-send-event
                  configuration: {summary: 'deploying to ${option.host}', severity: '${option.severity}'}
            """
        try deploy.write(toFile: directory + "/jobs.yaml", atomically: true, encoding: .utf8)
        try deploy.write(toFile: directory + "/job.yaml", atomically: true, encoding: .utf8)
        try #"[{"name": "j", "sequence": {"commands": [{"exec": "echo hi"}]}}]"#.write(toFile: directory + "/job.json", atomically: true, encoding: .utf8)
        let xml = "<joblist><job><name>x</name><description/><sequence><command><exec>echo hi</exec></command></sequence></job></joblist>\n"
        try xml.write(toFile: directory + "/jobs.xml", atomically: true, encoding: .utf8)
        try xml.write(toFile: directory + "/job.xml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/rundeck-ops/jobs", withIntermediateDirectories: true)
        try """
            <joblist><job><name>nightly</name><group>backups</group><description/>
              <context><options><option name="target" value="db9"/></options></context>
              <sequence><command><exec>echo backing up ${option.target}</exec></command></sequence>
            </job></joblist>
            """.write(toFile: directory + "/rundeck-ops/jobs/job-1.xml", atomically: true, encoding: .utf8)
        #expect(try await runBinary(["install-links", "bin"], directory: directory).code == 0)
        let environment = [
            "PATH": "\(pdstepBinary.deletingLastPathComponent().path):\(directory)/bin:/usr/bin:/bin",
            "PD_API_KEY": Sandbox.demo.apiKey, "CI_COMMIT_SHA": "abc123", "CI_PROJECT_NAME": "shop",
            "CI_PIPELINE_URL": "https://ci.example.com/p/1",
        ]
        let commands = try Self.commands()
        #expect(commands.count >= 25)
        var ran = 0
        for written in commands where Self.runElsewhere[written] == nil {
            let line = Self.local(written)
            let outcome = try await runShell(line, directory: directory, environment: environment)
            let (code, message) = Self.expected[written] ?? (0, "")
            #expect(outcome.code == code && (message.isEmpty || (outcome.stdout + outcome.stderr).contains(message)), "\(written)\nexit \(outcome.code)\n\(outcome.stdout)\(outcome.stderr)")
            ran += 1
        }
        #expect(ran >= 25)
    }

    func runShell(_ line: String, directory: String, environment: [String: String]) async throws -> Outcome {
        try await offload {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", line]
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = environment.merging(["HOME": directory]) { $1 }
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let out = output.fileHandleForReading.readDataToEndOfFile()
            let err = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Outcome(code: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
        }
    }
}
