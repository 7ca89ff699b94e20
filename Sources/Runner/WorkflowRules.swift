import StepKit
import Values

/// Rundeck's workflow rules (rundeck.md section 7) as a pure state machine, kept apart from the
/// I/O that drives it (the way swift-nio keeps its state machines): the runner reports how each
/// step and its error handler ended, and the machine answers what that means (the step's state,
/// whether the workflow goes on) and, at the end, how the workflow ended. Tested on its own in
/// `WorkflowRulesMachineTests`.
struct WorkflowRules: Sendable {
    /// How a step's error handler ended.
    enum Handler: Sendable, Equatable {
        /// The step did not fail, it has no handler, or this is a dry run.
        case notRun
        case succeeded
        case failed
    }

    /// What one step's ending means.
    struct Verdict: Sendable, Equatable {
        var state: StepState
        /// The step counts as failed (in the job's result and exit code).
        var failed: Bool
        /// The workflow runs its next step.
        var goOn: Bool
    }

    /// How the workflow ended.
    struct End: Sendable, Equatable {
        var state: JobState
        var status: String?
        var exitCode: ExitCode
    }

    let keepgoing: Bool
    let dryRun: Bool
    private(set) var failedSteps = 0
    private(set) var firstFailure: ExitCode?
    private(set) var halt: Halt?

    init(keepgoing: Bool, dryRun: Bool) {
        self.keepgoing = keepgoing
        self.dryRun = dryRun
    }

    /// A step ended (`error` is its failure's exit code, nil when it succeeded), its handler as
    /// given. With `keepgoing` a handler's success replaces the step's failure; without it, only
    /// `keepgoingOnSuccess` lets a successful handler count. `keepgoing` never turns a failure
    /// into a success; the job fails if any step failed.
    mutating func stepEnded(error: ExitCode?, handler: Handler, keepgoingOnSuccess: Bool, halt: Halt?) -> Verdict {
        if let halt { self.halt = halt }
        guard let error else {
            return Verdict(state: dryRun ? .planned : .succeeded, failed: false, goOn: self.halt == nil)
        }
        // A failed step's halt came from its error handler (flow-control): the halt stops the
        // workflow and the step's failure stands, whatever keepgoing says and even with
        // `fail: false` (BaseWorkflowExecutor.java 768-773 keeps the step's own result;
        // EngineWorkflowExecutor.java 280-282 fails the workflow on it).
        if handler == .succeeded && halt == nil && (keepgoing || keepgoingOnSuccess) {
            return Verdict(state: .recovered, failed: false, goOn: self.halt == nil)
        }
        failedSteps += 1
        firstFailure = firstFailure ?? (error == .success ? .failed : error)
        return Verdict(state: .failed, failed: true, goOn: keepgoing && self.halt == nil)
    }

    /// Takes in what another machine, started like this one, saw (a parallel step's).
    mutating func absorb(_ other: WorkflowRules) {
        failedSteps += other.failedSteps
        firstFailure = firstFailure ?? other.firstFailure
        halt = halt ?? other.halt
    }

    /// Rundeck's execution state names, which a halt's status cannot take (case ignored).
    static let stateNames: Set<String> = ["timedout", "failed-with-retry", "aborted", "succeeded", "failed", "queued", "scheduled"]

    /// True when `status` is a custom status (Execution.isCustomStatusString).
    static func isCustomStatus(_ status: String) -> Bool { !stateNames.contains(status.lowercased()) }

    /// How the workflow ended, once no step goes on: halted by flow control, cut short by the
    /// timeout (`cancelled` before every step ran), failed, or succeeded.
    func end(cancelled: Bool, ranAll: Bool) -> End {
        let failure = firstFailure ?? .failed
        if let halt {
            // Only a custom status is kept: one of Rundeck's own state names (`succeeded`,
            // `failed`, ...) given as a halt's status is dropped and the job fails
            // (ExecutionJob.groovy 158, Execution.isCustomStatusString).
            let status = halt.status.flatMap { Self.isCustomStatus($0) ? $0 : nil }
            if failedSteps > 0 { return End(state: .failed, status: status, exitCode: failure) }
            if let status { return End(state: .other, status: status, exitCode: .failed) }
            if halt.status != nil { return End(state: .failed, status: nil, exitCode: .failed) }
            return halt.fail ? End(state: .failed, status: nil, exitCode: .failed) : End(state: .succeeded, status: nil, exitCode: .success)
        }
        if cancelled && failedSteps == 0 && !ranAll { return End(state: .timedout, status: nil, exitCode: .timedOut) }
        if failedSteps == 0 { return End(state: .succeeded, status: nil, exitCode: .success) }
        return End(state: .failed, status: nil, exitCode: failure)
    }
}
