#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import StepKit
import Synchronization
import Values

/// Running a workflow: one attempt with its timeout, the steps in turn or in parallel, each step
/// with its error handler, under Rundeck's rules (`WorkflowRules`).
extension JobRunner {
    /// One run of the workflow, ended early by the timeout.
    func runAttempt(_ state: RunState, timeout: Double?) async -> AttemptResult {
        live.stepsStarted.store(0, ordering: .relaxed)
        guard let timeout else {
            var state = state
            return await runWorkflow(state.job.workflow, context: "", state: &state)
        }
        let result: AttemptResult? = await withTaskGroup(of: AttemptResult?.self) { group in
            group.addTask {
                var state = state
                return await runWorkflow(state.job.workflow, context: "", state: &state)
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: boundedNanoseconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let result { return result }
        log.emit(.note(level: .error, message: "the job ran out of time (timeout \(state.job.timeout ?? ""))"))
        return AttemptResult(
            state: .timedout, status: nil, exitCode: .timedOut, stepsRun: live.stepsStarted.load(ordering: .relaxed), failedSteps: ["timeout"],
            data: state.data)
    }

    // MARK: Workflow

    /// Runs the steps of a workflow, applying `WorkflowRules` to each ending. `context`
    /// prefixes step numbers inside job references.
    func runWorkflow(_ workflow: Workflow, context prefix: String, state: inout RunState) async -> AttemptResult {
        if workflow.strategy == "parallel" { return await runParallel(workflow, context: prefix, state: &state) }
        let total = workflow.steps.count
        var rules = WorkflowRules(keepgoing: workflow.keepgoing, dryRun: state.request.dryRun)
        var failed: [String] = []
        var failureMessage: String?
        var ran = 0
        var ranBeforeFailure: [String] = []
        for (index, step) in workflow.steps.enumerated() {
            if Task.isCancelled { break }
            let number = prefix.isEmpty ? "\(index + 1)" : "\(prefix)/\(index + 1)"
            ran += 1
            if prefix.isEmpty { live.stepsStarted.add(1, ordering: .relaxed) }
            let (verdict, failure) = await runStep(step, number: number, total: total, workflow: workflow, rules: &rules, state: &state)
            if verdict.failed {
                failed.append("[\(number)] \(step.label)")
                failureMessage = failureMessage ?? failure
            } else if failed.isEmpty {
                ranBeforeFailure.append("[\(number)] \(step.label)")
            }
            if !verdict.goOn { break }
        }
        let end = rules.end(cancelled: Task.isCancelled, ranAll: ran == total)
        return AttemptResult(
            state: end.state, status: end.status, exitCode: exitCode(end.exitCode, ranBefore: ranBeforeFailure, dryRun: state.request.dryRun),
            stepsRun: ran, failedSteps: failed, data: state.data, failureMessage: failureMessage)
    }

    /// Exit 2 means nothing was sent. A step refused as invalid after other steps ran (and so
    /// may have paged or changed something) ends the job with 1, saying what ran before.
    func exitCode(_ code: ExitCode, ranBefore: [String], dryRun: Bool) -> ExitCode {
        guard code == .invalidInput, !ranBefore.isEmpty, !dryRun else { return code }
        log.emit(.note(level: .error, message: "exit 1, not 2: these steps ran before the failure, and may have sent something: \(ranBefore.joined(separator: ", "))"))
        return .failed
    }

    /// Rundeck's `parallel` strategy: every step starts at once on the local node, each from the
    /// data the workflow started with (what one step captures is not visible to the others), each
    /// with its error handler. A step's log is held until it ends and then written whole, so
    /// that its lines stay together. The job fails if any step failed; what the steps captured is
    /// merged, in step order, for the job's result.
    func runParallel(_ workflow: Workflow, context prefix: String, state: inout RunState) async -> AttemptResult {
        let total = workflow.steps.count
        let start = state
        let base = WorkflowRules(keepgoing: workflow.keepgoing, dryRun: state.request.dryRun)
        let level = log.level
        let runs = await withTaskGroup(of: ParallelStepRun.self) { group in
            for (index, step) in workflow.steps.enumerated() {
                let number = prefix.isEmpty ? "\(index + 1)" : "\(prefix)/\(index + 1)"
                group.addTask {
                    let held = HeldEvents()
                    let stepLog = ExecutionLog(observers: [held], redactor: log.redactor)
                    stepLog.setLevel(level)
                    var rules = base
                    var stepState = start
                    let (verdict, failure) = await logging(to: stepLog).runStep(
                        step, number: number, total: total, workflow: workflow, rules: &rules, state: &stepState)
                    return ParallelStepRun(
                        index: index, number: number, verdict: verdict, failure: failure, rules: rules, data: stepState.data, events: held.events)
                }
            }
            var runs: [ParallelStepRun] = []
            for await run in group {
                for event in run.events { log.emit(event) }
                runs.append(run)
            }
            return runs.sorted { $0.index < $1.index }
        }
        var rules = base
        var failed: [String] = []
        var failureMessage: String?
        for run in runs {
            rules.absorb(run.rules)
            if run.verdict.failed {
                failed.append("[\(run.number)] \(workflow.steps[run.index].label)")
                failureMessage = failureMessage ?? run.failure
            }
            state.data.merge(run.data)
        }
        let end = rules.end(cancelled: Task.isCancelled, ranAll: runs.count == total)
        // In parallel, every step that did not fail ran beside the one that did.
        let ranBeside = runs.filter { !$0.verdict.failed }.map { "[\($0.number)] \(workflow.steps[$0.index].label)" }
        return AttemptResult(
            state: end.state, status: end.status, exitCode: exitCode(end.exitCode, ranBefore: ranBeside, dryRun: state.request.dryRun),
            stepsRun: runs.count, failedSteps: failed, data: state.data, failureMessage: failureMessage)
    }

    /// Runs one step of a workflow with its error handler, logs its start and end, and answers
    /// what Rundeck's rules make of it, and why it failed when it did.
    func runStep(
        _ step: WorkflowStep, number: String, total: Int, workflow: Workflow, rules: inout WorkflowRules, state: inout RunState
    ) async -> (verdict: WorkflowRules.Verdict, failure: String?) {
        log.emit(.stepStarted(context: number, total: total, label: step.label))
        let started = DispatchTime.now()
        let outcome = await execute(step, number: number, workflow: workflow, state: &state)
        var halt = outcome.halt
        var handler = WorkflowRules.Handler.notRun
        if let error = outcome.error, let errorHandler = step.errorHandler, !state.request.dryRun {
            // The handler sees why the step failed.
            var handlerState = state
            handlerState.data.groups["result"] = [
                "reason": error.rundeckReason, "message": error.message,
                "resultCode": outcome.resultCode.map(String.init) ?? "",
            ]
            log.emit(.log(context: number, level: .normal, message: "running the error handler: \(errorHandler.label)"))
            let handled = await execute(errorHandler, number: number, workflow: workflow, state: &handlerState)
            state.data = handlerState.data
            state.data.groups["result"] = nil
            halt = handled.halt ?? halt
            handler = handled.error == nil ? .succeeded : .failed
            if let handlerError = handled.error {
                log.emit(.log(context: number, level: .error, message: "the error handler failed too: \(handlerError.description)"))
            }
        }
        let verdict = rules.stepEnded(
            error: outcome.error.map(\.exitCode), handler: handler, keepgoingOnSuccess: step.keepgoingOnSuccess, halt: halt)
        let message: String?
        switch verdict.state {
        case .recovered: message = "handled: " + (outcome.error?.message ?? "")
        case .failed: message = outcome.error?.description
        case .planned: message = outcome.summary
        case .succeeded: message = nil
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        log.emit(.stepFinished(context: number, total: total, label: step.label, state: verdict.state, milliseconds: elapsed, message: message))
        return (verdict, verdict.failed ? outcome.error?.message : nil)
    }

    /// This runner writing to another log (a parallel step's held one).
    func logging(to other: ExecutionLog) -> JobRunner {
        var copy = self
        copy.log = other
        return copy
    }
}

/// One step of a parallel workflow, as it ended.
struct ParallelStepRun: Sendable {
    var index: Int
    var number: String
    var verdict: WorkflowRules.Verdict
    var failure: String?
    var rules: WorkflowRules
    var data: DataContext
    var events: [ExecutionEvent]
}

/// Holds a parallel step's log events until the step ends.
final class HeldEvents: ExecutionRenderer {
    private let held = Mutex<[ExecutionEvent]>([])
    func render(_ event: ExecutionEvent) { held.withLock { $0.append(event) } }
    var events: [ExecutionEvent] { held.withLock { $0 } }
}
