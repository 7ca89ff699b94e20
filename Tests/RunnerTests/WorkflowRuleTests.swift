import Foundation
import StepKit
import Testing
import Values
import YAML

@testable import Runner

/// Each rule of Rundeck's workflow semantics (rundeck.md 7.2) has a test here.
@Suite(.serialized) struct WorkflowRuleTests {
    @Test func theHandlerRunsOnlyWhenTheStepFails() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - exec: echo fine
                  errorhandler: {exec: echo HANDLER-RAN}
            """)
        #expect(outcome.state == .succeeded)
        #expect(!h.recorder.lines.contains("HANDLER-RAN"))
    }

    @Test func withKeepgoingAHandlerSuccessReplacesTheFailure() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                keepgoing: true
                commands:
                - exec: exit 4
                  errorhandler: {exec: echo recovered}
                - exec: echo next
            """)
        #expect(outcome.state == .succeeded && outcome.exitCode == .success)
        #expect(h.recorder.steps.map(\.1) == [.recovered, .succeeded])
    }

    @Test func withKeepgoingAFailedHandlerLeavesTheStepFailedButGoesOn() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                keepgoing: true
                commands:
                - exec: exit 4
                  errorhandler: {exec: exit 5}
                - exec: echo next-ran
            """)
        #expect(outcome.state == .failed && outcome.exitCode == .failed)
        #expect(h.recorder.lines.contains("next-ran"))
    }

    @Test func withoutKeepgoingAHandlerSuccessDoesNotCountWithoutKeepgoingOnSuccess() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - exec: exit 4
                  errorhandler: {exec: echo handled}
                - exec: echo must-not-run
            """)
        #expect(outcome.state == .failed)
        #expect(h.recorder.lines.contains("handled"))
        #expect(!h.recorder.lines.contains("must-not-run"))
    }

    @Test func withoutKeepgoingKeepgoingOnSuccessLetsTheWorkflowGoOn() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - exec: exit 4
                  errorhandler:
                    exec: echo handled
                    keepgoingOnSuccess: true
                - exec: echo did-run
            """)
        #expect(outcome.state == .succeeded)
        #expect(h.recorder.lines.contains("did-run"))
    }

    @Test func keepgoingNeverTurnsAFailureIntoSuccess() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                keepgoing: true
                commands:
                - exec: exit 1
                - exec: echo still-ran
                - exec: echo and-this
            """)
        #expect(outcome.state == .failed)
        #expect(outcome.failedSteps == ["[1] exec: exit 1"])
        #expect(h.recorder.lines.suffix(2) == ["still-ran", "and-this"])
    }

    @Test func withoutKeepgoingTheWorkflowStopsAtTheFirstFailure() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - exec: exit 1
                - exec: echo never
            """)
        #expect(outcome.state == .failed)
        #expect(h.recorder.steps.count == 1)
    }

    @Test func theHandlerSeesTheReasonMessageAndResultCode() async throws {
        let h = Harness()
        _ = try await h.run("""
            - name: j
              sequence:
                commands:
                - exec: exit 7
                  errorhandler: {exec: 'echo "${result.reason}|${result.message}|${result.resultCode}"'}
            """)
        #expect(h.recorder.lines.contains("NonZeroResultCode|the command exited with code 7|7"))
    }

    @Test func aPluginFailureExitCodeFollowsItsKind() async throws {
        let temporary = try await Harness().run("""
            - name: j
              sequence:
                commands:
                - type: test-probe
                  configuration: {message: x, fail: temporary}
            """)
        #expect(temporary.exitCode == .temporary)
        let remote = try await Harness().run("""
            - name: j
              sequence:
                commands:
                - type: test-probe
                  configuration: {message: x, fail: remote}
            """)
        #expect(remote.exitCode == .failed)
    }

    @Test func flowControlHaltsWithItsStatus() async throws {
        let h = Harness()
        let custom = try await h.run("""
            - name: j
              sequence:
                commands:
                - type: flow-control
                  configuration: {halt: 'true', status: 'needs a human'}
                - exec: echo never
            """)
        #expect(custom.state == .other && custom.status == "needs a human" && custom.exitCode == .failed)
        #expect(!h.recorder.lines.contains("never"))
        let succeed = try await Harness().run("""
            - name: j
              sequence:
                commands:
                - type: flow-control
                  configuration: {halt: 'true', fail: 'false'}
            """)
        #expect(succeed.state == .succeeded && succeed.exitCode == .success)
        let fail = try await Harness().run("""
            - name: j
              sequence:
                commands:
                - type: flow-control
                  configuration: {halt: 'true'}
            """)
        #expect(fail.state == .failed)
    }

    /// A handler's halt stops the workflow with its status, and the failed step's failure stands
    /// (BaseWorkflowExecutor.java 768-773 keeps the step's own result; EngineWorkflowExecutor.java
    /// 280-282 fails the workflow on it), with or without keepgoing / keepgoingOnSuccess.
    @Test func aHandlerThatHaltsStopsTheWorkflowWithItsStatus() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - type: test-probe
                  configuration: {message: hi, fail: remote}
                  errorhandler:
                    type: flow-control
                    configuration: {halt: 'true', fail: 'false', status: 'graceful stop'}
                    keepgoingOnSuccess: true
                - exec: echo never
            """)
        #expect(outcome.state == .failed && outcome.status == "graceful stop" && outcome.exitCode != .success)
        #expect(!h.recorder.lines.contains("never"))
    }

    @Test(arguments: ["", "keepgoing: true", "keepgoing: false"], ["", "keepgoingOnSuccess: true"])
    func aHandlerHaltWithoutFailureLeavesTheJobFailed(_ keepgoing: String, _ onSuccess: String) async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                \(keepgoing)
                commands:
                - type: test-probe
                  configuration: {message: hi, fail: remote}
                  errorhandler:
                    type: flow-control
                    configuration: {halt: 'true', fail: 'false'}
                    \(onSuccess)
                - exec: echo never
            """)
        #expect(outcome.state == .failed && outcome.exitCode != .success)
        #expect(h.recorder.steps.first?.1 == .failed)
        #expect(!h.recorder.lines.contains("never"))
    }

    /// `succeeded`, `failed` and Rundeck's other state names are not custom statuses: the job
    /// fails and says so (ExecutionJob.groovy 158, Execution.isCustomStatusString).
    @Test(arguments: ["succeeded", "Failed", "timedout", "aborted"])
    func aHaltWithAStateNameAsItsStatusFails(_ status: String) async throws {
        let outcome = try await Harness().run("""
            - name: j
              sequence:
                commands:
                - type: flow-control
                  configuration: {halt: 'true', fail: 'false', status: '\(status)'}
            """)
        #expect(outcome.state == .failed && outcome.status == nil && outcome.exitCode == .failed)
    }

    /// `keepgoingOnSuccess` beside `errorhandler` is not the handler's flag: Rundeck reads it
    /// from the handler's map only (WorkflowDataImpl.groovy 110-117), stops, and fails.
    @Test func keepgoingOnSuccessBesideTheHandlerDoesNotCount() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - exec: exit 4
                  keepgoingOnSuccess: true
                  errorhandler: {exec: echo handled}
                - exec: echo next-ran
            """)
        #expect(outcome.state == .failed && outcome.exitCode == .failed)
        #expect(h.recorder.lines.contains("handled") && !h.recorder.lines.contains("next-ran"))
    }

    /// Rundeck refuses to save a node step whose error handler is a workflow step
    /// (WorkflowStepDataImpl.groovy 39-42); a node step's handler may be a command, a script or a
    /// `nodeStep: true` step, and a workflow step may have any handler.
    @Test func aNodeStepNeedsANodeStepAsItsHandler() throws {
        func decode(_ step: String) throws -> [Job] {
            try JobDecoder.decode(try YAMLParser.parse("- name: j\n  sequence:\n    commands:\n" + step), file: "j.yaml")
        }
        for refused in [
            "    - exec: exit 1\n      errorhandler: {type: flow-control, configuration: {halt: 'true'}}\n",
            "    - script: exit 1\n      errorhandler: {jobref: {name: other}}\n",
            "    - {type: test-probe, nodeStep: true, errorhandler: {type: export-var}}\n",
        ] {
            #expect(throws: JobDefinitionError.self, "\(refused)") { try decode(refused) }
            do { _ = try decode(refused) } catch { #expect("\(error)".contains("Must have a Node Step as an Error Handler")) }
        }
        for accepted in [
            "    - exec: exit 1\n      errorhandler: {script: echo x}\n",
            "    - exec: exit 1\n      errorhandler: {jobref: {name: other, nodeStep: 'true'}}\n",
            "    - exec: exit 1\n      errorhandler: {type: some-node-plugin, nodeStep: true}\n",
            "    - type: test-probe\n      errorhandler: {exec: echo x}\n",
            "    - jobref: {name: other}\n      errorhandler: {type: flow-control}\n",
        ] {
            #expect(throws: Never.self, "\(accepted)") { try decode(accepted) }
        }
    }

    /// `${scriptfile}` in `scriptInterpreter` is the script's path, which is then not added
    /// after the interpreter (ScriptExecUtil.java 486-520).
    @Test func scriptfileInTheInterpreterPlacesThePath() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - script: 'echo "got: $*"'
                  scriptInterpreter: sh ${scriptfile} first
                  args: second
                - script: 'echo "quoted: $*"'
                  scriptInterpreter: sh -c
                  interpreterArgsQuoted: true
                  args: third
            """)
        #expect(outcome.state == .succeeded, "\(h.recorder.notes)")
        #expect(h.recorder.lines.contains("got: first second"))
        #expect(h.recorder.lines.contains("quoted: third"))
    }

    /// Rundeck's plugin form of its own steps (ExecCommand, ScriptCommand, ScriptFileCommand):
    /// `exec-command` with `adhocRemoteString`, `script-inline` with `adhocLocalString`,
    /// `script-file-url` with `adhocFilepath`.
    @Test func commandStepsInPluginForm() async throws {
        let h = Harness()
        try "echo \"from file: $1\"\n".write(toFile: h.directory + "/s.sh", atomically: true, encoding: .utf8)
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - type: exec-command
                  nodeStep: true
                  configuration: {adhocRemoteString: echo plugin-form}
                - type: script-inline
                  configuration: {adhocLocalString: 'echo "inline: $1"', argString: one}
                - type: script-file-url
                  configuration: {adhocFilepath: s.sh, argString: two}
            """)
        #expect(outcome.state == .succeeded, "\(h.recorder.notes)")
        #expect(h.recorder.lines.contains("plugin-form") && h.recorder.lines.contains("inline: one") && h.recorder.lines.contains("from file: two"))
        #expect {
            _ = try JobDecoder.decode(try YAMLParser.parse("- name: j\n  sequence:\n    commands:\n    - {type: exec-command, configuration: {adhocRemoteStrin: x}}\n"), file: "j.yaml")
        } throws: { "\($0)".contains("did you mean 'adhocRemoteString'?") }
    }

    /// Rundeck's `parallel` strategy: the steps run at the same time (step 1 waits for a file
    /// step 2 writes), each step's lines stay together in the log, data one step captures is
    /// not visible to the others, and the job fails when any step failed, after all have run.
    @Test func theParallelStrategyRunsStepsTogether() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              timeout: 20s
              sequence:
                strategy: parallel
                commands:
                - script: |
                    while [ ! -f go ]; do sleep 0.02; done
                    echo one-a; echo RUNDECK:DATA:a=1; echo one-b
                  plugins: {LogFilter: [{type: key-value-data}]}
                - script: |
                    echo two-a; touch go; sleep 0.1; echo "two-b [@data.a@]"
                - exec: exit 3
            """)
        #expect(outcome.state == .failed && outcome.exitCode == .failed)
        #expect(Set(h.recorder.steps.map(\.0)) == ["1", "2", "3"])
        #expect(h.recorder.steps.first { $0.0 == "3" }?.1 == .failed && h.recorder.steps.first { $0.0 == "1" }?.1 == .succeeded)
        let lines = h.recorder.lines.filter { $0.hasPrefix("one-") || $0.hasPrefix("two-") || $0.hasPrefix("RUNDECK") }
        let two = ["two-a", "two-b []"]
        #expect(lines == ["one-a", "RUNDECK:DATA:a=1", "one-b"] + two || lines == two + ["one-a", "RUNDECK:DATA:a=1", "one-b"], "\(lines)")
        #expect(outcome.data.groups["data"]?["a"] == "1")
    }

    @Test func timeoutEndsTheJobAsTimedOutAndKillsTheCommand() async throws {
        let h = Harness()
        let started = Date()
        let outcome = try await h.run("""
            - name: j
              timeout: 1s
              sequence:
                commands:
                - exec: sleep 30
                - exec: echo never
            """)
        #expect(outcome.state == .timedout && outcome.exitCode == .timedOut)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(!h.recorder.lines.contains("never"))
    }

    @Test func retryRunsAFailedJobAgainWithTheAttemptNumber() async throws {
        let h = Harness()
        let marker = h.directory + "/attempts"
        let outcome = try await h.run("""
            - name: j
              retry: {retry: '2', delay: '0'}
              sequence:
                commands:
                - exec: echo "attempt ${job.retryAttempt} wasRetry=${job.wasRetry}" >> \(marker); test ${job.retryAttempt} -ge 1
            """)
        #expect(outcome.state == .succeeded)
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "attempt 0 wasRetry=false\nattempt 1 wasRetry=true\n")
    }

    @Test func retryGivesUpAfterTheCount() async throws {
        let h = Harness()
        let marker = h.directory + "/count"
        let outcome = try await h.run("""
            - name: j
              retry: 2
              sequence:
                commands:
                - exec: echo x >> \(marker); exit 1
            """)
        #expect(outcome.state == .failed)
        #expect(try String(contentsOfFile: marker, encoding: .utf8).split(separator: "\n").count == 3)
    }
}
