#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import PagerDuty
import StepKit
import Values

/// Translates a source system's severity into PagerDuty's four.
public enum SeverityMap {
    /// The `detection` preset: security platforms' CRITICAL / HIGH / MEDIUM / LOW.
    public static let detection: [String: AlertEvent.Severity] = ["critical": .critical, "high": .error, "medium": .warning, "low": .info]

    /// The severity of a step: `severity` through `severity_map` when one is set, else
    /// `severity` itself, which must then be one of PagerDuty's.
    public static func severity(_ config: StepConfig) throws(StepError) -> AlertEvent.Severity {
        let raw = (config.string("severity") ?? "error").trimmingSpaces()
        guard let mapText = config.string("severity_map")?.trimmingSpacesAndLines(), !mapText.isEmpty else {
            guard let severity = AlertEvent.Severity(rawValue: raw.lowercased()) else {
                throw config.invalid("severity", "must be one of critical, error, warning, info, got '\(raw)' (set severity_map to translate other values)")
            }
            return severity
        }
        let map: [String: AlertEvent.Severity]
        let mapName: String
        if mapText == "detection" {
            map = detection
            mapName = "the detection preset (CRITICAL, HIGH, MEDIUM, LOW)"
        } else {
            guard case .object(let object)? = try? JSONParser.parse(mapText) else {
                throw config.invalid("severity_map", "must be 'detection' or a JSON object such as {\"P1\": \"critical\"}")
            }
            var custom: [String: AlertEvent.Severity] = [:]
            for entry in object {
                guard let severity = entry.value.stringValue.flatMap({ AlertEvent.Severity(rawValue: $0.lowercased()) }) else {
                    throw config.invalid("severity_map", "maps '\(entry.key)' to '\(entry.value.text)', which is not critical, error, warning or info")
                }
                custom[entry.key.lowercased()] = severity
            }
            map = custom
            mapName = "the map \(mapText)"
        }
        guard let severity = map[raw.lowercased()] else {
            throw StepError.invalid("\(config.step): severity '\(raw)' is not in \(mapName)", property: "severity")
        }
        return severity
    }
}
