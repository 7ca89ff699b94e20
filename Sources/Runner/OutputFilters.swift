import Foundation
import StepKit

/// The log filters of one step (`plugins.LogFilter` plus the workflow's): key-value data
/// capture from standard output, and the filters that only change how Rundeck displays output
/// (accepted and ignored).
struct OutputFilters {
    /// Rundeck's display-only filters: accepted, noted, and ignored (pdstep has no web view).
    static let displayOnly: Set<String> = ["highlight-output", "progress-badges", "quiet-output", "render-datatype"]
    /// Every filter type pdstep accepts.
    static let supported: Set<String> = displayOnly.union(["key-value-data", "key-value-data-multilines", "mask-passwords"])

    /// Rundeck's default capture pattern (source, not the older docs' version).
    static let defaultPattern = #"^RUNDECK:DATA:\s*([^\s]+?)\s*=\s*(.+)$"#

    private struct Capture {
        var regex: NSRegularExpression
        var name: String?
        var substrings: Bool
        var logData: Bool
        var hideMatches: Bool
        var invalidKey: NSRegularExpression?
        var replacement: String
        var multiline: Bool
        var collected: [String] = []
    }

    private var captures: [Capture] = []
    /// Display-only filter types present, for one note.
    private(set) var ignoredTypes: [String] = []
    /// What was captured, in order (a later value for a key replaces the earlier one).
    private(set) var data: [(key: String, value: String)] = []

    init(_ configs: [LogFilterConfig]) throws(StepError) {
        for config in configs {
            switch config.type {
            case "key-value-data", "key-value-data-multilines":
                let multiline = config.type == "key-value-data-multilines"
                let pattern = config.config["regex"].flatMap { $0.isEmpty ? nil : $0 } ?? (multiline ? #"^(.*)$"# : Self.defaultPattern)
                guard let regex = try? NSRegularExpression(pattern: pattern) else {
                    throw StepError.invalid("log filter \(config.type): 'regex' is not a valid regular expression: \(pattern)", property: "regex")
                }
                let name = config.config["name"].flatMap { $0.isEmpty ? nil : $0 }
                if regex.numberOfCaptureGroups == 1 && name == nil {
                    throw StepError.invalid("log filter \(config.type): the regex has one group, so 'name' (the key to store it under) is required", property: "name")
                }
                if regex.numberOfCaptureGroups == 0 || regex.numberOfCaptureGroups > 2 {
                    throw StepError.invalid("log filter \(config.type): the regex needs one group (the value, with 'name') or two (key and value)", property: "regex")
                }
                let invalidPattern = config.config["invalidKeyPattern"] ?? #"\s|\$|\{|\}|\\"#
                captures.append(Capture(
                    regex: regex, name: name, substrings: parseBoolean(config.config["matchSubstrings"] ?? "") ?? false,
                    logData: parseBoolean(config.config["logData"] ?? "") ?? false,
                    hideMatches: parseBoolean(config.config["replaceFilteredResult"] ?? "") ?? false,
                    invalidKey: invalidPattern.isEmpty ? nil : try? NSRegularExpression(pattern: invalidPattern),
                    replacement: config.config["invalidCharactersReplacement"] ?? "_", multiline: multiline))
            case "mask-passwords":
                break  // pdstep masks every secret in every line already
            default:
                if Self.displayOnly.contains(config.type) {
                    if !ignoredTypes.contains(config.type) { ignoredTypes.append(config.type) }
                } else {
                    throw StepError.invalid("log filter type '\(config.type)' is not supported (supported: \(Self.supported.sorted().joined(separator: ", ")))")
                }
            }
        }
    }

    /// Examines one line of standard output. Answers false when the line should be hidden.
    mutating func process(_ line: String) -> Bool {
        var show = true
        let range = NSRange(line.startIndex..., in: line)
        for i in captures.indices {
            let capture = captures[i]
            guard let match = capture.regex.firstMatch(in: line, options: capture.substrings ? [] : [.anchored], range: range),
                capture.substrings || match.range == range
            else { continue }
            func group(_ n: Int) -> String? {
                guard let r = Range(match.range(at: n), in: line) else { return nil }
                return String(line[r])
            }
            if capture.multiline {
                if let value = group(1) { captures[i].collected.append(value) }
            } else if capture.regex.numberOfCaptureGroups == 2, var key = group(1), let value = group(2) {
                if let invalid = capture.invalidKey {
                    key = invalid.stringByReplacingMatches(in: key, range: NSRange(key.startIndex..., in: key), withTemplate: NSRegularExpression.escapedTemplate(for: capture.replacement))
                }
                store(key, value)
            } else if let name = capture.name, let value = group(1) {
                store(name, value)
            }
            if capture.hideMatches { show = false }
        }
        return show
    }

    /// Ends the step: multi-line captures are stored; answers lines to log (`logData`).
    mutating func finish() -> [String] {
        var notes: [String] = []
        for capture in captures {
            if capture.multiline, let name = capture.name, !capture.collected.isEmpty {
                store(name, capture.collected.joined(separator: "\n"))
            }
            if capture.logData && !data.isEmpty {
                notes.append("captured data: " + data.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
            }
        }
        return notes
    }

    private mutating func store(_ key: String, _ value: String) {
        data.removeAll { $0.key == key }
        data.append((key, value))
    }
}
