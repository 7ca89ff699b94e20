#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import StepKit
import Values

/// What `pdstep serve` does with a PagerDuty v3 webhook event: the routes file (YAML or JSON),
/// each route's conditions on the event, the job it runs and the options it gives the job, built
/// from the event's fields (`${event.data.id}`, ...).
///
/// ```yaml
/// - name: diagnose checkout
///   when:
///     event_type: [incident.triggered]
///     service: PSVC001          # id or name
///     urgency: high
///     title: '(?i)5xx'          # a regular expression found in the title
///   job: jobs/diagnose.yaml     # relative to the routes file
///   job_name: ops/Diagnose      # when the file holds several jobs
///   options:
///     incident: ${event.data.id}
/// ```
public struct WebhookRoutes: Sendable {
    /// One route.
    public struct Route: Sendable {
        public var name: String
        /// Event types it takes (`incident.triggered`); empty: any.
        public var eventTypes: [String]
        /// The service (id or name) the incident must be on.
        public var service: String?
        public var urgency: String?
        /// Found in the incident's title.
        var title: JavaRegex?
        public var titlePattern: String?
        /// The job it runs, and the job's options from the event.
        public var job: Job
        public var options: [(name: String, value: String)]
    }

    public var routes: [Route]
    /// Every job of the files the routes name, for job references.
    public var jobs: [Job]

    static let routeKeys = ["name", "when", "job", "job_name", "options"]
    static let conditionKeys = ["event_type", "service", "urgency", "title"]

    /// Reads and checks a routes file: its syntax (file:line:column), every route's fields (with
    /// "did you mean"), that each job file reads and holds the job named, and that every option
    /// given is one the job declares.
    public static func load(_ path: String, directory: String) throws -> WebhookRoutes {
        let full = Path.resolve(path, in: directory)
        let bytes = try JobFile.read(full, shown: path)
        let document = try JobFormat.detect(bytes, path: path).read(bytes, path)
        guard case .array(let items) = document, !items.isEmpty else {
            throw JobDefinitionError("\(path): a routes file holds a list of routes ('- name: ...'), each with a job")
        }
        let folder = Path.deletingLastComponent(full)
        var routes: [Route] = []
        var jobs: [Job] = []
        for (index, item) in items.enumerated() {
            guard case .object(let map) = item else { throw JobDefinitionError("\(path): route \(index + 1) must be a map (name, when, job, options)") }
            let name = map["name"].flatMap(JobDecoder.scalarText) ?? ""
            let label = "\(path): route \(name.isEmpty ? String(index + 1) : "'\(name)'")"
            for key in map.keys where !routeKeys.contains(key) {
                throw JobDefinitionError("\(label): '\(key)' is not a route field\(hint(key, routeKeys))")
            }
            guard !name.isEmpty else { throw JobDefinitionError("\(label): 'name' is required") }
            guard let jobPath = map["job"].flatMap(JobDecoder.scalarText), !jobPath.isEmpty else { throw JobDefinitionError("\(label): 'job' (a job file) is required") }
            let jobFile = Path.resolve(jobPath, in: folder)
            let loaded: JobFile.Opened
            do {
                loaded = try JobFile.open(jobFile, directory: directory)
            } catch {
                throw JobDefinitionError("\(label): \(error)")
            }
            let job = try JobFile.select(loaded.jobs, map["job_name"].flatMap(JobDecoder.scalarText), file: jobPath)
            jobs += loaded.all.filter { candidate in !jobs.contains { $0.fullName == candidate.fullName && $0.file == candidate.file } }
            var route = Route(name: name, eventTypes: [], job: job, options: [])
            if let when = map["when"] {
                guard case .object(let conditions) = when else { throw JobDefinitionError("\(label): 'when' must be a map of conditions") }
                for key in conditions.keys where !conditionKeys.contains(key) {
                    throw JobDefinitionError("\(label): '\(key)' is not a condition\(hint(key, conditionKeys)) (conditions: \(conditionKeys.joined(separator: ", ")))")
                }
                switch conditions["event_type"] {
                case .array(let types)?: route.eventTypes = types.compactMap(JobDecoder.scalarText)
                case let single?: route.eventTypes = JobDecoder.scalarText(single).map { [$0] } ?? []
                case nil: break
                }
                route.service = conditions["service"].flatMap(JobDecoder.scalarText)
                route.urgency = conditions["urgency"].flatMap(JobDecoder.scalarText)
                if let pattern = conditions["title"].flatMap(JobDecoder.scalarText) {
                    guard let regex = JavaRegex(pattern) else { throw JobDefinitionError("\(label): 'title' \(JavaRegex.invalid(pattern)): \(pattern)") }
                    route.title = regex
                    route.titlePattern = pattern
                }
            }
            if let options = map["options"] {
                guard case .object(let given) = options else { throw JobDefinitionError("\(label): 'options' must be a map of option: value") }
                for entry in given {
                    guard job.options.contains(where: { $0.name == entry.key }) else {
                        throw JobDefinitionError("\(label): job \(job.fullName) declares no option '\(entry.key)'\(hint(entry.key, job.options.map(\.name)))")
                    }
                    route.options.append((entry.key, entry.value.text))
                }
            }
            routes.append(route)
        }
        return WebhookRoutes(routes: routes, jobs: jobs)
    }

    static func hint(_ word: String, _ names: [String]) -> String {
        nearest(to: word, in: names).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// The event's fields as `${event.*}`: the v3 payload's `event` object flattened
    /// (`event_type`, `data.id`, `data.service.summary`, `agent.summary`, list items by index).
    public static func fields(of event: Value) -> [String: String] {
        var fields: [String: String] = [:]
        func walk(_ value: Value, _ prefix: String) {
            switch value {
            case .object(let object): for entry in object { walk(entry.value, prefix.isEmpty ? entry.key : prefix + "." + entry.key) }
            case .array(let items): for (index, item) in items.enumerated() { walk(item, "\(prefix).\(index)") }
            case .null: fields[prefix] = ""
            default: fields[prefix] = value.text
            }
        }
        walk(event["event"] ?? event, "")
        return fields
    }

    /// Seconds a route's title pattern may take on a title before the route counts as undecided.
    public static var titleCheckSeconds: Double { JavaRegex.checkSeconds }

    /// Where in `routes` the routes an event matches are, and the routes whose title pattern
    /// could not be matched within `titleCheckSeconds` (not run, and to be reported).
    public func matchingIndices(_ fields: [String: String], seconds: Double = titleCheckSeconds) -> (matched: [Int], undecided: [Int]) {
        var matched: [Int] = [], undecided: [Int] = []
        for (index, route) in routes.enumerated() {
            if !route.eventTypes.isEmpty && !route.eventTypes.contains(fields["event_type"] ?? "") { continue }
            if let service = route.service, fields["data.service.id"] != service && fields["data.service.summary"] != service { continue }
            if let urgency = route.urgency, fields["data.urgency"] != urgency { continue }
            if let title = route.title {
                let text = fields["data.title"] ?? ""
                switch JavaRegex.within(seconds: seconds, { !title.find(in: text, every: false).isEmpty }) {
                case true?: break
                case false?: continue
                case nil: undecided.append(index); continue
                }
            }
            matched.append(index)
        }
        return (matched, undecided)
    }

    /// A route's options for an event, `${event.*}` expanded.
    public static func options(_ route: Route, _ fields: [String: String]) -> [String: String] {
        var data = DataContext()
        data.groups["event"] = fields
        var options: [String: String] = [:]
        for (name, value) in route.options { options[name] = data.expand(value, unresolved: .blank) }
        return options
    }
}
