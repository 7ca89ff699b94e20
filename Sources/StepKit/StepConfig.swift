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

/// A step's resolved configuration: one value per property, already expanded, defaulted and
/// checked against the descriptor. Typed accessors name the property and the step in their
/// errors.
public struct StepConfig: Sendable {
    /// The step type name (for messages).
    public let step: String
    /// Resolved values by property name. Absent properties have no entry.
    public let values: [String: String]
    /// Where each value came from (`job configuration`, `--incident-id`, `project.properties`,
    /// `default`), for dry runs and `describe`.
    public let origins: [String: String]
    /// Notes found while resolving (unknown configuration keys); shown as warnings.
    public let warnings: [String]

    /// A configuration of resolved values (the resolver builds these; tests may too).
    public init(step: String, values: [String: String], origins: [String: String] = [:], warnings: [String] = []) {
        self.step = step
        self.values = values
        self.origins = origins
        self.warnings = warnings
    }

    /// An invalid-input error about one property, in the form every step uses:
    /// `STEP: property 'NAME' PROBLEM`.
    public func invalid(_ name: String, _ problem: String) -> StepError {
        StepError.invalid("\(step): property '\(name)' \(problem)", property: name)
    }

    /// The value, or nil when the property has none.
    public func string(_ name: String) -> String? { values[name] }

    /// The value; a missing one is an error naming the property.
    public func requiredString(_ name: String) throws(StepError) -> String {
        guard let value = values[name], !value.isEmpty else { throw invalid(name, "is required but has no value") }
        return value
    }

    /// The value as an integer.
    public func int(_ name: String) throws(StepError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let number = Int(text.trimmingSpaces()) else {
            throw invalid(name, "must be a whole number, got '\(text)'")
        }
        return number
    }

    /// The value as a boolean (`true`/`false`, `yes`/`no`, any case); nil when absent.
    public func bool(_ name: String) throws(StepError) -> Bool? {
        guard let text = values[name] else { return nil }
        guard let flag = parseBoolean(text) else { throw invalid(name, "must be true or false, got '\(text)'") }
        return flag
    }

    /// The value parsed as JSON.
    public func json(_ name: String) throws(StepError) -> Value? {
        guard let text = values[name] else { return nil }
        do {
            return try JSONParser.parse(text)
        } catch {
            throw invalid(name, "is not valid JSON: \(error.description)")
        }
    }

    /// The value as a list: a JSON list of strings, or comma-separated items (trimmed, empty
    /// items dropped).
    public func list(_ name: String) throws(StepError) -> [String] {
        guard let text = values[name] else { return [] }
        return try parseList(text, property: name)
    }

    /// The value as a list that must hold at least one item.
    public func requiredList(_ name: String) throws(StepError) -> [String] {
        let items = try list(name)
        if items.isEmpty { throw invalid(name, "is required but has no value") }
        return items
    }

    func parseList(_ text: String, property name: String) throws(StepError) -> [String] {
        let trimmed = text.trimmingSpacesAndLines()
        if trimmed.hasPrefix("[") {
            guard case .array(let items)? = try? JSONParser.parse(trimmed) else {
                throw invalid(name, "looks like a JSON list but is not valid JSON")
            }
            return items.map(\.text).filter { !$0.isEmpty }
        }
        return trimmed.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }
}

/// `true`/`false`/`yes`/`no`/`on`/`off`, any case; nil for anything else.
public func parseBoolean(_ text: String) -> Bool? {
    switch text.trimmingSpaces().lowercased() {
    case "true", "yes", "on", "1": return true
    case "false", "no", "off", "0": return false
    default: return nil
    }
}
