import Foundation
import StepKit
import Testing
import Values

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

    @Test func aHandlerThatHaltsStopsTheWorkflowWithItsStatus() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - exec: exit 2
                  errorhandler:
                    type: flow-control
                    configuration: {halt: 'true', fail: 'false', status: 'graceful stop'}
                    keepgoingOnSuccess: true
                - exec: echo never
            """)
        #expect(outcome.status == "graceful stop")
        #expect(!h.recorder.lines.contains("never"))
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
