/// What kind of value a step property holds; drives validation, `describe`, the JSON schema and
/// the Rundeck plugin.yaml.
public enum PropertyKind: Sendable, Hashable {
    /// Free text (may hold `${...}` references, expanded before the step sees it).
    case string
    /// Multi-line free text.
    case text
    /// A whole number.
    case integer
    /// `true` or `false`.
    case boolean
    /// One of a fixed list of values.
    case select([String])
    /// A JSON value (object or list, as the property's description says).
    case json
    /// A comma-separated list (a JSON list of strings is accepted too).
    case list
    /// A key-storage path such as `keys/pd/api`; the step reads the secret stored there.
    case storagePath

    /// The lowercase name shown by `describe`.
    public var name: String {
        switch self {
        case .string: return "string"
        case .text: return "text"
        case .integer: return "integer"
        case .boolean: return "boolean"
        case .select: return "select"
        case .json: return "json"
        case .list: return "list"
        case .storagePath: return "storage-path"
        }
    }
}

/// The shape of an identifier property's value.
public enum IdentifierShape: String, Sendable, Hashable {
    /// Capital letters and digits: a PagerDuty id (`PABC123`) or an incident number (`1234`).
    case id
    /// An id, or an email address (looked up, for users).
    case idOrEmail

    /// Why `value` does not have this shape, or nil when it does.
    public func problem(_ value: String) -> String? {
        let isID = !value.isEmpty && value.count <= 64 && value.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
        if isID { return nil }
        if self == .idOrEmail, Self.isEmail(value) { return nil }
        let what = self == .id ? "a PagerDuty id (capital letters and digits, like PABC123)" : "a PagerDuty id (like PABC123) or an email address"
        return "must be \(what), got '\(value)'"
    }

    /// One `@`, something on each side, and no spaces, slashes, controls or path syntax.
    static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, value.count <= 254 else { return false }
        return value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && !"/\\?#%".unicodeScalars.contains($0) }
    }
}

/// One configuration property of a step. The descriptor is the only place a property is
/// described: validation, `describe`, `--help`, the JSON schema and plugin.yaml all come from it.
public struct StepProperty: Sendable, Hashable {
    /// snake_case name, the key in a job's `configuration` and the `--flag` of the step binary.
    public var name: String
    /// A short title for people (`Incident`).
    public var title: String
    /// One or two sentences on what the value is and what it does.
    public var description: String
    /// What kind of value it takes; values are checked against it before the step is built.
    public var kind: PropertyKind
    /// The step cannot run without a value (the resolver refuses the configuration otherwise).
    public var required: Bool
    /// Used when no source gives a value.
    public var defaultValue: String?
    /// The value is a secret: registered for redaction, masked in dry runs and never logged.
    public var secret: Bool
    /// Other configuration keys that mean this property (Rundeck Enterprise spellings such as
    /// `apiKey`, `pd-id`).
    public var aliases: [String]
    /// Well-known settings consulted after the plugin keys, in order (for example
    /// `project.pagerduty.api_key_path`, `pagerduty.api_key_path`).
    public var settingsKeys: [String]
    /// The value (each item, for a list) names a remote object and must have this shape; it
    /// goes into URL paths, so anything else is refused before a request is sent.
    public var identifier: IdentifierShape?

    /// A property; everything but the name, title and description has a default.
    public init(
        _ name: String, title: String, description: String, kind: PropertyKind = .string, required: Bool = false,
        default defaultValue: String? = nil, secret: Bool = false, aliases: [String] = [], settingsKeys: [String] = [],
        identifier: IdentifierShape? = nil
    ) {
        self.identifier = identifier
        self.name = name
        self.title = title
        self.description = description
        self.kind = kind
        self.required = required
        self.defaultValue = defaultValue
        self.secret = secret
        self.aliases = aliases
        self.settingsKeys = settingsKeys
    }

    /// Every key that names this property: the name first, then the aliases.
    public var allNames: [String] { [name] + aliases }

    /// The property without some of its aliases, for a step where an alias would be spelled
    /// like another of its properties (`email` is From's alias, but create-user's own field).
    public func without(aliases removed: Set<String>) -> StepProperty {
        var copy = self
        copy.aliases.removeAll { removed.contains($0) }
        return copy
    }
}

/// One output a step returns, available to later steps as `${data.NAME}`.
public struct StepOutput: Sendable, Hashable {
    /// The output's key: later steps read it as `${data.NAME}`.
    public var name: String
    /// What the output holds.
    public var description: String

    /// An output and what it holds.
    public init(_ name: String, _ description: String) {
        self.name = name
        self.description = description
    }
}

/// Everything there is to know about a step without running it.
public struct StepDescriptor: Sendable, Hashable {
    /// The step type name used in job files (`type: pagerduty-send-event`).
    public var name: String
    /// Other type names that run this step (Rundeck Enterprise names such as `pd-note-step`).
    public var aliases: [String]
    /// The step's name for people (`Incident Note`).
    public var title: String
    /// One line for `pdstep list`.
    public var summary: String
    /// Longer text for `describe`.
    public var details: String
    /// Every configuration property, in the order `describe` lists them.
    public var properties: [StepProperty] {
        didSet { table = PropertyTable(properties) }
    }
    /// The properties by name and alias, built once per descriptor: each step of a job is
    /// resolved against it.
    private(set) var table: PropertyTable
    /// What the step returns as `${data.*}`.
    public var outputs: [StepOutput]
    /// Configuration keys that jobs exported from Rundeck Enterprise carry for this step and that
    /// it has no use for (a change event needs no `apiKey`): accepted with a warning. Any other
    /// key that is no property is an error (a typo must not change what is sent).
    public var ignoredKeys: [String]
    /// Property values for the examples `--help` shows, when the required properties alone do
    /// not make a valid call (an update needs something to change); in property order.
    public var example: [String: String]

    /// A descriptor; `aliases`, `details`, `outputs`, `ignoredKeys` and `example` may be left out.
    public init(
        name: String, aliases: [String] = [], title: String, summary: String, details: String = "",
        properties: [StepProperty], outputs: [StepOutput] = [], ignoredKeys: [String] = [], example: [String: String] = [:]
    ) {
        self.ignoredKeys = ignoredKeys
        self.example = example
        self.name = name
        self.aliases = aliases
        self.title = title
        self.summary = summary
        self.details = details
        self.properties = properties
        self.outputs = outputs
        table = PropertyTable(properties)
    }

    /// The property with this name or alias (a name wins over another property's alias).
    public func property(_ key: String) -> StepProperty? {
        table.index[key].map { properties[$0] }
    }

    /// The name the step binary answers to: the type name without its `pagerduty-` prefix
    /// (`pdstep send-event`).
    public var commandName: String {
        name.hasPrefix("pagerduty-") ? String(name.dropFirst("pagerduty-".count)) : name
    }
}

/// What resolving a configuration looks up in a descriptor, derived from its properties.
struct PropertyTable: Sendable, Hashable {
    /// Property positions by name, then by alias (a name wins over another property's alias;
    /// the first property wins among equals).
    let index: [String: Int]
    /// The properties as configuration is resolved: an alias never captures a key that is
    /// another property's own name (`email` is the From user in the pd-* steps, but the user's
    /// email in the user steps).
    let resolvable: [StepProperty]

    init(_ properties: [StepProperty]) {
        // One dictionary type and plain loops: in a step binary this runs once, where each
        // further generic type costs the runtime more to set up than the work itself.
        var index: [String: Int] = [:]
        index.reserveCapacity(properties.count * 2)
        for position in properties.indices where index[properties[position].name] == nil {
            index[properties[position].name] = position
        }
        let names = index
        for position in properties.indices {
            for alias in properties[position].aliases where index[alias] == nil { index[alias] = position }
        }
        self.index = index
        resolvable = properties.map { property in
            var property = property
            property.aliases.removeAll { names[$0] != nil }
            return property
        }
    }

    // Derived from the properties, which a descriptor's equality already compares.
    static func == (_: PropertyTable, _: PropertyTable) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}
