/// An error that says how pdstep reports it: the process exit code, and the failure reason
/// Rundeck records for a failed step (`${result.reason}` in an error handler). Every error type
/// pdstep throws adopts it, so the command line, the step binaries and the runner map errors to
/// exit codes in one way (`exitCode`), never by listing error types.
public protocol ReportableError: Error, CustomStringConvertible {
    var exitCode: ExitCode { get }
    var rundeckReason: String { get }
}

extension ReportableError {
    /// Rundeck's reasons by exit code: bad configuration, a temporary failure, a timeout, or a
    /// step that failed.
    public var rundeckReason: String {
        switch exitCode {
        case .invalidInput: return "ConfigurationFailure"
        case .temporary: return "IOFailure"
        case .timedOut: return "Interrupted"
        case .success, .failed: return "PluginFailed"
        }
    }
}

extension ExitCode {
    /// The exit code of any error: its own when it is a `ReportableError`, else 1 (failed).
    public static func of(_ error: any Error) -> ExitCode {
        (error as? any ReportableError)?.exitCode ?? .failed
    }
}

extension SyntaxError: ReportableError {
    /// A document that does not parse is invalid input.
    public var exitCode: ExitCode { .invalidInput }
}
