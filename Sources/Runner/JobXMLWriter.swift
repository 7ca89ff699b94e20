import Values
import XML

/// Writes jobs in Rundeck's XML format from the YAML format's shape (what `JobFormat.read`
/// gives for any format), as Rundeck exports them: `JobsXMLCodec.convertJobMap` rearranges the
/// map (options into `context/options` with attributes, `commands` into `command` with
/// `scriptargs`, `step-plugin` and `<entry key value>`, `dispatch` out of `nodefilters`, ...),
/// and `BuilderUtil.mapToDom` writes it with keys in alphabetical order, `@` keys as
/// attributes and multi-line text as CDATA. Reading the result gives the same document back.
public enum RundeckJobXMLWriter {
    /// The XML text of a job list (`[job map, ...]`). `trimmed` receives where text starts or
    /// ends with white space, which every XML job reader (Rundeck's too) trims away: those
    /// values do not survive the trip exactly.
    public static func write(_ document: Value, trimmed: inout [String]) throws(JobDefinitionError) -> String {
        guard case .array(let jobs) = document else { throw JobDefinitionError("a job file holds a list of jobs; this one holds \(document.kindName)") }
        var root = XMLElement(name: "joblist")
        for (index, job) in jobs.enumerated() {
            guard case .object(var map) = job else { throw JobDefinitionError("job \(index + 1) is \(job.kindName), expected a map of job fields") }
            // Rundeck's reader requires a description; its exports always have one.
            if map["description"] == nil || map["description"] == .null { map["description"] = "" }
            let name = map["name"].flatMap(JobDecoder.scalarText) ?? "\(index + 1)"
            var places: [String] = []
            root.children.append(.element(element("job", .object(xmap(map)), path: "", trimmed: &places)))
            trimmed += places.map { "job '\(name)', \($0.dropFirst())" }
        }
        return XMLWriter.document(root)
    }

    /// The XML text of a job list, ignoring where text will be trimmed.
    public static func write(_ document: Value) throws(JobDefinitionError) -> String {
        var ignored: [String] = []
        return try write(document, trimmed: &ignored)
    }

    // MARK: JobsXMLCodec.convertJobMap

    /// Marks `key` of `map` as an attribute (`BuilderUtil.makeAttribute`).
    static func attribute(_ map: inout ValueObject, _ key: String) {
        guard let value = map[key] else { return }
        map[key] = nil
        if value != .null { map["@" + key] = value }
    }

    static func truthy(_ value: Value?) -> Bool { JobDecoder.truthy(value) }

    static func xmap(_ input: ValueObject) -> ValueObject {
        var map = input
        map["project"] = nil
        if let options = map["options"] {
            map["options"] = nil
            var context = map["context"]?.objectValue ?? ValueObject()
            context["options"] = .object(self.options(options))
            map["context"] = .object(context)
        }
        if case .object(var filters)? = map["nodefilters"], let dispatch = filters["dispatch"] {
            map["dispatch"] = dispatch
            filters["dispatch"] = nil
            map["nodefilters"] = .object(filters)
        }
        if let limit = map["loglimit"] {
            var logging = ValueObject([("@limit", limit), ("@limitAction", map["loglimitAction"] ?? "halt")])
            if let status = map["loglimitStatus"] { logging["@status"] = status }
            for key in ["loglimit", "loglimitAction", "loglimitStatus"] { map[key] = nil }
            map["logging"] = .object(logging)
        }
        if case .object(var schedule)? = map["schedule"] {
            if case .object(var time)? = schedule["time"] {
                for key in ["seconds", "minute", "hour"] { attribute(&time, key) }
                schedule["time"] = .object(time)
            }
            if case .object(var weekday)? = schedule["weekday"] {
                attribute(&weekday, "day")
                schedule["weekday"] = .object(weekday)
            }
            var month = ValueObject()
            if let value = schedule["month"], value != .null { month["@month"] = value }
            if case .object(let dayOfMonth)? = schedule["dayofmonth"], let day = dayOfMonth["day"] {
                month["@day"] = day
                schedule["dayofmonth"] = nil
            }
            schedule["month"] = month.isEmpty ? nil : .object(month)
            if let year = schedule["year"], year != .null { schedule["year"] = .object(ValueObject([("@year", year)])) }
            map["schedule"] = .object(schedule)
        }
        if case .object(let retry)? = map["retry"] {
            map["retry"] = .object(ValueObject([(RundeckJobXML.textKey, retry["retry"] ?? .null), ("@delay", retry["delay"] ?? .null)]))
        }
        if case .object(let sequence)? = map["sequence"] {
            map["sequence"] = .object(workflow(sequence))
        } else if case .array(let commands)? = map["sequence"] {
            map["sequence"] = .object(workflow(ValueObject([("commands", .array(commands))])))
        }
        if case .object(let notifications)? = map["notification"] {
            map["notification"] = .object(self.notifications(notifications))
        }
        if case .object(let plugins)? = map["plugins"] {
            map["plugins"] = plugins.isEmpty ? .null : .object(jobPlugins(plugins))
        }
        return map
    }

    /// `options` (a list, or the older name → option map) as `<options preserveOrder=><option
    /// name= value= values= enforcedvalues= ...>`.
    static func options(_ options: Value) -> ValueObject {
        var preserveOrder = false
        var list: [ValueObject] = []
        switch options {
        case .array(let items):
            preserveOrder = true
            list = items.compactMap(\.objectValue)
        case .object(let byName):
            list = byName.entries.map { entry in
                var option = entry.value.objectValue ?? ValueObject()
                if option["name"] == nil { option["name"] = .string(entry.key) }
                return option
            }.sorted { ($0["name"]?.text ?? "") < ($1["name"]?.text ?? "") }
        default: break
        }
        var written: [Value] = []
        for var option in list {
            option["sortIndex"] = nil
            let delimiter = option["valuesListDelimiter"].flatMap(JobDecoder.scalarText).flatMap { $0.isEmpty ? nil : $0 } ?? ","
            for key in ["name", "value", "regex", "valuesUrl"] { attribute(&option, key) }
            if case .array(let values)? = option["values"] {
                option["values"] = values.isEmpty ? nil : .string(values.map(\.text).joined(separator: delimiter))
            }
            for key in ["values", "sortValues", "valuesListDelimiter"] { attribute(&option, key) }
            if truthy(option["enforced"]) { option["@enforcedvalues"] = option["enforced"] }
            option["enforced"] = nil
            for key in ["secure", "valueExposed", "storagePath", "required"] {
                if let value = option[key], value != .bool(false), value != .string(""), value != .string("false") { attribute(&option, key) } else { option[key] = nil }
            }
            if truthy(option["multivalued"]) {
                for key in ["multivalued", "delimiter", "multivalueAllSelected"] { attribute(&option, key) }
            } else {
                for key in ["multivalued", "delimiter", "multivalueAllSelected"] { option[key] = nil }
            }
            if option["type"] != nil {
                attribute(&option, "type")
                if case .object(let config)? = option["config"] {
                    option["config"] = .object(ValueObject([("entry", .array(entries(config)))]))
                }
            }
            written.append(.object(option))
        }
        var optionsElement = ValueObject([("option", .array(written))])
        if preserveOrder { optionsElement["@preserveOrder"] = .bool(true) }
        return optionsElement
    }

    /// A configuration map as `<entry key= value=/>` elements, keys in order.
    static func entries(_ configuration: ValueObject) -> [Value] {
        configuration.entries.sorted { $0.key < $1.key }.map { entry in
            .object(ValueObject([("@key", .string(entry.key)), ("@value", entry.value == .null ? .string("") : .string(entry.value.text))]))
        }
    }

    static func workflow(_ input: ValueObject) -> ValueObject {
        var sequence = input
        attribute(&sequence, "keepgoing")
        attribute(&sequence, "strategy")
        if case .array(let commands)? = sequence["commands"] {
            sequence["commands"] = nil
            sequence["command"] = .array(commands.map { command in
                guard case .object(var step) = command else { return command }
                if case .object(let handler)? = step["errorhandler"] {
                    var handlerMap = self.command(handler)
                    attribute(&handlerMap, "keepgoingOnSuccess")
                    step["errorhandler"] = .object(handlerMap)
                }
                return .object(self.command(step))
            })
        }
        if case .object(var pluginConfig)? = sequence["pluginConfig"], case .array(let filters)? = pluginConfig["LogFilter"] {
            pluginConfig["LogFilter"] = .array(filters.map(logFilter))
            sequence["pluginConfig"] = .object(pluginConfig)
        }
        return sequence
    }

    static func logFilter(_ value: Value) -> Value {
        guard case .object(var filter) = value else { return value }
        attribute(&filter, "type")
        if case .object(let config)? = filter["config"], config.isEmpty { filter["config"] = nil }
        return .object(filter)
    }

    /// One step (`gencmd`).
    static func command(_ input: ValueObject) -> ValueObject {
        var command = input
        if command["scriptfile"] != nil || command["script"] != nil || command["scripturl"] != nil {
            if let args = command["args"] {
                command["scriptargs"] = args
                command["args"] = nil
            }
            if let interpreter = command["scriptInterpreter"], interpreter != .null {
                var element = ValueObject([(RundeckJobXML.textKey, interpreter)])
                if truthy(command["interpreterArgsQuoted"]) { element["@argsquoted"] = .bool(true) }
                command["scriptinterpreter"] = .object(element)
            }
            command["scriptInterpreter"] = nil
            command["interpreterArgsQuoted"] = nil
        } else if case .object(var jobref)? = command["jobref"] {
            attribute(&jobref, "name")
            if let group = jobref["group"], !group.text.isEmpty { attribute(&jobref, "group") } else { jobref["group"] = nil }
            if let project = jobref["project"], !project.text.isEmpty { attribute(&jobref, "project") } else { jobref["project"] = nil }
            if let args = jobref["args"] {
                jobref["args"] = nil
                jobref["arg"] = .object(ValueObject([("@line", args)]))
            }
            if truthy(jobref["nodeStep"]) { attribute(&jobref, "nodeStep") } else { jobref["nodeStep"] = nil }
            if case .object(var filters)? = jobref["nodefilters"], let dispatch = filters["dispatch"] {
                jobref["dispatch"] = dispatch
                filters["dispatch"] = nil
                jobref["nodefilters"] = .object(filters)
            }
            command["jobref"] = .object(jobref)
        } else if command["exec"] == nil, let type = command["type"] {
            let nodeStep = truthy(command["nodeStep"])
            var plugin = ValueObject([("@type", type)])
            if case .object(let configuration)? = command["configuration"], !configuration.isEmpty {
                plugin["configuration"] = .object(ValueObject([("entry", .array(entries(configuration)))]))
            }
            for key in ["type", "nodeStep", "configuration"] { command[key] = nil }
            command[nodeStep ? "node-step-plugin" : "step-plugin"] = .object(plugin)
        }
        if case .object(var plugins)? = command["plugins"], case .array(let filters)? = plugins["LogFilter"] {
            plugins["LogFilter"] = .array(filters.map(logFilter))
            command["plugins"] = .object(plugins)
        }
        return command
    }

    /// `onfailure: {email, urls, format, httpMethod, plugin}` → `<onfailure><email .../><webhook
    /// urls=/><format>json</format><plugin type=>...`.
    static func notifications(_ triggers: ValueObject) -> ValueObject {
        var result = ValueObject()
        for trigger in triggers {
            guard case .object(let kinds) = trigger.value else { continue }
            var out = ValueObject()
            if case .object(let email)? = kinds["email"] {
                out["email"] = .object(ValueObject(email.entries.map { ("@" + $0.key, $0.value) }))
            }
            if let urls = kinds["urls"] {
                out["webhook"] = .object(ValueObject([("@urls", urls)]))
                for key in ["format", "httpMethod"] { if let value = kinds[key] { out[key] = value } }
            }
            if let plugin = kinds["plugin"] {
                let items: [Value]
                if case .array(let list) = plugin { items = list } else { items = [plugin] }
                out["plugin"] = .array(items.map { item in
                    guard case .object(let map) = item else { return item }
                    var written = ValueObject([("@type", map["type"] ?? .null)])
                    if case .object(let configuration)? = map["configuration"], !configuration.isEmpty {
                        written["configuration"] = .object(ValueObject([("entry", .array(entries(configuration)))]))
                    }
                    return .object(written)
                })
            }
            result[trigger.key] = .object(out)
        }
        return result
    }

    /// Job-level plugins: `<ExecutionLifecycle type=><configuration data="true"><map>...`.
    static func jobPlugins(_ services: ValueObject) -> ValueObject {
        var result = ValueObject()
        for service in services {
            guard case .object(let providers) = service.value else { continue }
            result[service.key] = .array(providers.entries.map { provider in
                var entry = ValueObject([("@type", .string(provider.key))])
                if case .object(let configuration) = provider.value, !configuration.isEmpty {
                    entry["configuration" + dataSuffix] = provider.value
                }
                return .object(entry)
            })
        }
        return result
    }

    // MARK: BuilderUtil.mapToDom

    /// A key suffix saying "write the value as a `<map>`/`<list>`/`<value>` data tree".
    static let dataSuffix = "<data>"

    /// `value` under `key`: a list repeats the element; a map becomes attributes (its `@` keys)
    /// and child elements in key order; a scalar becomes text; null an empty element.
    static func elements(_ key: String, _ value: Value, path: String, trimmed: inout [String]) -> [XMLElement] {
        if case .array(let items) = value {
            var list: [XMLElement] = []
            for (index, item) in items.enumerated() { list += elements(key, item, path: path + "[\(index + 1)]", trimmed: &trimmed) }
            return list
        }
        return [element(key, value, path: path, trimmed: &trimmed)]
    }

    static func element(_ key: String, _ value: Value, path: String, trimmed: inout [String]) -> XMLElement {
        func text(_ text: String) -> [XMLElement.Child] {
            if text.unicodeScalars.first.map({ $0.value <= 0x20 }) == true || text.unicodeScalars.last.map({ $0.value <= 0x20 }) == true {
                trimmed.append(path)
            }
            return text.isEmpty ? [] : [.text(text)]
        }
        var element = named(key)
        if key.hasSuffix(dataSuffix) {
            element = named(String(key.dropLast(dataSuffix.count)))
            element.attributes.append(("data", "true"))
            element.children = [.element(data(value, key: nil))]
            return element
        }
        switch value {
        case .null:
            return element
        case .object(let map):
            let sorted = map.entries.sorted { $0.key < $1.key }
            for entry in sorted where entry.key.hasPrefix("@") && entry.value != .null {
                element.attributes.append((String(entry.key.dropFirst()), entry.value.text))
            }
            let rest = sorted.filter { !$0.key.hasPrefix("@") }
            if rest.count == 1, rest[0].key == RundeckJobXML.textKey {
                if rest[0].value != .null { element.children = text(rest[0].value.text) }
                return element
            }
            // A null member is left out: Rundeck would write an empty element, which reads back
            // as "" rather than as nothing.
            for entry in rest where entry.key != RundeckJobXML.textKey && entry.value != .null {
                element.children += elements(entry.key, entry.value, path: path + "/" + entry.key, trimmed: &trimmed).map { .element($0) }
            }
            return element
        default:
            element.children = text(value.text)
            return element
        }
    }

    /// `<key>`, or `<element name="key">` for a key that is no XML name.
    static func named(_ key: String) -> XMLElement {
        let scalars = key.unicodeScalars
        let valid = !key.isEmpty && !key.contains(":") && XMLParser.isNameStart(scalars.first!.value) && scalars.allSatisfy { XMLParser.isNameChar($0.value) }
        return valid ? XMLElement(name: key) : XMLElement(name: "element", attributes: [("name", key)])
    }

    /// `BuilderUtil.dataObjToDom`.
    static func data(_ value: Value, key: String?) -> XMLElement {
        let attributes: [(name: String, value: String)] = key.map { [("key", $0)] } ?? []
        switch value {
        case .object(let map):
            return XMLElement(name: "map", attributes: attributes, children: map.entries.map { .element(data($0.value, key: $0.key)) })
        case .array(let items):
            return XMLElement(name: "list", attributes: attributes, children: items.map { .element(data($0, key: nil)) })
        default:
            return XMLElement(name: "value", attributes: attributes, children: [.text(value.text)])
        }
    }
}
