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

/// The log filters of one step (`plugins.LogFilter` plus the workflow's): key-value data
/// capture from standard output, and the filters that only change how Rundeck displays output
/// (accepted and ignored).
struct OutputFilters {
    /// Rundeck's display-only filters: accepted, noted, and ignored (pdstep has no web view).
    static let displayOnly: Set<String> = ["highlight-output", "progress-badges", "quiet-output", "render-datatype"]
    /// Every filter type pdstep accepts.
    static let supported: Set<String> = displayOnly.union(["key-value-data", "key-value-data-multilines", "mask-passwords"])

    /// Whether a filter of this type captures `${data.*}` keys from the output.
    static func captures(_ type: String) -> Bool { type == "key-value-data" || type == "key-value-data-multilines" }

    /// Rundeck's default capture pattern (KeyValueDataLogFilterPlugin.PATTERN).
    static let defaultPattern = #"^RUNDECK:DATA:\s*([^\s]+?)\s*=\s*(.+)$"#
    /// The multi-line filter's default (DataKeyFilterMultiLines.PATTERN), matched with DOTALL.
    static let defaultMultilinePattern = #"^(.+?)\s*=\s*(.+)"#
    /// Characters not allowed in a key (KeyValueDataLogFilterPlugin.INVALID_KEY_PATTERN).
    static let defaultInvalidKeyPattern = #"\s|\$|\{|\}|\\"#

    /// `key-value-data` (rundeckapp KeyValueDataLogFilterPlugin.groovy): each output line is
    /// matched whole (`Matcher.matches()`), or searched with `matchSubstrings` (every match with
    /// `allowMultipleMatches`). Key = group 1 and value = group 2, or `name` and group 1.
    fileprivate struct LineCapture {
        var pattern: JavaRegex
        var name: String?
        var substrings: Bool
        var everyMatch: Bool
        var logData: Bool
        var invalidKey: JavaRegex?
        /// What an invalid key character becomes: `_`, or with `replaceFilteredResult` the
        /// `invalidCharactersReplacement` (removed when that is unset).
        var replacement: String
    }

    /// `key-value-data-multilines` (rundeck-plugins DataKeyFilterMultiLines.groovy): the whole
    /// output, each line followed by a line break, is matched once at the end with DOTALL; with
    /// `captureMultipleKeysValues` each line is matched on its own instead, and a key seen again
    /// gets the new value on a new line. `hideOutput` hides the lines it sees.
    fileprivate struct OutputCapture {
        var pattern: JavaRegex
        var name: String?
        var perLine: Bool
        var hideOutput: Bool
        var logData: Bool
        var buffer = ""
        /// The output went past `maximumBuffer`; the rest was not matched.
        var overflowed = false
        var found = CapturedData()
    }

    /// The most output the multi-line filter holds to match at the end.
    static let maximumBuffer = 8 << 20

    private var lineCaptures: [LineCapture] = []
    private var outputCaptures: [OutputCapture] = []
    /// Display-only filter types present, for one note.
    private(set) var ignoredTypes: [String] = []
    /// What was captured so far.
    private var captured = CapturedData()
    /// What was captured, in order (a later value for a key replaces the earlier one and moves
    /// last).
    var data: [(key: String, value: String)] { captured.entries }
    /// Whether any filter captures data (otherwise output needs no matching at all).
    var capturesData: Bool { !lineCaptures.isEmpty || !outputCaptures.isEmpty }
    /// Whether every line is hidden, matched or not (`hideOutput`).
    var hidesEveryLine: Bool { outputCaptures.contains(where: \.hideOutput) }

    init(_ configs: [LogFilterConfig]) throws(StepError) {
        for config in configs {
            let options = config.config
            func flag(_ name: String) -> Bool { parseBoolean(options[name] ?? "") ?? false }
            let name = options["name"].flatMap { $0.isEmpty ? nil : $0 }
            switch config.type {
            case "key-value-data":
                let pattern = try Self.pattern(options["regex"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultPattern, filter: config.type, name: name)
                let invalidPattern = options["invalidKeyPattern"] ?? Self.defaultInvalidKeyPattern
                var invalidKey: JavaRegex?
                if !invalidPattern.isEmpty {
                    guard let compiled = JavaRegex(invalidPattern) else {
                        throw StepError.invalid("log filter key-value-data: 'invalidKeyPattern' \(JavaRegex.invalid(invalidPattern)): \(invalidPattern)", property: "invalidKeyPattern")
                    }
                    invalidKey = compiled
                }
                lineCaptures.append(LineCapture(
                    pattern: pattern, name: name, substrings: flag("matchSubstrings"), everyMatch: flag("allowMultipleMatches"),
                    logData: flag("logData"), invalidKey: invalidKey,
                    replacement: flag("replaceFilteredResult") ? options["invalidCharactersReplacement"] ?? "" : "_"))
            case "key-value-data-multilines":
                let pattern = try Self.pattern(
                    options["regex"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultMultilinePattern, filter: config.type, name: name, dotAll: true)
                outputCaptures.append(OutputCapture(
                    pattern: pattern, name: name, perLine: flag("captureMultipleKeysValues"), hideOutput: flag("hideOutput"), logData: flag("logData")))
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
    /// Empty lines are not examined, as in Rundeck.
    mutating func process(_ line: String) -> Bool {
        guard !line.isEmpty else { return true }
        for capture in lineCaptures {
            let matches = capture.substrings
                ? capture.pattern.find(in: line, every: capture.everyMatch) : capture.pattern.wholeMatch(line).map { [$0] } ?? []
            for groups in matches {
                guard let (key, value) = capture.pattern.keyAndValue(groups, name: capture.name), !key.isEmpty else { continue }
                store(capture.invalidKey.map { Self.replacing($0, in: key, with: capture.replacement) } ?? key, value ?? "")
            }
        }
        var show = true
        for i in outputCaptures.indices {
            if outputCaptures[i].perLine {
                outputCaptures[i].take(line)
            } else if outputCaptures[i].buffer.utf8.count + line.utf8.count < Self.maximumBuffer {
                outputCaptures[i].buffer += line + "\n"
            } else {
                outputCaptures[i].overflowed = true
            }
            if outputCaptures[i].hideOutput { show = false }
        }
        return show
    }

    /// Ends the step: multi-line captures are stored; answers lines to log (`logData`).
    mutating func finish() -> [String] {
        for i in outputCaptures.indices {
            let buffer = outputCaptures[i].buffer
            if !buffer.isEmpty { outputCaptures[i].take(buffer) }
            for (key, value) in outputCaptures[i].found.entries { store(key, value) }
            if outputCaptures[i].found.full { captured.full = true }
        }
        var notes: [String] = []
        if outputCaptures.contains(where: \.overflowed) {
            notes.append("key-value-data-multilines: the output past \(Self.maximumBuffer >> 20) MB was not matched")
        }
        if captured.full {
            notes.append("log filters: captured data past \(CapturedData.maximumKeys) keys or \(CapturedData.maximumBytes >> 20) MB was not kept")
        }
        let logData = lineCaptures.contains(where: \.logData) || outputCaptures.contains(where: \.logData)
        if logData && !data.isEmpty {
            notes.append("captured data: " + data.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        return notes
    }

    /// Compiles a capture expression and checks its groups as Rundeck's validator does: at least
    /// one, and with only one a `name` to store it under.
    private static func pattern(_ source: String, filter: String, name: String?, dotAll: Bool = false) throws(StepError) -> JavaRegex {
        guard let pattern = JavaRegex(source, dotAll: dotAll) else {
            throw StepError.invalid("log filter \(filter): 'regex' \(JavaRegex.invalid(source)): \(source)", property: "regex")
        }
        if pattern.groupCount == 0 {
            throw StepError.invalid("log filter \(filter): the regex needs at least one group (the value, with 'name') or two (key and value)", property: "regex")
        }
        if pattern.groupCount == 1 && name == nil {
            throw StepError.invalid("log filter \(filter): the regex has one group, so 'name' (the key to store it under) is required", property: "name")
        }
        return pattern
    }

    private static func replacing(_ regex: JavaRegex, in key: String, with replacement: String) -> String {
        regex.replacingEvery(in: key, with: replacement)
    }

    private mutating func store(_ key: String, _ value: String) {
        captured.set(key, value)
    }
}

extension OutputFilters.OutputCapture {
    /// Matches `text` whole; a key and value both non-empty are kept (DataKeyFilterMultiLines
    /// `extractKeyValue`).
    mutating func take(_ text: String) {
        guard let groups = pattern.wholeMatch(text), let (key, value) = pattern.keyAndValue(groups, name: name),
            !key.isEmpty, let value, !value.isEmpty
        else { return }
        found.append(key, value)
    }
}

extension JavaRegex {
    /// Key and value from a match's groups: `name` and group 1 when the expression has one
    /// group, else groups 1 and 2. Nil when the key group did not take part.
    func keyAndValue(_ groups: [String?], name: String?) -> (String, String?)? {
        if groupCount == 1, let name { return (name, groups[1]) }
        guard groupCount >= 2, let key = groups[1] else { return nil }
        return (key, groups[2])
    }
}

/// Keys and values captured from a step's output, in the order Rundeck's filters leave them,
/// each set or appended in constant time, and bounded: past `maximumKeys` keys or
/// `maximumBytes` of keys and values, nothing more is kept and `full` says so (a command's
/// output is not bounded, and neither would its data be).
struct CapturedData {
    static let maximumKeys = 10_000
    static let maximumBytes = 8 << 20

    /// Key → its value and its place in the order.
    private var values: [String: (order: Int, value: String)] = [:]
    private var next = 0
    private var bytes = 0
    /// Something was not kept because a bound was reached.
    var full = false

    /// The keys and values in order.
    var entries: [(key: String, value: String)] {
        values.sorted { $0.value.order < $1.value.order }.map { ($0.key, $0.value.value) }
    }

    /// Sets `key` to `value`; the key moves last (a key captured again replaces the value).
    mutating func set(_ key: String, _ value: String) {
        keep(key, value, order: nil)
    }

    /// Adds `value` to `key`'s value on a new line; a new key goes last.
    mutating func append(_ key: String, _ value: String) {
        if let old = values[key] {
            keep(key, old.value + "\n" + value, order: old.order)
        } else {
            keep(key, value, order: nil)
        }
    }

    private mutating func keep(_ key: String, _ value: String, order: Int?) {
        let old = values[key]
        let growth = value.utf8.count - (old?.value.utf8.count ?? -key.utf8.count)
        guard (old != nil || values.count < Self.maximumKeys), bytes + growth <= Self.maximumBytes else {
            full = true
            return
        }
        bytes += growth
        values[key] = (order ?? next, value)
        if order == nil { next += 1 }
    }
}
