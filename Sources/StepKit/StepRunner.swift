import Settings

/// The one way a step runs, wherever it is run from (the job runner, a step binary, job
/// notifications): resolve its configuration from the sources, with every problem reported at
/// once; build the step from it; run it with a context. Callers turn the result or the error
/// into their own output (the runner's data context, the step binary's JSON).
public enum StepRunner {
    /// Resolves the configuration (secret values registered with `redactor`) and builds the
    /// step, without running it. Each configuration warning goes to `warn`.
    public static func prepare(
        _ stepType: any JobStep.Type, sources: ConfigSources, redactor: SecretRedactor?, warn: (String) -> Void = { _ in }
    ) throws(StepError) -> any JobStep {
        let config = try ConfigResolver.resolve(stepType.descriptor, sources: sources, redactor: redactor)
        for warning in config.warnings { warn(warning) }
        return try stepType.init(config: config)
    }

    /// Prepares the step and runs it with `context`; configuration warnings go to the
    /// context's log.
    public static func run(_ stepType: any JobStep.Type, sources: ConfigSources, context: StepContext) async throws(StepError) -> StepResult {
        let step = try prepare(stepType, sources: sources, redactor: context.redactor) { context.log(.warn, $0) }
        return try await step.run(context)
    }
}
