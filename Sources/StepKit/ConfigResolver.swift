import Settings
import Values

/// Where a step's configuration can come from, strongest first (DESIGN.md, "Config
/// resolution"):
///
/// 1. the step's `configuration` in the job (already `${...}`-expanded by the runner);
/// 2. the invocation: a step binary's flags, `--config` JSON or `RD_CONFIG_*` variables;
/// 3. `project.plugin.WorkflowStep.<step>.<property>`;
/// 4. `framework.plugin.WorkflowStep.<step>.<property>`;
/// 5. the property's well-known settings keys (`project.pagerduty.api_key_path`, then
///    `pagerduty.api_key_path`, ...);
/// 6. the property's default.
///
/// An empty value counts as not given, so `${option.x}` that expanded to nothing falls through
/// to the next source.
public struct ConfigSources: Sendable {
    /// The step's `configuration` in the job, already `${...}`-expanded.
    public var job: [String: String]
    /// A step binary's flags, `--config` JSON or `RD_CONFIG_*` values, by property name.
    public var invocation: [String: String]
    /// A name for the invocation source in messages (`command line`, `RD_CONFIG_*`).
    public var invocationLabel: String
    /// The settings the plugin keys and well-known keys are read from.
    public var settings: Settings
    /// `--allow-unknown-config`: a configuration key that is no property is a warning, not an
    /// error.
    public var allowUnknownKeys: Bool

    /// Sources for one step; all are optional.
    public init(
        job: [String: String] = [:], invocation: [String: String] = [:], invocationLabel: String = "command line",
        settings: Settings = Settings(), allowUnknownKeys: Bool = false
    ) {
        self.allowUnknownKeys = allowUnknownKeys
        self.job = job
        self.invocation = invocation
        self.invocationLabel = invocationLabel
        self.settings = settings
    }
}

/// Turns configuration sources into a validated `StepConfig`.
public enum ConfigResolver {
    /// Resolves every property of `descriptor`, checks required properties and value kinds, and
    /// registers secret values with `redactor`. All problems are reported together, each naming
    /// its property.
    public static func resolve(
        _ descriptor: StepDescriptor, sources: ConfigSources, redactor: SecretRedactor? = nil
    ) throws(StepError) -> StepConfig {
        var values: [String: String] = [:]
        var origins: [String: String] = [:]
        var problems: [String] = []
        var firstBadProperty: String?
        let stepNames = [descriptor.name] + descriptor.aliases
        var warnings: [String] = []
        // A key that is no property would be silently dropped: a typo (`sumary`) would change
        // what is sent. It is an error, reported with the others, unless the step lists it as a
        // harmless Enterprise key or the run allows unknown keys.
        for key in sources.job.keys.filter({ descriptor.property($0) == nil }).sorted() {
            if descriptor.ignoredKeys.contains(key) {
                warnings.append("\(descriptor.name): configuration key '\(key)' is one Rundeck Enterprise writes and this step does not use; ignored")
            } else if sources.allowUnknownKeys {
                warnings.append("\(descriptor.name): configuration key '\(key)' is not a property of this step and is ignored (--allow-unknown-config)")
            } else {
                let hint = nearest(to: key, in: descriptor.properties.flatMap(\.allNames)).map { "; did you mean '\($0)'?" } ?? ""
                problems.append("configuration key '\(key)' is not a property of this step\(hint) (pdstep describe \(descriptor.commandName) lists them; --allow-unknown-config ignores such keys)")
                firstBadProperty = firstBadProperty ?? key
            }
        }

        for property in descriptor.table.resolvable {
            guard let (value, origin) = find(property, stepNames: stepNames, sources: sources) else {
                if property.required {
                    problems.append("property '\(property.name)' is required (\(property.title)); set it in the step's configuration\(property.settingsKeys.isEmpty ? "" : " or in the setting \(property.settingsKeys.joined(separator: " / "))")")
                    firstBadProperty = firstBadProperty ?? property.name
                }
                continue
            }
            if property.secret { redactor?.register(value) }
            switch check(value, property) {
            case .success(let normalized):
                values[property.name] = normalized
                origins[property.name] = origin
            case .failure(let problem):
                problems.append("property '\(property.name)' \(problem.text)")
                firstBadProperty = firstBadProperty ?? property.name
            }
        }
        if !problems.isEmpty {
            let message = problems.count == 1
                ? "\(descriptor.name): \(problems[0])"
                : "\(descriptor.name): \(problems.count) configuration problems"
            throw StepError(.invalidInput, message, details: problems.count == 1 ? [] : problems, property: firstBadProperty)
        }
        return StepConfig(step: descriptor.name, values: values, origins: origins, warnings: warnings)
    }

    private static func find(
        _ property: StepProperty, stepNames: [String], sources: ConfigSources
    ) -> (String, String)? {
        for name in property.allNames {
            if let value = sources.job[name], !value.isEmpty { return (value, "job configuration '\(name)'") }
        }
        for name in property.allNames {
            if let value = sources.invocation[name], !value.isEmpty { return (value, sources.invocationLabel) }
        }
        for scope in ["project", "framework"] where sources.settings.hasWorkflowStepSettings {
            for step in stepNames {
                let key = "\(scope).plugin.WorkflowStep.\(step).\(property.name)"
                if let setting = sources.settings.setting(key), !setting.value.isEmpty {
                    return (setting.value, "\(key) (\(setting.origin))")
                }
            }
        }
        for key in property.settingsKeys {
            if let setting = sources.settings.setting(key), !setting.value.isEmpty {
                return (setting.value, "\(key) (\(setting.origin))")
            }
        }
        // The settings' own defaults (`pagerduty.api_key_path` is `keys/pd/api`, Rundeck's
        // documented path), after every place a value could be set.
        for key in property.settingsKeys {
            if let known = KnownSettings.byKey[key], !known.defaultValue.isEmpty {
                return (known.defaultValue, "the default of \(key)")
            }
        }
        if let value = property.defaultValue { return (value, "default") }
        return nil
    }

    /// Checks a value against the property's kind; answers the normalized value or the problem.
    private static func check(_ value: String, _ property: StepProperty) -> Result<String, ProblemText> {
        let trimmed = value.trimmingSpacesAndLines()
        if let shape = property.identifier {
            let items = property.kind == .list ? trimmed.split(separator: ",").map { $0.trimmingSpaces() } : [trimmed]
            for item in items where !item.isEmpty {
                if let problem = shape.problem(item) { return .failure(ProblemText(problem)) }
            }
        }
        switch property.kind {
        case .string, .text, .list, .storagePath:
            if property.kind == .storagePath {
                do {
                    return .success(try KeyStorage.normalize(trimmed))
                } catch {
                    return .failure(ProblemText("\(error)"))
                }
            }
            return .success(value)
        case .integer:
            guard Int(trimmed) != nil else { return .failure(ProblemText("must be a whole number, got '\(value)'")) }
            return .success(trimmed)
        case .boolean:
            guard let flag = parseBoolean(trimmed) else { return .failure(ProblemText("must be true or false, got '\(value)'")) }
            return .success(flag ? "true" : "false")
        case .select(let allowed):
            if let match = allowed.first(where: { $0.lowercased() == trimmed.lowercased() }) { return .success(match) }
            return .failure(ProblemText("must be one of \(allowed.joined(separator: ", ")), got '\(property.secret ? SecretRedactor.mask : value)'"))
        case .json:
            do {
                _ = try JSONParser.parse(trimmed)
                return .success(trimmed)
            } catch {
                return .failure(ProblemText("is not valid JSON: \(error)"))
            }
        }
    }
}

/// A problem found in a value, as text for the error message.
struct ProblemText: Error {
    var text: String
    init(_ text: String) { self.text = text }
}
