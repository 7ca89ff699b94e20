import Values
import XML

/// Rundeck's XML job format (`<joblist><job>...</job></joblist>`), read as Rundeck reads it:
/// the XML becomes a map the way `XmlParserUtil.toObject` builds one (attributes and child
/// elements alike become keys, repeated elements a list, text trimmed as Groovy's XmlParser
/// trims it), and then takes the shape of Rundeck's YAML job format the way
/// `JobsXMLCodec.convertXMapToJobMap` rearranges it (`context/options/option` → `options`,
/// `command` → `commands`, `scriptargs` → `args`, `step-plugin` → `type` + `configuration`,
/// `<entry key= value=/>` → a map, flags to booleans, ...). The result goes through the same
/// `JobDecoder` and validator as a YAML job, so the two formats cannot drift apart.
enum RundeckJobXML {
    /// Rundeck's key for an element's text beside its attributes (`XmlParserUtil.TEXT_KEY`).
    static let textKey = "<text>"

    /// The jobs of a document, as the YAML job format's list of job maps.
    static func document(_ bytes: [UInt8], file: String?) throws(SyntaxError) -> Value {
        let root = try XMLParser.parse(bytes: bytes, file: file)
        guard root.name == "joblist" else {
            throw SyntaxError("the root element is <\(root.name)>; a Rundeck XML job file holds <joblist> with <job> elements", at: root.location)
        }
        let jobs = root.elements.filter { $0.name == "job" }
        guard !jobs.isEmpty else { throw SyntaxError("<joblist> holds no <job> element", at: root.location) }
        var list: [Value] = []
        for job in jobs {
            guard case .object(let map) = object(job) else {
                throw SyntaxError("<job> holds no job fields", at: job.location)
            }
            do {
                list.append(sortedKeys(.object(try jobMap(map))))
            } catch {
                let name = map["name"].flatMap(JobDecoder.scalarText).map { "job '\($0)': " } ?? ""
                throw SyntaxError(name + error.message, at: job.location)
            }
        }
        return .array(list)
    }

    /// Keys in alphabetical order at every level, as Rundeck's YAML export writes a job (the
    /// order means nothing to the decoder; `convert` prints what Rundeck would).
    static func sortedKeys(_ value: Value) -> Value {
        switch value {
        case .object(let map): return .object(ValueObject(map.entries.sorted { $0.key < $1.key }.map { ($0.key, sortedKeys($0.value)) }))
        case .array(let items): return .array(items.map(sortedKeys))
        default: return value
        }
    }

    /// A conversion error: what Rundeck's importer says (JobXMLException).
    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    // MARK: XmlParserUtil.toObject

    /// The element as Rundeck's generic map: text alone becomes a string; attributes and
    /// children become keys (a repeated name a list); no content at all is "".
    static func object(_ element: XMLElement) -> Value {
        let childElements = element.elements
        if element.attribute("data") == "true", childElements.count == 1, element.children.count == 1 {
            return dataValue(childElements[0]) ?? .string("")
        }
        var map = ValueObject()
        let text = trimmedText(element)
        if !text.isEmpty { map[textKey] = .string(text) }
        for attribute in element.attributes { map[attribute.name] = .string(attribute.value) }
        // Children grouped by name in one pass (appending to a list held in the map would copy
        // it for every sibling: quadratic for a long list).
        var order: [String] = []
        var grouped: [String: [Value]] = [:]
        for child in childElements {
            var child = child
            var name = child.name
            if name == "element", let renamed = child.attribute("name") {
                name = renamed
                child.attributes.removeAll { $0.name == "name" }
            }
            if grouped[name] == nil { order.append(name) }
            grouped[name, default: []].append(object(child))
        }
        for name in order {
            let values = grouped[name] ?? []
            // An attribute of the same name comes first, as Rundeck's map has it already.
            if let attribute = map[name] {
                map[name] = .array([attribute] + values)
            } else {
                map[name] = values.count == 1 ? values[0] : .array(values)
            }
        }
        if map.count == 1, let only = map[textKey] { return only }
        if map.isEmpty { return .string("") }
        if !childElements.isEmpty { map[textKey] = nil }
        return .object(map)
    }

    /// The element's own text as Groovy's XmlParser keeps it: each run of text between child
    /// elements trimmed (Java's `trim`: every character up to the space), empty runs dropped.
    static func trimmedText(_ element: XMLElement) -> String {
        element.children.reduce(into: "") { text, child in
            guard case .text(let run) = child else { return }
            let scalars = run.unicodeScalars
            guard let first = scalars.firstIndex(where: { $0.value > 0x20 }), let last = scalars.lastIndex(where: { $0.value > 0x20 }) else { return }
            text += String(scalars[first...last])
        }
    }

    /// `<map><value key=...>`, `<list>`, `<set>`, `<value>`: a plugin's data configuration
    /// (`XmlParserUtil.toDataValue`).
    static func dataValue(_ element: XMLElement) -> Value? {
        switch element.name {
        case "map":
            var map = ValueObject()
            for entry in element.elements {
                if let key = entry.attribute("key"), !key.isEmpty { map[key] = dataValue(entry) ?? .null }
            }
            return .object(map)
        case "list", "set":
            return .array(element.elements.map { dataValue($0) ?? .null })
        case "value":
            return element.children.count == 1 ? .string(element.text) : nil
        default:
            return nil
        }
    }

    // MARK: JobsXMLCodec.convertXMapToJobMap

    /// Java's `Boolean.parseBoolean` on Rundeck's loosely typed flags, with a default for an
    /// absent or blank value (`XmlParserUtil.stringToBool`).
    static func flag(_ value: Value?, default fallback: Bool) -> Value {
        switch value {
        case .bool(let b)?: return .bool(b)
        case .string(let s)? where s.unicodeScalars.contains(where: { $0.value > 0x20 }): return .bool(s.lowercased() == "true")
        default: return .bool(fallback)
        }
    }

    static func jobMap(_ input: ValueObject) throws(Problem) -> ValueObject {
        var map = input
        for (key, fallback) in [("scheduleEnabled", true), ("executionEnabled", true), ("nodeFilterEditable", true), ("multipleExecutions", false)]
        where map[key] != nil {
            map[key] = flag(map[key], default: fallback)
        }
        // `context/project` names the project the job was exported from; as in Rundeck, the
        // job belongs where it is imported (here: the run's project.name), so it is dropped.
        var context: ValueObject?
        if case .object(let found)? = map["context"] {
            context = found
            map["context"] = nil
        }
        guard let name = map["name"].flatMap(JobDecoder.scalarText), !name.isEmpty else { throw Problem("'name' element not found") }
        guard map["description"] != nil else { throw Problem("'description' element not found (Rundeck requires one; it may be empty: <description/>)") }
        if let group = map["group"].flatMap(JobDecoder.scalarText) {
            let trimmed = String(group.drop { $0 == "/" }.reversed().drop { $0 == "/" }.reversed())
            map["group"] = trimmed.isEmpty ? nil : .string(trimmed)
        }
        if case .object(var logging)? = map["logging"] {
            map["loglimit"] = logging["limit"]
            map["loglimitAction"] = logging["limitAction"].flatMap { JobDecoder.scalarText($0)?.isEmpty == false ? $0 : nil } ?? "halt"
            logging["limit"] = nil
            if let status = logging["status"] { map["loglimitStatus"] = status }
            map["logging"] = nil
        }
        if let context, let options = context["options"] {
            map["options"] = try self.options(options)
        }
        if let dispatch = map["dispatch"] {
            var filters = map["nodefilters"]?.objectValue ?? ValueObject()
            var dispatchMap = dispatch.objectValue ?? ValueObject()
            if let precedence = filters["excludeprecedence"] {
                dispatchMap["excludePrecedence"] = precedence
                filters["excludeprecedence"] = nil
            }
            for key in ["keepgoing", "excludePrecedence", "successOnEmptyNodeFilter"] where dispatchMap[key] != nil {
                dispatchMap[key] = flag(dispatchMap[key], default: false)
            }
            filters["dispatch"] = .object(dispatchMap)
            map["nodefilters"] = .object(filters)
            map["dispatch"] = nil
            if map["nodesSelectedByDefault"] != nil { map["nodesSelectedByDefault"] = flag(map["nodesSelectedByDefault"], default: false) }
        }
        if case .object(var schedule)? = map["schedule"] {
            if case .object(var month)? = schedule["month"] {
                if let day = month["day"] {
                    schedule["dayofmonth"] = .object(ValueObject([("day", day)]))
                    month["day"] = nil
                }
                schedule["month"] = month["month"]
            } else {
                schedule["month"] = nil
            }
            schedule["year"] = schedule["year"]?.objectValue?["year"]
            map["schedule"] = .object(schedule)
        }
        guard case .object(let sequence)? = map["sequence"] else { throw Problem("'sequence' element not found") }
        map["sequence"] = .object(try workflow(sequence))
        if let notification = map["notification"] {
            map["notification"] = .object(try notifications(notification))
        }
        if case .object(let retry)? = map["retry"] {
            if let delay = retry["delay"] { map["retryDelay"] = delay }
            map["retry"] = retry[textKey]
        }
        if case .object(let plugins)? = map["plugins"] {
            map["plugins"] = .object(jobPlugins(plugins))
        }
        return map
    }

    /// `<options preserveOrder="true"><option name= value= values= enforcedvalues= ...>`: a list
    /// in file order with `preserveOrder`, else in name order (Rundeck keeps options sorted).
    static func options(_ value: Value) throws(Problem) -> Value {
        guard case .object(let options) = value else {
            if value == .string("") { return .array([]) }
            throw Problem("'context/options' element is not valid")
        }
        let items: [Value]
        switch options["option"] {
        case .array(let list)?: items = list
        case let single?: items = [single]
        case nil: return .array([])
        }
        var list: [(String, ValueObject)] = []
        for item in items {
            guard case .object(var option) = item, let name = option["name"].flatMap(JobDecoder.scalarText) else {
                throw Problem("each <option> needs a name attribute")
            }
            let delimiter = option["valuesListDelimiter"].flatMap(JobDecoder.scalarText).flatMap { $0.isEmpty ? nil : $0 } ?? ","
            if case .string(let values)? = option["values"] {
                option["values"] = .array(javaSplit(values, by: delimiter).map { .string($0) })
            } else if let other = option["values"] {
                option["values"] = .array([.string(other.text)])
            }
            if option["enforcedvalues"] != nil {
                option["enforced"] = flag(option["enforcedvalues"], default: false)
                option["enforcedvalues"] = nil
            }
            for key in ["sortValues", "required", "multivalued", "isDate", "secure", "valueExposed", "hidden"] where option[key] != nil {
                option[key] = flag(option[key], default: false)
            }
            if option["multivalued"] == .bool(true), option["multivaluedAllSelected"] != nil {
                option["multivaluedAllSelected"] = flag(option["multivaluedAllSelected"], default: false)
            }
            if case .object(let config)? = option["config"] {
                option["config"] = .object(entries(config["entry"]))
            }
            list.append((name, option))
        }
        if flag(options["preserveOrder"], default: false) != .bool(true) {
            list.sort { $0.0 < $1.0 }
        }
        return .array(list.map { .object($0.1) })
    }

    /// Java's `String.split(Pattern.quote(delimiter))`: pieces between each delimiter, the
    /// trailing empty ones dropped.
    static func javaSplit(_ text: String, by delimiter: String) -> [String] {
        var pieces = text.split(separator: delimiter, omittingEmptySubsequences: false).map(String.init)
        while pieces.count > 1, pieces.last?.isEmpty == true { pieces.removeLast() }
        if pieces == [""] { return [""] }
        return pieces
    }

    /// `<entry key="k" value="v"/>` (one or a list) as `{k: v}`; entries without a key are
    /// skipped, as Rundeck skips them.
    static func entries(_ value: Value?) -> ValueObject {
        var map = ValueObject()
        let items: [Value]
        switch value {
        case .array(let list)?: items = list
        case let single?: items = [single]
        case nil: items = []
        }
        for case .object(let entry) in items {
            guard let key = entry["key"].flatMap(JobDecoder.scalarText), !key.isEmpty else { continue }
            map[key] = entry["value"] ?? .null
        }
        return map
    }

    /// `<sequence keepgoing= strategy=><command>...` → `{keepgoing, strategy, commands: [...]}`.
    static func workflow(_ input: ValueObject) throws(Problem) -> ValueObject {
        var sequence = input
        if let commands = sequence["command"] {
            sequence["command"] = nil
            var list: [Value] = []
            let items: [Value]
            if case .array(let many) = commands { items = many } else { items = [commands] }
            for item in items {
                guard case .object(var command) = item else { throw Problem("each <command> must hold a step (exec, script, jobref, step-plugin, ...)") }
                command = try self.command(command)
                if case .object(let handler)? = command["errorhandler"] {
                    command["errorhandler"] = .object(try self.command(handler))
                }
                list.append(.object(command))
            }
            sequence["commands"] = .array(list)
        }
        if sequence["keepgoing"] != nil { sequence["keepgoing"] = flag(sequence["keepgoing"], default: false) }
        if case .object(var pluginConfig)? = sequence["pluginConfig"], let filters = pluginConfig["LogFilter"] {
            pluginConfig["LogFilter"] = logFilters(filters)
            sequence["pluginConfig"] = .object(pluginConfig)
        }
        return sequence
    }

    /// One `<command>` (or `<errorhandler>`) as a YAML step.
    static func command(_ input: ValueObject) throws(Problem) -> ValueObject {
        var command = input
        if command["scriptfile"] != nil || command["script"] != nil || command["scripturl"] != nil {
            command["args"] = command["scriptargs"].map { .string($0.text) }
            command["scriptargs"] = nil
            switch command["scriptinterpreter"] {
            case .object(let interpreter)?:
                command["interpreterArgsQuoted"] = flag(interpreter["argsquoted"], default: false)
                command["scriptInterpreter"] = interpreter[textKey]
            case .string(let interpreter)?:
                command["scriptInterpreter"] = .string(interpreter)
            case nil: break
            case let other?:
                throw Problem("'command/scriptinterpreter' value incorrect: \(other.text), expected a string or a map")
            }
            command["scriptinterpreter"] = nil
        } else if let reference = command["jobref"] {
            guard case .object(var jobref) = reference else {
                throw Problem("'jobref' value incorrect: \(reference.text), expected elements: arg, group, name")
            }
            if let arg = jobref["arg"] {
                guard case .object(let argMap) = arg else { throw Problem("'jobref/arg' value incorrect: \(arg.text), expected attribute: line") }
                jobref["args"] = argMap["line"].map { .string($0.text) }
                jobref["arg"] = nil
            }
            if jobref["nodeStep"] != nil { jobref["nodeStep"] = flag(jobref["nodeStep"], default: false) }
            if let dispatch = jobref["dispatch"] {
                var filters = jobref["nodefilters"]?.objectValue ?? ValueObject()
                filters["dispatch"] = dispatch
                jobref["nodefilters"] = .object(filters)
                jobref["dispatch"] = nil
            }
            if let project = command["project"] {
                jobref["project"] = project
                command["project"] = nil
            }
            command["jobref"] = .object(jobref)
        } else if let plugin = command["node-step-plugin"] ?? command["step-plugin"] {
            let nodeStep = command["node-step-plugin"] != nil
            command["node-step-plugin"] = nil
            command["step-plugin"] = nil
            let pluginMap = plugin.objectValue ?? ValueObject()
            command["nodeStep"] = .bool(nodeStep)
            command["type"] = pluginMap["type"]
            if case .object(let configuration)? = pluginMap["configuration"] {
                command["configuration"] = .object(entries(configuration["entry"]))
            }
        }
        if command["keepgoingOnSuccess"] != nil { command["keepgoingOnSuccess"] = flag(command["keepgoingOnSuccess"], default: false) }
        if case .object(var plugins)? = command["plugins"], let filters = plugins["LogFilter"] {
            plugins["LogFilter"] = logFilters(filters)
            command["plugins"] = .object(plugins)
        }
        return command
    }

    /// `<LogFilter type=><config>...` (one or a list) as a list; an empty config is dropped.
    static func logFilters(_ value: Value) -> Value {
        let items: [Value]
        if case .array(let list) = value { items = list } else { items = [value] }
        return .array(items.map { item in
            guard case .object(var filter) = item else { return item }
            if filter["config"] == .string("") { filter["config"] = nil }
            return .object(filter)
        })
    }

    /// `<notification><onfailure><email .../><webhook urls= format= httpMethod=/><plugin type=>...`
    /// as the YAML form: `onfailure: {email: {...}, urls, format, httpMethod, plugin: [...]}`.
    static func notifications(_ value: Value) throws(Problem) -> ValueObject {
        guard case .object(let triggers) = value, !triggers.isEmpty else { throw Problem("notification section had no trigger elements") }
        var result = ValueObject()
        for trigger in triggers {
            guard case .object(let kinds) = trigger.value, kinds.contains("email") || kinds.contains("webhook") || kinds.contains("plugin") else {
                throw Problem("notification '\(trigger.key)' element had missing 'email' or 'webhook' or 'plugin' element")
            }
            var out = ValueObject()
            for kind in kinds {
                let items: [Value]
                if case .array(let list) = kind.value { items = list } else { items = [kind.value] }
                switch kind.key {
                case "email":
                    guard items.count == 1 else {
                        throw Problem("notification '\(trigger.key)' has \(items.count) email elements; pdstep sends one email per trigger (list every recipient in it)")
                    }
                    guard case .object(let email) = items[0], let recipients = email["recipients"].flatMap(JobDecoder.scalarText), !recipients.isEmpty else {
                        throw Problem("\(trigger.key) email had blank or missing 'recipients' attribute")
                    }
                    out["email"] = .object(email)
                case "webhook":
                    guard items.count == 1 else {
                        throw Problem("notification '\(trigger.key)' has \(items.count) webhook elements; pdstep sends one per trigger (list every URL in its urls, comma-separated)")
                    }
                    guard case .object(let webhook) = items[0], let urls = webhook["urls"] else { throw Problem("\(trigger.key) webhook had blank or missing 'urls' attribute") }
                    out["urls"] = urls
                    // The older form puts format and httpMethod beside <webhook> (useOldFormat).
                    for key in ["format", "httpMethod"] {
                        if let setting = webhook[key] ?? kinds[key] { out[key] = setting }
                    }
                case "plugin":
                    var plugins: [Value] = []
                    for item in items {
                        guard case .object(var plugin) = item, !plugin.isEmpty else { throw Problem("\(trigger.key) plugin element was empty") }
                        guard plugin["type"] != nil else { throw Problem("\(trigger.key) plugin had blank or missing 'type' attribute") }
                        plugin["configuration"] = .object(entries(plugin["configuration"]?.objectValue?["entry"]))
                        plugins.append(.object(plugin))
                    }
                    out["plugin"] = .array(plugins)
                case "format", "httpMethod":
                    continue
                default:
                    throw Problem("invalid notification type '\(kind.key)' in '\(trigger.key)' (it takes email, webhook and plugin)")
                }
            }
            result[trigger.key] = .object(out)
        }
        return result
    }

    /// Job-level `<plugins><ExecutionLifecycle type=><configuration>...`: `{service: {type: config}}`
    /// (`JobsXMLCodec.decodePlugins`).
    static func jobPlugins(_ plugins: ValueObject) -> ValueObject {
        var result = ValueObject()
        for service in plugins {
            var providers = ValueObject()
            let items: [Value]
            if case .array(let list) = service.value { items = list } else { items = [service.value] }
            for case .object(let provider) in items {
                guard let type = provider["type"].flatMap(JobDecoder.scalarText) else { continue }
                var configuration = ValueObject()
                for entry in provider["configuration"]?.objectValue ?? ValueObject() where !entry.key.hasPrefix("_") {
                    if entry.value != .string(""), entry.value != .null { configuration[entry.key] = entry.value }
                }
                providers[type] = .object(configuration)
            }
            result[service.key] = .object(providers)
        }
        return result
    }
}
