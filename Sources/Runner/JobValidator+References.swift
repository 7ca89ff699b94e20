import Settings
import StepKit

/// `${option.x}` and `${data.x}` references that cannot resolve when the job runs: a typo there
/// (`${option.hots}`) would page with an empty title. Found before anything runs.
extension JobValidator {
    /// Each reference to an option the job does not declare (nor receives from a job that
    /// references it), and each `${data.x}` that no earlier step can set.
    func referenceProblems(in job: Job) -> [String] {
        var problems: [String] = []
        let label = "job \(job.fullName)"
        let options = optionNames(of: job)
        var data = DataKeys()
        func check(_ texts: [String], _ place: String, data: DataKeys) {
            for text in texts where text.contains("${") {
                for reference in VariableExpander.references(in: text) where reference.step == nil {
                    if let problem = problem(reference, options: options, data: data) { problems.append("\(label), \(place): \(problem)") }
                }
            }
        }
        for (index, step) in job.workflow.steps.enumerated() {
            let before = data
            data.add(step, runner: runner, workflowFilters: job.workflow.logFilters)
            check(Self.texts(of: step), "step \(index + 1)", data: before)
            // A handler runs after its step failed, having set what it set by then.
            if let handler = step.errorHandler {
                check(Self.texts(of: handler), "step \(index + 1) error handler", data: data)
                data.add(handler, runner: runner, workflowFilters: [])
            }
        }
        // Notifications see the whole run's data.
        for trigger in JobNotifications.Trigger.allCases {
            var texts = (job.notifications.plugins[trigger] ?? []).flatMap { $0.configuration.values }
            texts += job.notifications.webhooks[trigger]?.urls ?? []
            if let email = job.notifications.emails[trigger] { texts += [email.recipients, email.subject ?? ""] }
            check(texts, "notification \(trigger.rawValue)", data: data)
        }
        check([job.timeout ?? "", job.retry?.count ?? "", job.retry?.delay ?? ""], "timeout or retry", data: data)
        return problems
    }

    /// The options `${option.x}` may name: those the job declares, and those a job that
    /// references it passes (Rundeck hands undeclared ones on as `${option.x}`).
    func optionNames(of job: Job) -> Set<String> {
        var names = Set(job.options.map(\.name))
        for other in runner.jobs {
            for step in other.workflow.steps {
                for item in [step, step.errorHandler].compactMap({ $0 }) {
                    guard case .jobRef(let reference) = item.kind, let target = Self.find(reference, in: runner.jobs),
                        target.name == job.name, target.group == job.group
                    else { continue }
                    names.formUnion(ArgumentLine.options(ArgumentLine.burst(reference.args)).values.map(\.name))
                }
            }
        }
        return names
    }

    /// What is wrong with one reference, or nil.
    func problem(_ reference: VariableReference, options: Set<String>, data: DataKeys) -> String? {
        switch reference.group {
        case "option", "unquotedoption":
            let key = reference.key
            let base = [".value", ".delimiter"].first { key.hasSuffix($0) }.map { String(key.dropLast($0.count)) }
            if options.contains(key) || base.map(options.contains) == true { return nil }
            let hint = nearest(to: key, in: Array(options)).map { "; did you mean ${\(reference.group).\($0)}?" } ?? ""
            let declared = options.isEmpty ? "the job declares no options" : "the job's options are \(options.sorted().joined(separator: ", "))"
            return "${\(reference.group).\(key)} names no option of this job (\(declared))\(hint)"
        case "data":
            guard !data.open, !data.keys.contains(reference.key) else { return nil }
            let hint = nearest(to: reference.key, in: Array(data.keys)).map { "; did you mean ${data.\($0)}?" } ?? ""
            let set = data.keys.isEmpty ? "no earlier step sets data" : "earlier steps set \(data.keys.sorted().map { "data.\($0)" }.joined(separator: ", "))"
            return "${data.\(reference.key)} is set by no earlier step (\(set))\(hint)"
        default:
            return nil
        }
    }

    /// The texts of a step that are expanded when it runs.
    static func texts(of step: WorkflowStep) -> [String] {
        switch step.kind {
        case .exec(let line): return [line]
        case .script(_, let args, _, _, _): return [args]
        case .scriptFile(let path, let args, _, _, _): return [path, args]
        case .scriptURL(let url): return [url]
        case .jobRef(let reference): return [reference.args]
        case .plugin(_, let configuration, _): return Array(configuration.values)
        }
    }
}

/// What `${data.*}` can hold at a point of the workflow: the outputs the steps so far declare;
/// `open` once a step may set keys no descriptor lists (a capture log filter, a built-in step, a
/// step that declares no outputs, a job reference), after which any key is accepted.
struct DataKeys {
    var keys = Set<String>()
    var open = false

    mutating func add(_ step: WorkflowStep, runner: JobRunner, workflowFilters: [LogFilterConfig]) {
        if !(step.logFilters + workflowFilters).filter({ OutputFilters.captures($0.type) }).isEmpty { open = true }
        switch step.kind {
        case .plugin(let type, _, _):
            guard let stepType = runner.catalog.step(type: type), !stepType.descriptor.outputs.isEmpty,
                !BuiltInSteps.all.contains(where: { $0.descriptor.name == stepType.descriptor.name })
            else {
                open = true
                return
            }
            keys.formUnion(stepType.descriptor.outputs.map(\.name))
        case .jobRef:
            open = true
        default:
            break
        }
    }
}
