import Settings
import Values

/// A job step: the plugin contract. A step is a type with a static descriptor, built from its
/// resolved configuration, that runs against a context.
///
/// ```swift
/// struct IncidentNote: JobStep {
///     static let descriptor = StepDescriptor(name: "pagerduty-incident-note", ...)
///     init(config: StepConfig) throws(StepError) { ... }
///     func run(_ context: StepContext) async throws(StepError) -> StepResult { ... }
/// }
/// ```
public protocol JobStep: Sendable {
    /// The single description of the step: name, aliases, properties, outputs.
    static var descriptor: StepDescriptor { get }
    /// Builds the step from resolved, validated configuration; throws `invalidInput` errors that
    /// name the property.
    init(config: StepConfig) throws(StepError)
    /// Runs the step. In a dry run it must send nothing and describe what it would do.
    func run(_ context: StepContext) async throws(StepError) -> StepResult
}

/// What a step returns.
public struct StepResult: Sendable {
    /// Values for later steps (`${data.KEY}`) and for the step binary's JSON `outputs`.
    public var outputs: [String: String]
    /// One line for people: "triggered alert 3f2a... on service Web".
    public var summary: String
    /// The raw answer (a PagerDuty response body), for `--json` output. In a dry run, the
    /// request that would have been sent, secrets redacted.
    public var response: Value?

    /// Variables for groups other than `data` (`export.*` from the Global Variable step).
    public var variables: [String: [String: String]]
    /// Set by flow control: stop the workflow here.
    public var halt: Halt?

    /// A result; everything but the outputs may be left out.
    public init(
        outputs: [String: String] = [:], summary: String, response: Value? = nil,
        variables: [String: [String: String]] = [:], halt: Halt? = nil
    ) {
        self.outputs = outputs
        self.summary = summary
        self.response = response
        self.variables = variables
        self.halt = halt
    }
}

/// A request to stop the workflow (Rundeck's flow control "Halt").
public struct Halt: Sendable, Hashable {
    /// A custom status to end with (state "other"), or nil.
    public var status: String?
    /// Without a custom status: end as failed (true) or succeeded (false).
    public var fail: Bool

    /// A halt with a custom status, or (nil) one that ends the job as failed or succeeded.
    public init(status: String?, fail: Bool) {
        self.status = status
        self.fail = fail
    }
}

/// Everything a running step may use.
public struct StepContext: Sendable {
    /// The run's settings (framework, project, `--property`).
    public var settings: Settings
    /// Where secrets are read from (`readSecret` registers what it reads).
    public var keyStorage: KeyStorage
    /// Masks secrets in everything the step logs; register any secret the step learns.
    public var redactor: SecretRedactor
    /// Variables of the job so far (options, job info, earlier steps' data). Read-only.
    public var data: DataContext
    /// Send nothing; describe what would be done.
    public var dryRun: Bool
    /// What the host built once for the run (the PagerDuty client factory).
    public var services: StepServices
    private let sink: any StepLogSink

    /// A context; `keyStorage` and `log` are needed, the rest has defaults (no settings, a fresh redactor, no services).
    public init(
        settings: Settings = Settings(), keyStorage: KeyStorage, redactor: SecretRedactor = SecretRedactor(),
        data: DataContext = DataContext(), dryRun: Bool = false, services: StepServices = StepServices(), log: any StepLogSink
    ) {
        self.services = services
        self.settings = settings
        self.keyStorage = keyStorage
        self.redactor = redactor
        self.data = data
        self.dryRun = dryRun
        self.sink = log
    }

    /// Writes a log line, with every registered secret masked.
    public func log(_ level: LogLevel, _ message: String) {
        sink.write(level, redactor.redact(message))
    }

    /// The password stored at a key-storage path, registered as a secret before it is returned.
    /// `property` names the step property that gave the path, for the error message.
    public func readSecret(atPath path: String, property: String) throws(StepError) -> String {
        do {
            let secret = try keyStorage.readPassword(path)
            redactor.register(secret)
            return secret.trimmingSpacesAndLines()
        } catch {
            throw StepError(.invalidInput, "property '\(property)': \(error.description)", property: property)
        }
    }
}
