/// The process exit codes every pdstep command uses, so an orchestrator can tell a refusal
/// from bad input from a failure worth retrying.
public enum ExitCode: Int32, Sendable, CaseIterable {
    /// The step or job succeeded.
    case success = 0
    /// It failed: PagerDuty refused it, a resource was not found, a command failed.
    case failed = 1
    /// Invalid input or configuration; nothing was sent.
    case invalidInput = 2
    /// A temporary failure (network, 429, 5xx) that outlasted the retries; a retry may work.
    case temporary = 3
    /// The job or step ran out of time.
    case timedOut = 124

    /// One line for `--help` and the README.
    public var meaning: String {
        switch self {
        case .success: return "succeeded"
        case .failed: return "failed (PagerDuty refused it, not found, a command failed)"
        case .invalidInput: return "invalid input or configuration; nothing was sent"
        case .temporary: return "temporary failure that outlasted the retries (network, 429, 5xx); a retry may work"
        case .timedOut: return "timed out"
        }
    }
}
