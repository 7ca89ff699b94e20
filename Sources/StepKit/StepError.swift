import Values

/// Why a step failed, as a value: a kind that maps to an exit code and to Rundeck's failure
/// reasons, a message a person reads, and every detail string PagerDuty sent.
public struct StepError: ReportableError, Sendable, Hashable {
    /// The kinds of failure.
    public enum Kind: String, Sendable, Hashable {
        /// Bad configuration or input, found before anything was sent.
        case invalidInput
        /// The thing asked for does not exist (404).
        case notFound
        /// The key was refused (401).
        case unauthorized
        /// The key may not do this (402, 403).
        case forbidden
        /// Rate limited, and the retries ran out (429).
        case rateLimited
        /// Network or server trouble that outlasted the retries (5xx, timeouts, resets).
        case temporary
        /// PagerDuty (or another remote) refused the request (other 4xx).
        case remote
        /// A local command or step failed.
        case failed
        /// The step or job ran out of time.
        case timedOut
        /// Not delivered yet, but kept in the outbox to be sent later (a temporary failure).
        case queued
    }

    /// What kind of failure: decides the exit code and Rundeck's failure reason.
    public var kind: Kind
    /// One sentence: what went wrong and, where it helps, what to do.
    public var message: String
    /// The remote's own detail strings (`error.errors[]`, events `errors[]`), all of them.
    public var details: [String]
    /// The HTTP status, when the failure came from an HTTP answer.
    public var httpStatus: Int?
    /// PagerDuty's error code (`error.code`), when it sent one.
    public var remoteCode: Int?
    /// The step property at fault, for invalid input.
    public var property: String?
    /// A Rundeck failure reason that replaces the one the kind implies (`NonZeroResultCode`).
    public var reason: String?

    /// An error of this kind, with PagerDuty's details and codes when it came from an answer.
    public init(
        _ kind: Kind, _ message: String, details: [String] = [], httpStatus: Int? = nil, remoteCode: Int? = nil,
        property: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.details = details
        self.httpStatus = httpStatus
        self.remoteCode = remoteCode
        self.property = property
    }

    /// Any other error as a step failure of the kind its exit code implies.
    public init(_ error: any Error) {
        if let stepError = error as? StepError {
            self = stepError
            return
        }
        let kind: Kind
        switch ExitCode.of(error) {
        case .invalidInput: kind = .invalidInput
        case .temporary: kind = .temporary
        case .timedOut: kind = .timedOut
        case .success, .failed: kind = .failed
        }
        self.init(kind, "\(error)")
    }

    /// Shorthand for invalid input about one property.
    public static func invalid(_ message: String, property: String? = nil) -> StepError {
        StepError(.invalidInput, message, property: property)
    }

    /// The exit code for this failure.
    public var exitCode: ExitCode {
        switch kind {
        case .invalidInput: return .invalidInput
        case .notFound, .unauthorized, .forbidden, .remote, .failed: return .failed
        case .rateLimited, .temporary, .queued: return .temporary
        case .timedOut: return .timedOut
        }
    }

    /// The failure reason Rundeck would record (`${result.reason}` in an error handler).
    public var rundeckReason: String {
        if let reason { return reason }
        switch kind {
        case .invalidInput: return "ConfigurationFailure"
        case .temporary, .rateLimited, .queued: return "IOFailure"
        case .timedOut: return "Interrupted"
        default: return "PluginFailed"
        }
    }

    /// The message, then each detail on its own line.
    public var description: String {
        var text = message
        if let httpStatus {
            var status = "HTTP \(httpStatus)"
            if let remoteCode { status += ", PagerDuty code \(remoteCode)" }
            if !text.contains("HTTP \(httpStatus)") { text += " (\(status))" }
        }
        for detail in details { text += "\n  - \(detail)" }
        return text
    }
}

/// A step's configuration problems, gathered so that all are reported at once (a bad severity
/// must not hide a too-long dedup key).
public struct ConfigurationProblems {
    private var errors: [StepError] = []

    /// None yet.
    public init() {}

    /// Runs one check; its problem is kept and nil answered.
    public mutating func check<T>(_ body: () throws(StepError) -> T) -> T? {
        do {
            return try body()
        } catch {
            errors.append(error)
            return nil
        }
    }

    /// Throws what was kept: the one problem as it is, several as one error listing each.
    public func throwIfAny(step: String) throws(StepError) {
        guard let first = errors.first else { return }
        if errors.count == 1 { throw first }
        throw StepError(.invalidInput, "\(step): \(errors.count) configuration problems", details: errors.map(\.message), property: first.property)
    }
}
