#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Settings
import StepKit
import Values

/// Plugin steps (PagerDuty steps, Rundeck's built-ins) and job references.
extension JobRunner {
    func runPlugin(_ type: String, configuration: [String: String], number: String, state: RunState) async throws(StepError) -> StepOutcome {
        guard let stepType = catalog.step(type: type) else {
            throw StepError.invalid("unknown step type '\(type)'")
        }
        var expanded: [String: String] = [:]
        for (key, value) in configuration.sorted(by: { $0.key < $1.key }) {
            expanded[key] = state.request.dryRun
                ? VariableExpander.expand(value, unresolved: .blank) { reference in
                    state.data.resolve(reference) ?? (reference.group == "data" || reference.group == "export" ? "${\(reference.group).\(reference.key)}" : nil)
                }
                : state.data.expand(value, unresolved: .blank)
            // A required property that is set, to references that came out empty, says so (not
            // "is required; set it").
            if expanded[key]?.isEmpty == true, value.includes("${"), stepType.descriptor.property(key)?.required == true {
                throw StepError(.invalidInput, "\(stepType.descriptor.name): property '\(key)' is empty: \(value) expanded to nothing\(emptyReason(value, data: state.data))", property: key)
            }
        }
        let context = StepContext(
            settings: settings, keyStorage: keyStorage, redactor: redactor, data: state.data, dryRun: state.request.dryRun,
            services: services, log: log.sink(context: number))
        let sources = ConfigSources(job: expanded, settings: settings, allowUnknownKeys: allowUnknownConfig)
        let result = try await StepRunner.run(stepType, sources: sources, context: context)
        if !result.summary.isEmpty && !state.request.dryRun {
            log.emit(.log(context: number, level: .verbose, message: result.summary))
        }
        if state.request.dryRun, let plan = result.response {
            log.emit(.log(context: number, level: .normal, message: JSONWriter.write(redactor.redact(plan), options: .pretty)))
        }
        var outcome = StepOutcome(summary: result.summary)
        outcome.data = result.outputs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        outcome.variables = result.variables
        outcome.halt = result.halt
        return outcome
    }

    /// Why `${...}` references in `value` came out empty: which are unset, with the nearest
    /// name the run does have.
    func emptyReason(_ value: String, data: DataContext) -> String {
        var reasons: [String] = []
        for reference in VariableExpander.references(in: value) where data.resolve(reference)?.isEmpty ?? true {
            let known = Array((data.groups[reference.group] ?? [:]).keys)
            let hint = nearest(to: reference.key, in: known).map { "; did you mean \(reference.group).\($0)?" } ?? ""
            let what = reference.group == "data" ? "no earlier step set data.\(reference.key)" : "\(reference.group).\(reference.key) has no value"
            reasons.append(what + hint)
        }
        return reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")"
    }

    func runReference(_ reference: JobReference, number: String, state: inout RunState) async throws(StepError) -> StepOutcome {
        guard let target = JobValidator.find(reference, in: jobs) else {
            throw StepError.invalid("referenced job \(reference.displayName) is not in this file, its folder or the project folder")
        }
        guard state.depth < 8 else { throw StepError.invalid("job references nest deeper than 8 levels (does a job reference itself?)") }
        // Arguments: burst into words, each expanded, then read as `-name value` pairs, in
        // Rundeck's order (see ArgumentLine).
        let words = ArgumentLine.burst(reference.args).map { state.data.expand($0, unresolved: .blankOptionsOnly) }
        let (pairs, ignored) = ArgumentLine.options(words)
        if !ignored.isEmpty {
            log.emit(.log(context: number, level: .warn, message: "job reference arguments ignored, as Rundeck ignores them (not a '-name value' pair): \(ignored.joined(separator: " "))"))
        }
        var supplied: [String: String] = [:]
        if reference.importOptions {
            for option in target.options {
                if let value = state.data.groups["option"]?[option.name] { supplied[option.name] = value }
            }
        }
        for (name, value) in pairs { supplied[name] = value }
        if state.request.dryRun {
            log.emit(.log(context: number, level: .normal, message: "would run job \(target.fullName) with \(supplied.map { "-\($0.key) \($0.value)" }.sorted().joined(separator: " "))"))
        }
        var child = RunState(job: target, execution: state.execution, attempt: state.attempt, request: state.request)
        child.depth = state.depth + 1
        child.data.groups["job"] = jobContext(target, execution: state.execution, attempt: state.attempt, request: state.request)
        child.data.groups["globals"] = state.data.groups["globals"]
        child.data.groups["node"] = state.data.groups["node"]
        let options = try OptionResolver(options: target.options, keyStorage: keyStorage, redactor: redactor)
            .resolve(supplied, globals: state.data.groups["globals"] ?? [:], job: child.data.groups["job"] ?? [:], passUndeclared: true)
        child.data.groups["option"] = options.visible
        let result = await runWorkflow(target.workflow, context: number, state: &child)
        var outcome = StepOutcome(summary: "job \(target.fullName) \(result.state.rawValue)")
        // The `export` group travels up to the calling job, as in Rundeck.
        if let exported = child.data.groups["export"] { outcome.variables["export"] = exported }
        if result.state != .succeeded {
            outcome.error = StepError(.failed, "referenced job \(target.fullName) \(result.status ?? result.state.rawValue)")
        }
        return outcome
    }
}
