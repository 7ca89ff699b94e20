import StepKit
import Values

/// Moves jobs onto pdstep's own names (`pdstep migrate`): Enterprise step types and
/// configuration keys become the names pdstep's steps describe themselves by, the retired
/// response-play step becomes `pagerduty-start-incident-workflow` with the workflow left as an
/// option to fill, and notifications the same. It works on the YAML format's shape, which every
/// job format reads into and writes from, so each file keeps its format; what it does not
/// change is kept as it was.
public enum JobMigration {
    /// One change, for the preview.
    public struct Change: Sendable, Equatable {
        /// `job 'ops/nightly', step 2` or `job 'x', notification onfailure`.
        public var place: String
        /// What changes, before and after (`type: pd-sent-event-step`).
        public var before: String
        public var after: String
        /// Why, when it is more than a rename.
        public var note: String?
    }

    /// The option a migrated response-play step reads its incident workflow from.
    static let workflowOption = "incident_workflow_id"

    /// `document` with pdstep's names, and what changed (nothing: the same document).
    public static func migrate(_ document: Value, catalog: StepCatalog) -> (Value, [Change]) {
        guard case .array(let jobs) = document else { return (document, []) }
        var changes: [Change] = []
        var migrated: [Value] = []
        for (index, job) in jobs.enumerated() {
            guard case .object(var map) = job else {
                migrated.append(job)
                continue
            }
            let name = [map["group"].flatMap(JobDecoder.scalarText), map["name"].flatMap(JobDecoder.scalarText)]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")
            var context = Context(catalog: catalog, job: "job '\(name.isEmpty ? String(index + 1) : name)'")
            if case .object(var sequence)? = map["sequence"], case .array(let commands)? = sequence["commands"] {
                sequence["commands"] = .array(commands.enumerated().map { number, command in
                    context.step(command, place: "step \(number + 1)")
                })
                map["sequence"] = .object(sequence)
            }
            if case .object(var triggers)? = map["notification"] {
                for trigger in triggers {
                    guard case .object(var kinds) = trigger.value, let plugin = kinds["plugin"] else { continue }
                    let items: [Value]
                    if case .array(let list) = plugin { items = list } else { items = [plugin] }
                    kinds["plugin"] = .array(items.map { context.notification($0, place: "notification \(trigger.key)") })
                    triggers[trigger.key] = .object(kinds)
                }
                map["notification"] = .object(triggers)
            }
            if context.needsWorkflowOption { context.addWorkflowOption(to: &map) }
            changes += context.changes
            migrated.append(.object(map))
        }
        return (.array(migrated), changes)
    }

    /// The migration of one job.
    struct Context {
        let catalog: StepCatalog
        let job: String
        var changes: [Change] = []
        var needsWorkflowOption = false
        var retiredPlays: [String] = []

        /// A step and its error handler.
        mutating func step(_ value: Value, place: String) -> Value {
            guard case .object(var step) = value else { return value }
            if case .object(let handler)? = step["errorhandler"] {
                step["errorhandler"] = self.step(.object(handler), place: place + " error handler")
            }
            guard let type = step["type"].flatMap(JobDecoder.scalarText) else { return .object(step) }
            var configuration = step["configuration"]?.objectValue ?? ValueObject()
            let newType = plugin(type: type, configuration: &configuration, place: place)
            if newType != type { step["type"] = .string(newType) }
            if step["configuration"] != nil || !configuration.isEmpty { step["configuration"] = .object(configuration) }
            return .object(step)
        }

        /// A notification `plugin` entry (`{type, configuration}`).
        mutating func notification(_ value: Value, place: String) -> Value {
            guard case .object(var plugin) = value, let type = plugin["type"].flatMap(JobDecoder.scalarText) else { return value }
            var configuration = plugin["configuration"]?.objectValue ?? ValueObject()
            let newType = self.plugin(type: type, configuration: &configuration, place: place)
            if newType != type { plugin["type"] = .string(newType) }
            if plugin["configuration"] != nil || !configuration.isEmpty { plugin["configuration"] = .object(configuration) }
            return .object(plugin)
        }

        /// The type a plugin should name, with its configuration's keys renamed.
        mutating func plugin(type: String, configuration: inout ValueObject, place: String) -> String {
            guard let step = catalog.step(type: type) else { return type }
            let descriptor = step.descriptor
            let here = "\(job), \(place)"
            if descriptor.name == "pagerduty-run-response-play" {
                return retire(type: type, configuration: &configuration, place: here)
            }
            if descriptor.name != type {
                changes.append(Change(place: here, before: "type: \(type)", after: "type: \(descriptor.name)", note: nil))
            }
            rename(&configuration, descriptor: descriptor, place: here)
            return descriptor.name
        }

        /// Renames each key that is an alias of a property to the property's name; a key whose
        /// property is also set under its own name is left for the author (both would be read).
        mutating func rename(_ configuration: inout ValueObject, descriptor: StepDescriptor, place: String) {
            var renamed = ValueObject()
            for entry in configuration {
                guard let property = descriptor.property(entry.key), property.name != entry.key else {
                    renamed[entry.key] = entry.value
                    continue
                }
                if configuration.contains(property.name) {
                    changes.append(Change(
                        place: place, before: "\(entry.key): \(shown(entry.value, property))", after: "\(entry.key): \(shown(entry.value, property))",
                        note: "left as it is: '\(property.name)' is set too; keep one of them"))
                    renamed[entry.key] = entry.value
                    continue
                }
                changes.append(Change(place: place, before: "\(entry.key): \(shown(entry.value, property))", after: "\(property.name): \(shown(entry.value, property))", note: nil))
                renamed[property.name] = entry.value
            }
            configuration = renamed
        }

        /// A secret property's value is not printed.
        func shown(_ value: Value, _ property: StepProperty) -> String {
            property.secret ? "****" : value.text
        }

        /// The retired response-play step becomes an incident-workflow step; the workflow's id
        /// is a new option (PagerDuty has no mapping from a play to a workflow).
        mutating func retire(type: String, configuration: inout ValueObject, place: String) -> String {
            let play = configuration["response_play_id"].flatMap(JobDecoder.scalarText) ?? "?"
            configuration["response_play_id"] = nil
            guard let workflow = catalog.step(type: "pagerduty-start-incident-workflow"), let retired = catalog.step(type: type) else { return type }
            // What the incident-workflow step does not take (the From user) goes; the rest is
            // renamed as for the retired step.
            for entry in configuration {
                let property = retired.descriptor.property(entry.key)
                let name = property?.name ?? entry.key
                guard workflow.descriptor.property(name) == nil else { continue }
                configuration[entry.key] = nil
                changes.append(Change(
                    place: place, before: "\(entry.key): \(property?.secret == true ? "****" : entry.value.text)", after: "(removed)",
                    note: "pagerduty-start-incident-workflow has no '\(name)'"))
            }
            rename(&configuration, descriptor: retired.descriptor, place: place)
            configuration["workflow_id"] = .string("${option.\(workflowOption)}")
            needsWorkflowOption = true
            retiredPlays.append(play)
            changes.append(Change(
                place: place, before: "type: \(type), response_play_id: \(play)",
                after: "type: pagerduty-start-incident-workflow, workflow_id: ${option.\(workflowOption)}",
                note: "PagerDuty retired response plays; give the incident workflow that replaces response play \(play) as the option '\(workflowOption)'"))
            return "pagerduty-start-incident-workflow"
        }

        /// Declares the `incident_workflow_id` option (required) when the job has none.
        mutating func addWorkflowOption(to map: inout ValueObject) {
            let description = "The incident workflow replacing the retired response play \(retiredPlays.joined(separator: ", ")) (pdstep migrate)"
            let option = ValueObject([("name", .string(workflowOption)), ("required", .bool(true)), ("description", .string(description))])
            switch map["options"] {
            case .array(var list)?:
                guard !list.contains(where: { $0["name"]?.text == workflowOption }) else { return }
                list.append(.object(option))
                map["options"] = .array(list)
            case .object(var byName)?:
                guard !byName.contains(workflowOption) else { return }
                byName[workflowOption] = .object(option)
                map["options"] = .object(byName)
            default:
                map["options"] = .array([.object(option)])
            }
            changes.append(Change(place: job, before: "(no option \(workflowOption))", after: "option \(workflowOption), required", note: nil))
        }
    }
}
