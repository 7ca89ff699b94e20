import StepKit
import Testing
import Values

@testable import Runner

/// Rundeck's workflow rules on their own, with no step run: each case is a sequence of step
/// endings and what the machine must answer.
@Suite struct WorkflowRulesMachineTests {
    @Test func aFailureStopsTheWorkflowUnlessKeepgoing() {
        var stop = WorkflowRules(keepgoing: false, dryRun: false)
        #expect(stop.stepEnded(error: .failed, handler: .notRun, keepgoingOnSuccess: false, halt: nil) == .init(state: .failed, failed: true, goOn: false))
        #expect(stop.end(cancelled: false, ranAll: false) == .init(state: .failed, status: nil, exitCode: .failed))
        var go = WorkflowRules(keepgoing: true, dryRun: false)
        #expect(go.stepEnded(error: .temporary, handler: .notRun, keepgoingOnSuccess: false, halt: nil).goOn)
        #expect(go.stepEnded(error: nil, handler: .notRun, keepgoingOnSuccess: false, halt: nil) == .init(state: .succeeded, failed: false, goOn: true))
        // keepgoing never turns a failure into a success; the first failure's code is the job's.
        #expect(go.end(cancelled: false, ranAll: true) == .init(state: .failed, status: nil, exitCode: .temporary))
    }

    @Test func aSuccessfulHandlerRecoversWithKeepgoingOrKeepgoingOnSuccess() {
        var keepgoing = WorkflowRules(keepgoing: true, dryRun: false)
        #expect(keepgoing.stepEnded(error: .failed, handler: .succeeded, keepgoingOnSuccess: false, halt: nil) == .init(state: .recovered, failed: false, goOn: true))
        #expect(keepgoing.end(cancelled: false, ranAll: true).state == .succeeded)
        var onSuccess = WorkflowRules(keepgoing: false, dryRun: false)
        #expect(onSuccess.stepEnded(error: .failed, handler: .succeeded, keepgoingOnSuccess: true, halt: nil).state == .recovered)
        var neither = WorkflowRules(keepgoing: false, dryRun: false)
        #expect(neither.stepEnded(error: .failed, handler: .succeeded, keepgoingOnSuccess: false, halt: nil) == .init(state: .failed, failed: true, goOn: false))
        var handlerFails = WorkflowRules(keepgoing: true, dryRun: false)
        #expect(handlerFails.stepEnded(error: .failed, handler: .failed, keepgoingOnSuccess: true, halt: nil).failed)
    }

    @Test func flowControlHaltsWithItsStatus() {
        var custom = WorkflowRules(keepgoing: true, dryRun: false)
        #expect(!custom.stepEnded(error: nil, handler: .notRun, keepgoingOnSuccess: false, halt: Halt(status: "skipped", fail: false)).goOn)
        #expect(custom.end(cancelled: false, ranAll: false) == .init(state: .other, status: "skipped", exitCode: .failed))
        var succeed = WorkflowRules(keepgoing: false, dryRun: false)
        _ = succeed.stepEnded(error: nil, handler: .notRun, keepgoingOnSuccess: false, halt: Halt(status: nil, fail: false))
        #expect(succeed.end(cancelled: false, ranAll: false) == .init(state: .succeeded, status: nil, exitCode: .success))
        var afterFailure = WorkflowRules(keepgoing: true, dryRun: false)
        _ = afterFailure.stepEnded(error: .failed, handler: .notRun, keepgoingOnSuccess: false, halt: nil)
        _ = afterFailure.stepEnded(error: nil, handler: .notRun, keepgoingOnSuccess: false, halt: Halt(status: nil, fail: false))
        #expect(afterFailure.end(cancelled: false, ranAll: false).state == .failed)
    }

    @Test func aTimeoutBeforeTheEndIsTimedOutAndADryRunPlans() {
        var cut = WorkflowRules(keepgoing: false, dryRun: false)
        _ = cut.stepEnded(error: nil, handler: .notRun, keepgoingOnSuccess: false, halt: nil)
        #expect(cut.end(cancelled: true, ranAll: false) == .init(state: .timedout, status: nil, exitCode: .timedOut))
        var dry = WorkflowRules(keepgoing: false, dryRun: true)
        #expect(dry.stepEnded(error: nil, handler: .notRun, keepgoingOnSuccess: false, halt: nil).state == .planned)
    }
}
