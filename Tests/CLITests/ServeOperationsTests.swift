import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPServer
import Synchronization
import Testing
import TestSupport
import Values
import YAML

/// `pdstep serve` as a service: what it accepted survives kill -9, the overall and per-job
/// limits hold, SIGTERM drains, and its executions and metrics can be read over HTTP.
@Suite struct ServeOperationsTests {
    /// A folder with the webhook secret, a routes file sending high-urgency events to `Parallel`
    /// (multipleExecutions) and the rest to `Single`, and both jobs, which record how many of
    /// their runs overlap.
    static func folder(extraJob: String = slowJob(seconds: 1, notify: 9)) async throws -> String {
        let directory = makeTemporaryDirectory()
        // Each run counts the runs under way (all, and its job's) as it starts, and holds until
        // the test has sent every event (the file `go`).
        let overlap = """
            mkdir -p running running-$RD_JOB_NAME && touch running/$RD_OPTION_ID running-$RD_JOB_NAME/$RD_OPTION_ID
            echo $(ls running | wc -l) $(ls running-$RD_JOB_NAME | wc -l) >> overlaps-$RD_JOB_NAME.txt; echo $RD_OPTION_ID >> order.txt
            i=0; while [ ! -e go ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
            sleep 0.2; rm running/$RD_OPTION_ID running-$RD_JOB_NAME/$RD_OPTION_ID; echo $RD_OPTION_ID >> finished.txt
            """
        try """
            - name: Parallel
              multipleExecutions: true
              options: [{name: id}]
              sequence:
                commands:
                - script: \(JSONWriter.write(.string(overlap)))
            - name: Single
              options: [{name: id}]
              sequence:
                commands:
                - script: \(JSONWriter.write(.string(overlap)))
            \(extraJob)
            """.write(toFile: directory + "/jobs.yaml", atomically: true, encoding: .utf8)
        try """
            - name: parallel
              when: {urgency: high}
              job: jobs.yaml
              job_name: Parallel
              options: {id: '${event.id}'}
            - name: single
              when: {urgency: low}
              job: jobs.yaml
              job_name: Single
              options: {id: '${event.id}'}
            - name: slow
              when: {urgency: slow}
              job: jobs.yaml
              job_name: Slow
              options: {id: '${event.id}'}
            """.write(toFile: directory + "/routes.yaml", atomically: true, encoding: .utf8)
        #expect(try await runBinary(["keys", "put", "keys/pd/webhook", "--password-stdin"], stdin: ServeTests.secret, directory: directory).code == 0)
        return directory
    }

    /// A slow job (for the stop tests) whose onfailure posts to `notify`.
    static func slowJob(seconds: Double, notify port: UInt16) -> String {
        """
        - name: Slow
          options: [{name: id}]
          notification:
            onfailure:
              urls: http://127.0.0.1:\(port)/failed
              format: json
          sequence:
            commands:
            - exec: touch started
            - exec: sleep \(seconds)
            - exec: touch finished
        """
    }

    static func event(_ id: String, urgency: String) -> [UInt8] {
        Array(JSONWriter.write(["event": [
            "id": .string(id), "event_type": "incident.triggered", "resource_type": "incident",
            "data": ["id": "PINC00001", "type": "incident", "title": "t", "urgency": .string(urgency), "service": ["id": "PSVC001", "summary": "S"]],
        ]]).utf8)
    }

    static func send(_ url: String, _ id: String, urgency: String) async throws -> Int {
        let body = event(id, urgency: urgency)
        return try await ServeTests.post(url, body, signature: ServeTests.sign(body))
    }

    static func serve(_ directory: String, _ extra: [String] = []) async throws -> (FirstHourTests.Running, Value) {
        let serve = try FirstHourTests.Running(["serve", "--routes", "routes.yaml"] + extra, directory: directory)
        return (serve, try JSONParser.parse(try await serve.lines(until: "webhook_url").first ?? "{}"))
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits (up to 20 s) until `condition` holds.
    static func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<200 {
            if await condition() { return true }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return await condition()
    }

    static func get(_ url: String, accept: String? = nil) async throws -> (Int, String, String) {
        var request = URLRequest(url: URL(string: url)!)
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Content-Type") ?? "", String(decoding: data, as: UTF8.self))
    }

    /// --concurrency caps the runs at once; a job without multipleExecutions runs one at a time
    /// (its events wait in the spool) while another job's events go ahead of them.
    @Test func theConcurrencyLimitsHold() async throws {
        let directory = try await Self.folder()
        let (serve, info) = try await Self.serve(directory, ["--concurrency", "3"])
        let url = info["webhook_url"]?.stringValue ?? ""
        for index in 0..<3 { #expect(try await Self.send(url, "LOW\(index)", urgency: "low") == 202) }
        for index in 0..<5 { #expect(try await Self.send(url, "HIGH\(index)", urgency: "high") == 202) }
        #expect(await Self.eventually { Self.lines(directory + "/order.txt").count == 3 })
        FileManager.default.createFile(atPath: directory + "/go", contents: nil)
        #expect(await Self.eventually { Self.lines(directory + "/finished.txt").count == 8 })
        func overlaps(_ job: String) -> [(all: Int, job: Int)] {
            Self.lines(directory + "/overlaps-\(job).txt").map { $0.split(separator: " ").compactMap { Int($0) } }.filter { $0.count == 2 }.map { ($0[0], $0[1]) }
        }
        let parallel = overlaps("Parallel"), single = overlaps("Single")
        #expect(parallel.count == 5 && single.count == 3)
        #expect((parallel + single).allSatisfy { $0.all <= 3 }, "more than 3 at once: \(parallel) \(single)")
        #expect((parallel + single).contains { $0.all == 3 }, "the 3 slots were never used at once")
        #expect(single.allSatisfy { $0.job == 1 }, "Single (no multipleExecutions) overlapped itself: \(single)")
        #expect(parallel.contains { $0.job >= 2 }, "Parallel (multipleExecutions) never overlapped itself: \(parallel)")
        // HIGH0 came after LOW1 and LOW2, and started before them: they waited for their job.
        let order = Self.lines(directory + "/order.txt")
        #expect((order.firstIndex(of: "HIGH0") ?? 99) < (order.firstIndex(of: "LOW1") ?? -1), "\(order)")
        // The executions are listed, newest first, each with its result once its job has ended
        // (a moment after the job's last line).
        var (status, type, body) = (0, "", "")
        var executions: [Value] = []
        _ = await Self.eventually {
            (status, type, body) = (try? await Self.get((info["url"]?.stringValue ?? "") + "/executions")) ?? (0, "", "")
            executions = (try? JSONParser.parse(body))?["executions"]?.arrayValue ?? []
            return executions.count == 8 && executions.allSatisfy { $0["state"] == "succeeded" && $0["exit_code"] == 0 }
        }
        #expect(status == 200 && type == "application/json" && executions.count == 8, "\(body.prefix(500))")
        #expect(executions.allSatisfy { $0["state"] == "succeeded" && $0["exit_code"] == 0 }, "\(body.prefix(1500))")
        let ids = executions.compactMap { Int($0["id"]?.stringValue ?? "") }
        #expect(ids == ids.sorted(by: >))
        // /metrics, read by Prometheus's own parser where it is installed.
        let (_, metricsType, metrics) = try await Self.get((info["url"]?.stringValue ?? "") + "/metrics")
        #expect(metricsType.hasPrefix("text/plain; version=0.0.4"))
        #expect(metrics.contains("pdstep_executions_total{result=\"succeeded\"} 8\n") && metrics.contains("pdstep_webhooks_accepted_total 8\n"), "\(metrics)")
        #expect(metrics.contains("pdstep_queue_depth 0\n") && metrics.contains("pdstep_execution_duration_seconds_count 8\n"))
        if pythonHas("prometheus_client") {
            let script = """
                import sys
                from prometheus_client.parser import text_string_to_metric_families
                families = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}
                samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
                assert samples[("pdstep_executions_total", (("result", "succeeded"),))] == 8, samples
                assert families["pdstep_execution_duration_seconds"].type == "histogram"
                assert samples[("pdstep_webhook_to_start_seconds_count", ())] == 8
                print(len(families))
                """
            let (code, output) = try await runTool(["python3", "-c", script], stdin: metrics)
            #expect(code == 0, "\(String(decoding: output, as: UTF8.self))")
        }
        _ = await serve.interrupt()
    }

    /// kill -9 right after the 202: nothing ran to its end, and the next start runs it.
    @Test func whatWasAcceptedRunsAfterKillNine() async throws {
        // The job cannot end before the test creates `go`, however slow the machine.
        let gated = "- name: Slow\n  options: [{name: id}]\n  sequence:\n    commands:\n    - script: 'i=0; while [ ! -e go ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done; touch finished'\n"
        let directory = try await Self.folder(extraJob: gated)
        let (first, info) = try await Self.serve(directory)
        #expect(try await Self.send(info["webhook_url"]?.stringValue ?? "", "KILLED1", urgency: "slow") == 202)
        let pid = first.process.processIdentifier
        kill(pid, SIGKILL)
        // Dead once it is a zombie or gone (Process.waitUntilExit would also wait for the job
        // it left running, which kill -9 does not end).
        #expect(await Self.eventually {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") == true
        })
        #expect(!FileManager.default.fileExists(atPath: directory + "/finished"))
        #expect(FileManager.default.fileExists(atPath: directory + "/spool/events/KILLED1.json"))
        FileManager.default.createFile(atPath: directory + "/go", contents: nil)
        let (second, _) = try await Self.serve(directory)
        #expect(await Self.eventually { FileManager.default.fileExists(atPath: directory + "/spool/done/KILLED1.json") })
        #expect(FileManager.default.fileExists(atPath: directory + "/finished"))
        _ = await second.interrupt()
    }

    /// SIGTERM: no new webhook is taken (503, so PagerDuty delivers it again), a running job may
    /// finish within the grace period, and pdstep exits 0 with nothing left behind.
    @Test func sigtermLetsRunningJobsFinish() async throws {
        let directory = try await Self.folder(extraJob: Self.slowJob(seconds: 1.5, notify: 9))
        let (serve, info) = try await Self.serve(directory, ["--grace", "20"])
        let url = info["webhook_url"]?.stringValue ?? ""
        #expect(try await Self.send(url, "DRAIN1", urgency: "slow") == 202)
        #expect(await Self.eventually { FileManager.default.fileExists(atPath: directory + "/started") })
        kill(serve.process.processIdentifier, SIGTERM)
        try? await Task.sleep(nanoseconds: 300_000_000)
        let refused = try? await Self.send(url, "DRAIN2", urgency: "slow")
        #expect(refused == nil || refused == 503, "a webhook was taken while stopping: \(String(describing: refused))")
        _ = try? await offload { serve.process.waitUntilExit() }
        #expect(serve.process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: directory + "/finished"), "the running job was not let finish")
        #expect(FileManager.default.fileExists(atPath: directory + "/spool/done/DRAIN1.json"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/spool/events/DRAIN2.json"))
    }

    /// serve outlives whoever read its output: with both pipes closed it still takes an event
    /// and runs its job (a closed pipe once meant SIGPIPE at its next log line, and the end of
    /// every run in it).
    @Test func aClosedLogDoesNotEndServe() async throws {
        let directory = try await Self.folder(extraJob: Self.slowJob(seconds: 0.1, notify: 9))
        let (serve, info) = try await Self.serve(directory)
        try serve.output.fileHandleForReading.close()
        try serve.errors.fileHandleForReading.close()
        #expect(try await Self.send(info["webhook_url"]?.stringValue ?? "", "PIPE1", urgency: "slow") == 202)
        #expect(await Self.eventually { FileManager.default.fileExists(atPath: directory + "/finished") }, "the job did not run to its end")
        #expect(serve.process.isRunning)
        #expect(await serve.interrupt() == 0)
    }

    /// SIGTERM with a job that outlasts the grace period: it is ended as aborted, its onfailure
    /// notification fires with status aborted, and its event stays in the spool to run again.
    @Test func sigtermAbortsWhatOutlastsTheGrace() async throws {
        let received = Mutex<[HTTPRequest]>([])
        let hooks = HTTPServer { request in
            received.withLock { $0.append(request) }
            return HTTPResponse(status: 200)
        }
        let port = try hooks.start()
        defer { hooks.stop() }
        let directory = try await Self.folder(extraJob: Self.slowJob(seconds: 120, notify: port))
        let (serve, info) = try await Self.serve(directory, ["--grace", "1"])
        #expect(try await Self.send(info["webhook_url"]?.stringValue ?? "", "ABORT1", urgency: "slow") == 202)
        #expect(await Self.eventually { FileManager.default.fileExists(atPath: directory + "/started") })
        let started = Date()
        kill(serve.process.processIdentifier, SIGTERM)
        _ = try? await offload { serve.process.waitUntilExit() }
        #expect(Date().timeIntervalSince(started) < 60, "the stop waited for the job (120 s) instead of its grace period (1 s)")
        #expect(serve.process.terminationStatus == 143)
        let posted = received.withLock { $0 }
        #expect(posted.count == 1 && (try? JSONParser.parse(bytes: posted[0].body))?["status"] == "aborted", "\(posted.map { String(decoding: $0.body, as: UTF8.self) })")
        #expect(FileManager.default.fileExists(atPath: directory + "/spool/events/ABORT1.json"), "the aborted event left the spool")
        #expect(!FileManager.default.fileExists(atPath: directory + "/finished"))
        let records = try FileManager.default.contentsOfDirectory(atPath: directory + "/spool/executions").filter { $0.hasSuffix(".json") }
        let record = try JSONParser.parse(String(contentsOfFile: directory + "/spool/executions/" + (records.first ?? ""), encoding: .utf8))
        #expect(record["state"] == "aborted" && record["aborted_by"] == "SIGTERM", "\(record)")
    }

    /// An execution's page: JSON for programs, HTML for browsers (escaped), its logs, and
    /// Rundeck's `${job.url}` shape leading to it.
    @Test func anExecutionCanBeRead() async throws {
        let directory = makeTemporaryDirectory()
        try """
            - name: Linked
              options: [{name: title}]
              sequence:
                commands:
                - exec: echo "url=${job.url} title=${option.title}"
            """.write(toFile: directory + "/j.yaml", atomically: true, encoding: .utf8)
        try "- name: all\n  job: j.yaml\n  options: {title: '${event.data.title}'}\n".write(toFile: directory + "/routes.yaml", atomically: true, encoding: .utf8)
        #expect(try await runBinary(["keys", "put", "keys/pd/webhook", "--password-stdin"], stdin: ServeTests.secret, directory: directory).code == 0)
        let (serve, info) = try await Self.serve(directory)
        let base = info["url"]?.stringValue ?? ""
        let body = ServeTests.event("PAGE1", title: "<script>alert(1)</script>")
        #expect(try await ServeTests.post(info["webhook_url"]?.stringValue ?? "", body, signature: ServeTests.sign(body)) == 202)
        var record: Value = .null
        #expect(await Self.eventually {
            let list = (try? JSONParser.parse(String(decoding: (try? Data(contentsOf: URL(string: base + "/executions")!)) ?? Data(), as: UTF8.self)))
            record = list?["executions"]?[0] ?? .null
            return record["state"] == "succeeded"
        })
        let id = record["id"]?.stringValue ?? "?"
        let (status, _, json) = try await Self.get(base + "/executions/\(id)")
        let shown = try JSONParser.parse(json)
        let url = "\(base)/project/pdstep/execution/show/\(id)"
        #expect(status == 200 && shown["log"]?.stringValue?.contains("url=\(url) title=<script>alert(1)</script>") == true, "\(json)")
        #expect(shown["event"] == "PAGE1" && shown["incident"] == "PINC00001" && shown["job"] == "Linked")
        // ${job.url} leads to the page (URLSession follows the redirect).
        let (linked, htmlType, html) = try await Self.get(url, accept: "text/html")
        #expect(linked == 200 && htmlType.hasPrefix("text/html"))
        #expect(html.contains("title=&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert"), "\(html)")
        let (_, _, text) = try await Self.get(base + "/executions/\(id)/log")
        #expect(text.contains("title=<script>alert(1)</script>"))
        let (_, _, lines) = try await Self.get(base + "/executions/\(id)/log.jsonl")
        #expect(lines.split(separator: "\n").allSatisfy { (try? JSONParser.parse(String($0))) != nil } && lines.contains("\"job_end\""), "\(lines)")
        #expect(try await Self.get(base + "/executions/999").0 == 404)
        #expect(try await Self.get(base + "/executions/../../etc/passwd").0 == 404)
        _ = await serve.interrupt()
    }

    /// The README's systemd unit and Kubernetes Deployment start serve as written (their paths
    /// moved under a test folder, the port a free one): the init container's key copy, every
    /// flag, the probes' /healthz, a signed webhook running a job.
    @Test func theServiceRecipesWork() async throws {
        let readme = try String(contentsOf: ReadmeCommandsTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let unit = readme.components(separatedBy: "```ini\n").dropFirst().first?.components(separatedBy: "```").first ?? ""
        let execStart = unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }.map { $0.dropFirst("ExecStart=".count).split(separator: " ").map(String.init) } ?? []
        let manifest = "apiVersion: apps/v1" + (readme.components(separatedBy: "```yaml\napiVersion: apps/v1").dropFirst().first?.components(separatedBy: "```").first ?? "")
        let spec = try YAMLParser.parse(manifest)["spec"]?["template"]?["spec"]
        let initCommand = spec?["initContainers"]?[0]?["command"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let container = spec?["containers"]?[0]
        let args = container?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(execStart.first == "/usr/local/bin/pdstep" && initCommand.first == "sh" && args.first == "serve", "\(execStart) \(initCommand) \(args)")
        #expect(container?["readinessProbe"]?["httpGet"]?["path"] == "/healthz")

        for recipe in ["systemd", "kubernetes"] {
            let directory = makeTemporaryDirectory()
            func local(_ text: String) -> String {
                var text = text
                for (from, to) in [("/var/lib/pdstep", directory), ("/etc/pdstep", directory + "/etc"), ("/spool", directory + "/spool"), ("/keys", directory + "/keys"),
                                   ("/secrets", directory + "/secrets"), ("0.0.0.0:8090", "127.0.0.1:0"), ("127.0.0.1:8090", "127.0.0.1:0")] {
                    text = text.replacingOccurrences(of: from, with: to)
                }
                return text
            }
            for folder in ["etc", "secrets"] { try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true) }
            try "- name: Hello\n  options: [{name: id}]\n  sequence:\n    commands:\n    - exec: echo ${option.id} >> served.txt\n"
                .write(toFile: directory + "/etc/hello.yaml", atomically: true, encoding: .utf8)
            try "- name: all\n  job: hello.yaml\n  options: {id: '${event.id}'}\n".write(toFile: directory + "/etc/routes.yaml", atomically: true, encoding: .utf8)
            try "".write(toFile: directory + "/etc/framework.properties", atomically: true, encoding: .utf8)
            var arguments: [String]
            if recipe == "systemd" {
                #expect(try await runBinary(["keys", "put", "keys/pd/webhook", "--password-stdin"], stdin: ServeTests.secret, directory: directory).code == 0)
                arguments = execStart.dropFirst().map(local)
            } else {
                // The init container, with pdstep on its PATH and the Secret's files.
                try ServeTests.secret.write(toFile: directory + "/secrets/webhook", atomically: true, encoding: .utf8)
                try "u+0123456789abcdef".write(toFile: directory + "/secrets/api", atomically: true, encoding: .utf8)
                let path = pdstepBinary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
                let (code, output) = try await runTool(["env", "PATH=" + path] + initCommand.map(local))
                #expect(code == 0, "\(String(decoding: output, as: UTF8.self))")
                arguments = args.map(local)
            }
            let serve = try FirstHourTests.Running(arguments, directory: directory)
            let info = try JSONParser.parse(try await serve.lines(until: "webhook_url").first ?? "{}")
            let base = info["url"]?.stringValue ?? "?"
            #expect(try await Self.get(base + "/healthz").0 == 200, "\(recipe)")
            #expect(try await Self.send(info["webhook_url"]?.stringValue ?? "", "RECIPE1", urgency: "high") == 202, "\(recipe)")
            #expect(await Self.eventually { Self.lines(directory + "/served.txt") == ["RECIPE1"] }, "\(recipe)")
            _ = await serve.interrupt()
        }
    }
}
