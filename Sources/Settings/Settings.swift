#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// Where a setting came from, so `pdstep config show` can say which value wins and why.
public struct SettingOrigin: Sendable, Hashable, CustomStringConvertible {
    /// The layers, strongest first.
    public enum Layer: String, Sendable, Hashable, CaseIterable {
        /// `--property k=v` on the command line.
        case commandLine = "command line"
        /// `project.properties`.
        case project
        /// `framework.properties`.
        case framework
    }

    /// Which layer gave the value.
    public var layer: Layer
    /// The file the value was read from (nil for the command line).
    public var file: String?
    /// The line its logical line started on.
    public var line: Int?

    /// An origin: a layer, and the file and line when it came from one.
    public init(layer: Layer, file: String? = nil, line: Int? = nil) {
        self.layer = layer
        self.file = file
        self.line = line
    }

    /// `project.properties:12`, or `--property` for the command line.
    public var description: String {
        guard let file else { return "--property" }
        if let line { return "\(file):\(line)" }
        return file
    }
}

/// One effective setting.
public struct Setting: Sendable, Hashable {
    /// The setting's name.
    public var key: String
    /// The value with `${name}` references to other settings expanded.
    public var value: String
    /// The value exactly as read.
    public var rawValue: String
    /// Where the value came from.
    public var origin: SettingOrigin
}

/// The layered settings every command reads: `--property` overrides, then project.properties,
/// then framework.properties. `${name}` inside a value is replaced by the setting `name` (as
/// Rundeck's `PropertyLookup.expand` does); an unknown name stays as written.
public struct Settings: Sendable {
    private var layers: [SettingOrigin.Layer: [String: Setting]] = [:]
    private var merged: [String: Setting] = [:]

    /// Empty settings.
    public init() {}

    /// Settings from parsed entries per layer; within a layer the last duplicate wins.
    public init(entries: [(origin: SettingOrigin, key: String, value: String)]) {
        for entry in entries {
            let setting = Setting(key: entry.key, value: entry.value, rawValue: entry.value, origin: entry.origin)
            layers[entry.origin.layer, default: [:]][entry.key] = setting
        }
        for layer in SettingOrigin.Layer.allCases.reversed() {
            for (key, setting) in layers[layer] ?? [:] { merged[key] = setting }
        }
        var expansion = Expansion(merged)
        for key in merged.keys.sorted() {
            merged[key]?.value = expansion.value(of: key, depth: 0)
        }
        problems = expansion.problems.sorted()
        hasWorkflowStepSettings = merged.keys.contains { $0.includes(".plugin.WorkflowStep.") }
    }

    /// Settings whose `${...}` expansion went past a bound (each names the key and where it was
    /// set); such a value is kept as written. `SettingsLoader` refuses files that have any.
    public private(set) var problems: [String] = []

    /// Whether any setting is a step plugin's own (`project.plugin.WorkflowStep.STEP.PROPERTY`,
    /// `framework.plugin.WorkflowStep...`): when none is, resolving a step's configuration skips
    /// looking for them (a few dozen keys built per step).
    public private(set) var hasWorkflowStepSettings = false

    /// The longest value `${...}` expansion may produce, and how deep references may nest.
    public static let maximumExpandedBytes = 1 << 20
    /// How deep `${...}` references may nest.
    public static let maximumExpansionDepth = 32

    /// The effective (expanded) value of `key`, or nil.
    public func value(_ key: String) -> String? { merged[key]?.value }

    /// The effective setting for `key`, with its raw value and origin.
    public func setting(_ key: String) -> Setting? { merged[key] }

    /// The value of `key` in one layer only (expanded against the whole set), for rules such
    /// as "project.plugin.X before framework.plugin.X".
    public func value(_ key: String, in layer: SettingOrigin.Layer) -> String? {
        guard let raw = layers[layer]?[key] else { return nil }
        if merged[key]?.origin == raw.origin { return merged[key]?.value }
        return expandText(raw.rawValue)
    }

    /// Every effective setting, sorted by key.
    public var all: [Setting] {
        merged.values.sorted { $0.key < $1.key }
    }

    /// A boolean setting (`true`/`false`, any case), or `defaultValue` when absent.
    public func bool(_ key: String, default defaultValue: Bool) -> Bool {
        guard let text = value(key)?.trimmingSpaces().lowercased() else { return defaultValue }
        return text == "true" || text == "yes" || text == "1"
    }

    /// True when a key name suggests its value is a secret (so it is masked on display).
    /// A key that names a *path* to a secret (`api_key_path`) is not itself secret.
    public static func looksSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        if lower.hasSuffix("path") || lower.hasSuffix("_file") || lower.hasSuffix(".file") { return false }
        return secretWords.contains { lower.contains($0) }
    }

    private static let secretWords = [
        "password", "passwd", "secret", "token", "apikey", "api_key", "api.key", "api-key",
        "routing_key", "routing.key", "integration_key", "integration.key", "service_key", "private",
        "credential",
    ]

    /// Expands every setting once (memoized, so a chain of values that each use the previous
    /// twice costs linear time), bounded in depth and in the size of what it produces.
    private struct Expansion {
        let settings: [String: Setting]
        var done: [String: String] = [:]
        var visiting: Set<String> = []
        var problems: Set<String> = []

        init(_ settings: [String: Setting]) { self.settings = settings }

        mutating func value(of key: String, depth: Int) -> String {
            if let value = done[key] { return value }
            guard let setting = settings[key] else { return "" }
            guard depth < Settings.maximumExpansionDepth else {
                problems.insert("\(setting.origin): \(key): ${...} references nest deeper than \(Settings.maximumExpansionDepth) levels")
                return setting.rawValue
            }
            visiting.insert(key)
            var tooLong = false
            var expanded = replaceReferences(in: setting.rawValue) { name in
                guard settings[name] != nil, !visiting.contains(name), !tooLong else { return nil }
                let value = self.value(of: name, depth: depth + 1)
                if value.utf8.count > Settings.maximumExpandedBytes { tooLong = true }
                return value
            }
            visiting.remove(key)
            if tooLong || expanded.utf8.count > Settings.maximumExpandedBytes {
                problems.insert("\(setting.origin): \(key): its value grows past \(Settings.maximumExpandedBytes >> 20) MB once ${...} references are expanded")
                expanded = setting.rawValue
            }
            done[key] = expanded
            return expanded
        }
    }

    private func expandText(_ text: String) -> String {
        replaceReferences(in: text) { name in merged[name]?.value }
    }
}

/// Replaces each `${name}` in `text` with `lookup(name)`, leaving it as written when the lookup
/// answers nil.
func replaceReferences(in text: String, _ lookup: (String) -> String?) -> String {
    guard text.includes("${") else { return text }
    var out = ""
    var rest = Substring(text)
    while let open = rest.firstRange(of: "${") {
        out += rest[..<open.lowerBound]
        guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
        let name = String(rest[open.upperBound..<close])
        if !name.isEmpty, let replacement = lookup(name) {
            out += replacement
        } else {
            out += rest[open.lowerBound...close]
        }
        rest = rest[rest.index(after: close)...]
    }
    out += rest
    return out
}
