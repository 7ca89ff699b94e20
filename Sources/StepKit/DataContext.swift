import Settings

/// The variables a step can see: `${job.name}`, `${option.x}`, `${data.k}`, `${globals.x}`, ...
/// and the data each earlier step captured (`${2:data.k}`).
///
/// pdstep runs every step on the local node, so node scopes collapse into one: `${data.k@node}`
/// reads the same value as `${data.k}` when the node is the local one.
public struct DataContext: Sendable, Hashable {
    /// Group → key → value (`option` → `host` → `web1`).
    public var groups: [String: [String: String]]
    /// Step number (as text, `2` or `1/3` inside a job reference) → group → key → value.
    public var steps: [String: [String: [String: String]]]
    /// The name of the local node (`localhost` unless set).
    public var nodeName: String

    /// A context holding these groups and step scopes.
    public init(groups: [String: [String: String]] = [:], steps: [String: [String: [String: String]]] = [:], nodeName: String = "localhost") {
        self.groups = groups
        self.steps = steps
        self.nodeName = nodeName
    }

    /// Lays `other`'s values over these, key by key, in the global and the step scopes.
    public mutating func merge(_ other: DataContext) {
        for (group, values) in other.groups { groups[group, default: [:]].merge(values) { $1 } }
        for (step, scoped) in other.steps {
            for (group, values) in scoped { steps[step, default: [:]][group, default: [:]].merge(values) { $1 } }
        }
    }

    /// Sets one value in the global scope.
    public mutating func set(_ group: String, _ key: String, _ value: String) {
        groups[group, default: [:]][key] = value
    }

    /// The value a reference names, or nil.
    public func resolve(_ reference: VariableReference) -> String? {
        if let node = reference.node, node != nodeName { return nil }
        if let step = reference.step {
            return steps[step]?[reference.group]?[reference.key]
        }
        if reference.group == "unquotedoption" {
            return groups["option"]?[reference.key]
        }
        return groups[reference.group]?[reference.key]
    }

    /// `text` with `${...}` references expanded under the given rule.
    public func expand(_ text: String, unresolved: VariableExpander.Unresolved) -> String {
        VariableExpander.expand(text, unresolved: unresolved, resolve: resolve)
    }

    /// The `RD_*` environment of this context: every `group.key` of the global scope as
    /// `RD_GROUP_KEY`, uppercased, with characters outside `[A-Za-z0-9_]` turned into `_`.
    /// `data.*` is left out, as in Rundeck.
    public func environment(excluding excluded: Set<String> = ["data"]) -> [String: String] {
        var env: [String: String] = [:]
        for (group, values) in groups where !excluded.contains(group) {
            for (key, value) in values {
                env[Self.environmentName(group + "_" + key)] = value
            }
        }
        return env
    }

    /// `RD_` + the name uppercased with characters outside `[A-Za-z0-9_]` as `_`.
    public static func environmentName(_ name: String) -> String {
        var bytes = Array("RD_".utf8)
        bytes.reserveCapacity(name.utf8.count + 3)
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): bytes.append(byte - 32)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): bytes.append(byte)
            case 0x80...: return nonASCIIEnvironmentName(name)
            default: bytes.append(UInt8(ascii: "_"))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Java's `toUpperCase()` (ß is SS), then each code point outside `[A-Za-z0-9_]` as `_`
    /// (`DataContextUtils.generateEnvVarName`).
    private static func nonASCIIEnvironmentName(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in name.uppercased().unicodeScalars {
            let kept = scalar.isASCII && (("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_")
            scalars.append(kept ? scalar : "_")
        }
        return "RD_" + String(scalars)
    }
}
