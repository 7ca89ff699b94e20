import Values
import StepKit

/// One option a command accepts.
struct OptionSpec: Sendable {
    /// The long name without dashes (`storage` for `--storage`).
    var name: String
    /// A one-letter form (`o` for `-o`), if any.
    var short: Character?
    /// The placeholder for the value (`DIR`); nil for a flag that takes no value.
    var valueName: String?
    /// May be given more than once (`--property a=1 --property b=2`).
    var repeatable: Bool = false
    var help: String

    static func flag(_ name: String, short: Character? = nil, _ help: String) -> OptionSpec {
        OptionSpec(name: name, short: short, valueName: nil, help: help)
    }

    static func value(_ name: String, _ valueName: String, short: Character? = nil, repeatable: Bool = false, _ help: String) -> OptionSpec {
        OptionSpec(name: name, short: short, valueName: valueName, repeatable: repeatable, help: help)
    }

    /// `--storage DIR` / `-o, --option NAME=VALUE`, for help text.
    var usage: String {
        var text = "--\(name)"
        if let short { text = "-\(short), " + text }
        if let valueName { text += " \(valueName)" }
        return text
    }
}

/// What the parser found.
struct ParsedArguments: Sendable {
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    /// The last value of an option.
    func value(_ name: String) -> String? { values[name]?.last }
    /// Every value of a repeatable option, in order.
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ name: String) -> Bool { flags.contains(name) }
}

/// A command-line usage error; exit code 2.
struct UsageError: ReportableError, Sendable {
    var description: String
    init(_ description: String) { self.description = description }

    var exitCode: ExitCode { .invalidInput }
}

/// Parses arguments against a table of options. `--name value`, `--name=value`, `-o value`,
/// and `--` (everything after it is positional) are understood; an unknown option is an
/// error that suggests the nearest known one.
func parseArguments(_ arguments: [String], options: [OptionSpec], maxPositionals: Int = .max) throws(UsageError) -> ParsedArguments {
    var parsed = ParsedArguments()
    var index = 0
    var onlyPositionals = false
    func spec(long name: String) -> OptionSpec? {
        options.first { $0.name == name } ?? options.first { $0.name == name.replacingUnderscores() }
    }
    while index < arguments.count {
        let argument = arguments[index]
        index += 1
        if onlyPositionals || argument == "-" || !argument.hasPrefix("-") {
            parsed.positionals.append(argument)
            continue
        }
        if argument == "--" {
            onlyPositionals = true
            continue
        }
        var name: String
        var inlineValue: String?
        let option: OptionSpec?
        if argument.hasPrefix("--") {
            name = String(argument.dropFirst(2))
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            option = spec(long: name)
        } else {
            let letters = argument.dropFirst()
            guard letters.count == 1, let letter = letters.first else {
                throw UsageError("unknown option '\(argument)' (long options start with --)")
            }
            name = String(letter)
            option = options.first { $0.short == letter }
        }
        guard let option else {
            let known = options.map { "--" + $0.name }
            let hint = nearest(to: "--" + name, in: known).map { "; did you mean \($0)?" } ?? ""
            throw UsageError("unknown option '\(argument.split(separator: "=").first.map(String.init) ?? argument)'\(hint)")
        }
        if option.valueName == nil {
            guard inlineValue == nil else { throw UsageError("--\(option.name) takes no value") }
            parsed.flags.insert(option.name)
            continue
        }
        let value: String
        if let inlineValue {
            value = inlineValue
        } else {
            guard index < arguments.count else {
                throw UsageError("--\(option.name) needs a value (\(option.valueName ?? "VALUE"))")
            }
            value = arguments[index]
            index += 1
        }
        if !option.repeatable, parsed.values[option.name] != nil {
            throw UsageError("--\(option.name) was given more than once")
        }
        parsed.values[option.name, default: []].append(value)
    }
    if parsed.positionals.count > maxPositionals {
        let extra = parsed.positionals[maxPositionals...].joined(separator: " ")
        throw UsageError("unexpected argument\(parsed.positionals.count - maxPositionals > 1 ? "s" : "") '\(extra)'")
    }
    return parsed
}

extension String {
    /// `incident_id` → `incident-id`: flags accept both spellings.
    func replacingUnderscores() -> String {
        guard utf8.contains(UInt8(ascii: "_")) else { return self }
        return String(decoding: utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
    }
}
