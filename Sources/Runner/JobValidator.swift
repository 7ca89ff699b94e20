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

/// Finds what would stop a job from running, before anything runs: unknown step types, job
/// references that are not found, node filters that dispatch to other nodes, `scripturl`,
/// unsupported log filters, missing or invalid step properties, broken option rules.
struct JobValidator {
    let runner: JobRunner

    /// Each problem as a sentence naming the job and step.
    /// Literal durations Rundeck reads as less than they seem (those from options are warned
    /// about when the job runs).
    func warnings(in job: Job) -> [String] {
        var warnings: [String] = []
        for (field, text) in [("timeout", job.timeout), ("retry delay", job.retry?.delay)] {
            if let text, !text.isEmpty, !text.includes("${"), let surprise = RundeckDuration.surprise(text) {
                warnings.append("job \(job.fullName): \(field) \(surprise)")
            }
        }
        for option in job.options where option.enforced && option.values.isEmpty {
            if let url = option.valuesURL {
                warnings.append("job \(job.fullName): option '\(option.name)' takes its allowed values from \(OutboundHTTP.shown(url)) when the job runs; validate did not fetch them")
            }
        }
        for (index, step) in job.workflow.steps.enumerated() {
            for (which, item) in [("", step), (" error handler", step.errorHandler)] {
                guard case .jobRef(let reference)? = item?.kind, let target = Self.find(reference, in: runner.jobs) else { continue }
                let names = ArgumentLine.options(ArgumentLine.burst(reference.args)).values.map(\.name)
                for name in names where !target.options.contains(where: { $0.name == name }) {
                    warnings.append("job \(job.fullName), step \(index + 1)\(which): job \(target.fullName) declares no option '\(name)'; it gets ${option.\(name)} anyway, as in Rundeck")
                }
            }
        }
        if let unavailable = runner.emailUnavailable(job) { warnings.append("job \(job.fullName): \(unavailable)") }
        return warnings
    }

    func problems(in job: Job, ignoreNodeFilter: Bool) -> [String] {
        var problems: [String] = []
        // Option defaults stand in for ${option.x} while checking step configuration.
        var known = DataContext()
        for option in job.options { if let value = option.defaultValue, !option.secure { known.set("option", option.name, value) } }
        known.groups["job"] = runner.jobContext(job, execution: Execution(id: "0", uuid: ""), attempt: 0, request: RunRequest(userEmail: "stand-in"))
        let label = "job \(job.fullName)"
        if let filter = job.nodeFilter, Self.dispatchesToOtherNodes(filter), !ignoreNodeFilter {
            problems.append("\(label): its node filter '\(filter)' dispatches to other nodes, and pdstep runs steps on the local node only; run it with --ignore-node-filter to run it here on purpose")
        }
        for option in job.options {
            if let url = option.valuesURL, option.enforced && option.values.isEmpty {
                if !["http://", "https://", "file:"].contains(where: url.hasPrefix) {
                    problems.append("\(label): option '\(option.name)': valuesUrl \(OutboundHTTP.shown(url)) is not an http, https or file: URL")
                }
            } else if option.enforced && option.values.isEmpty {
                problems.append("\(label): option '\(option.name)' is enforced but lists no values (and has no valuesUrl)")
            }
            if let regex = option.regex, !regex.isEmpty, JavaRegex(regex) == nil {
                problems.append("\(label): option '\(option.name)' has a regex that \(JavaRegex.invalid(regex)): \(regex)")
            }
        }
        if let timeout = job.timeout, !timeout.isEmpty, !timeout.includes("${"), let problem = RundeckDuration.problem(timeout) {
            problems.append("\(label): timeout '\(timeout)' \(problem)")
        }
        if let retry = job.retry {
            if !retry.count.includes("${"), let problem = RundeckDuration.retryCountProblem(retry.count) {
                problems.append("\(label): retry '\(retry.count)' \(problem)")
            }
            if !retry.delay.isEmpty, !retry.delay.includes("${"), let problem = RundeckDuration.problem(retry.delay) {
                problems.append("\(label): retry delay '\(retry.delay)' \(problem)")
            }
        }
        // Notifications: each plugin is checked as the step it runs as, with the execution's
        // variables standing in.
        var notificationKnown = known
        runner.addNotificationContext(
            to: &notificationKnown, trigger: .onfailure, status: "failed", result: nil, execution: Execution(id: "0", uuid: ""), abortedBy: "")
        for group in ["execution", "exec", "notification"] {
            for key in (notificationKnown.groups[group] ?? [:]).keys { notificationKnown.set(group, key, "stand-in") }
        }
        for key in ["status", "user", "href"] { notificationKnown.set("job", key, "stand-in") }
        for trigger in JobNotifications.Trigger.allCases {
            for plugin in job.notifications.plugins[trigger] ?? [] {
                let where_ = "\(label), notification \(trigger.rawValue)"
                let (type, configuration) = runner.notificationStep(plugin, job: job)
                let routingKeySet = [KnownSettings.routingKeyPath.key, KnownSettings.projectRoutingKeyPath.key]
                    .contains { !(runner.settings.value($0) ?? "").isEmpty }
                if plugin.type == JobNotifications.pagerDutyNotification && configuration["integration_key"] == nil && !routingKeySet {
                    problems.append("\(where_): PagerDutyNotification needs its service_key (or the setting \(JobNotifications.serviceKeySettings[0]))")
                    continue
                }
                let step = WorkflowStep(
                    kind: .plugin(type: type, configuration: configuration, nodeStep: false), description: nil, errorHandler: nil,
                    keepgoingOnSuccess: false, logFilters: [])
                problems += check(step, label: where_, known: notificationKnown)
            }
        }
        if !job.notifications.emails.isEmpty {
            do { _ = try MailRelay.read(runner.settings, keyStorage: runner.keyStorage) } catch { problems.append("\(label), email notifications: \(error.description)") }
        }
        for (index, step) in job.workflow.steps.enumerated() {
            problems += check(step, label: "\(label), step \(index + 1)", known: known)
            if let handler = step.errorHandler {
                problems += check(handler, label: "\(label), step \(index + 1) error handler", known: known)
            }
        }
        problems += referenceProblems(in: job)
        for filter in job.workflow.logFilters where !OutputFilters.supported.contains(filter.type) {
            problems.append("\(label): log filter type '\(filter.type)' is not supported")
        }
        return problems
    }

    private func check(_ step: WorkflowStep, label: String, known: DataContext) -> [String] {
        var problems: [String] = []
        do {
            _ = try OutputFilters(step.logFilters)
        } catch {
            problems.append("\(label): \(error.message)")
        }
        switch step.kind {
        case .scriptURL(let url):
            problems.append("\(label): scripturl steps are not supported (\(url)); download the script and use scriptfile")
        case .jobRef(let reference):
            if Self.find(reference, in: runner.jobs) == nil {
                let names = runner.jobs.map(\.fullName)
                let hint = nearest(to: reference.displayName, in: names).map { "; did you mean '\($0)'?" } ?? ""
                problems.append("\(label): referenced job \(reference.displayName) is not in this file, its folder or the project folder\(hint)")
            }
        case .plugin(let type, let configuration, _):
            guard let stepType = runner.catalog.step(type: type) else {
                let hint = nearest(to: type, in: runner.catalog.typeNames).map { "; did you mean '\($0)'?" } ?? ""
                problems.append("\(label): unknown step type '\(type)'\(hint) (pdstep list shows the steps)")
                break
            }
            // References that only the run can resolve get stand-ins of the right kind here, and
            // the step's own checks wait for the run.
            var sample: [String: String] = [:]
            var unresolved = false
            for (key, raw) in configuration {
                let value = known.expand(raw, unresolved: .keep)
                guard value.includes("${") else { sample[key] = value; continue }
                unresolved = true
                if stepType.descriptor.property(key)?.identifier != nil {
                    sample[key] = "PSTANDIN"
                    continue
                }
                switch stepType.descriptor.property(key)?.kind {
                case .select(let values)?: sample[key] = values.first ?? value
                case .integer?: sample[key] = "0"
                case .boolean?: sample[key] = "true"
                case .json?: sample[key] = "{}"
                case .storagePath?: sample[key] = "keys/placeholder"
                default: sample[key] = value
                }
            }
            do {
                let sources = ConfigSources(job: sample, settings: runner.settings, allowUnknownKeys: runner.allowUnknownConfig)
                let config = try ConfigResolver.resolve(stepType.descriptor, sources: sources)
                // The step's own checks (building it) on the configuration just resolved.
                if !unresolved { _ = try stepType.init(config: config) }
                problems += keyProblems(config, descriptor: stepType.descriptor, written: configuration).map { "\(label) (\(type)): \($0)" }
            } catch {
                problems.append("\(label) (\(type)): \(error.description)")
                if !error.details.isEmpty { problems += error.details.map { "\(label) (\(type)):   \($0)" } }
            }
        case .exec, .script, .scriptFile:
            break
        }
        return problems
    }

    /// The key-storage paths a step will read that hold no key: found now, not after earlier
    /// steps have paged. Only the paths the step would use are checked: those in its
    /// configuration, and those from the settings when the configuration gives it no credential
    /// of its own. Skipped when the host supplies the keys (the sandbox).
    func keyProblems(_ config: StepConfig, descriptor: StepDescriptor, written: [String: String]) -> [String] {
        guard runner.services.get(KeysSuppliedByHost.self) == nil else { return [] }
        // A secret given directly (an API key, a token, a routing key) is used before any path.
        let secretGiven = descriptor.properties.contains { $0.secret && $0.kind != .storagePath && !(config.values[$0.name] ?? "").isEmpty }
        guard !secretGiven else { return [] }
        let paths = descriptor.properties.filter { $0.kind == .storagePath && config.values[$0.name] != nil }
        var problems: [String] = []
        for property in paths {
            guard let path = config.values[property.name], !path.includes("${") else { continue }
            let fromJob = config.origins[property.name]?.hasPrefix("job configuration") == true
            // A path from the settings (or their default) is read only when it is the step's
            // one credential path; with another (OAuth client paths) it may not be used.
            guard fromJob || paths.count == 1 else { continue }
            do {
                _ = try runner.keyStorage.readPassword(path)
            } catch {
                problems.append("property '\(property.name)' (\(config.origins[property.name] ?? "set")): \(error.description)")
            }
        }
        return problems
    }

    /// The job a reference names: by uuid (unless `useName`), else by group and name.
    static func find(_ reference: JobReference, in jobs: [Job]) -> Job? {
        if let uuid = reference.uuid, !reference.useName || reference.name == nil, let job = jobs.first(where: { $0.uuid == uuid }) {
            return job
        }
        guard let name = reference.name else { return nil }
        return jobs.first { $0.name == name && ($0.group == (reference.group ?? "")) }
            ?? (reference.group == nil ? jobs.first { $0.name == name } : nil)
    }

    /// True when a node filter selects nodes other than the local one.
    static func dispatchesToOtherNodes(_ filter: String) -> Bool {
        let trimmed = filter.trimmingSpaces()
        if trimmed.isEmpty { return false }
        let local = ["localhost", "name: localhost", "name:localhost", "127.0.0.1", "hostname: localhost"]
        if local.contains(trimmed) { return false }
        let host = ProcessInfo.processInfo.hostName
        return trimmed != host && trimmed != "name: \(host)"
    }
}
