#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Settings
import StepKit
import Values

/// Applies defaults to a job's options and checks them by Rundeck's rules
/// (`ExecutionService.validateOptionValues`): required, enforced values, regex (only when not
/// enforced), multi-valued pieces, secure values from key storage.
struct OptionResolver {
    struct Resolved {
        /// `option.*`: supplied or default values, plus exposed secure values.
        var visible: [String: String] = [:]
        /// Secure values (exposed or not).
        var secure: [String: String] = [:]
    }

    let options: [JobOption]
    let keyStorage: KeyStorage
    let redactor: SecretRedactor
    /// Seconds a value's match against an option's pattern may take before it is refused.
    var checkSeconds = JavaRegex.checkSeconds

    /// Resolves `supplied` against the job's options. Every problem is reported at once. A name
    /// the job does not declare is an error from the command line (it catches typos), and is
    /// passed on as `${option.name}` from a job reference, as Rundeck passes it
    /// (ExecutionService.groovy 4035-4047).
    func resolve(_ supplied: [String: String], globals: [String: String], job: [String: String], passUndeclared: Bool = false) throws(StepError) -> Resolved {
        var problems: [String] = []
        var resolved = Resolved()
        for name in supplied.keys.sorted() where passUndeclared && !options.contains(where: { $0.name == name }) {
            resolved.visible[name] = supplied[name]
        }
        for name in supplied.keys.sorted() where !passUndeclared && !options.contains(where: { $0.name == name }) {
            let names = options.map(\.name)
            let hint = nearest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
            problems.append("option '\(name)' is not an option of this job\(hint)\(names.isEmpty ? " (it has none)" : " (its options: \(names.joined(separator: ", ")))")")
        }
        for option in options {
            var value = supplied[option.name]
            if value == nil, let path = option.storagePath, !path.isEmpty {
                let expandedPath = VariableExpander.expand(path, unresolved: .keep) { reference in
                    switch reference.group {
                    case "option": return resolved.visible[reference.key] ?? supplied[reference.key]
                    case "job": return job[reference.key]
                    default: return nil
                    }
                }
                do {
                    value = try keyStorage.readPassword(expandedPath)
                } catch {
                    problems.append("option '\(option.name)': its storagePath \(expandedPath) could not be read: \(error.description)")
                    continue
                }
            }
            if value == nil { value = option.defaultValue }
            if let current = value, current.contains("${globals.") {
                value = VariableExpander.expand(current, unresolved: .keep) { $0.group == "globals" ? globals[$0.key] : nil }
            }
            let text = value ?? ""
            if option.secure && !text.isEmpty { redactor.register(text) }
            if option.required && text.isEmpty {
                problems.append("option '\(option.name)' is required\(option.description.isEmpty ? "" : " (\(option.description))"); give it with -o \(option.name)=VALUE")
                continue
            }
            // `${option.x.delimiter}` is there whether or not the option has a value.
            if option.multivalued { resolved.visible[option.name + ".delimiter"] = option.delimiter }
            if !text.isEmpty, let problem = check(text, option) {
                problems.append(problem)
                continue
            }
            guard value != nil else { continue }
            if option.secure {
                resolved.secure[option.name] = text
                if option.valueExposed { resolved.visible[option.name] = text }
            } else {
                resolved.visible[option.name] = text
            }
        }
        if !problems.isEmpty {
            throw StepError(.invalidInput, problems.count == 1 ? problems[0] : "\(problems.count) options are invalid", details: problems.count == 1 ? [] : problems)
        }
        return resolved
    }

    /// The rule a value breaks, or nil. A multi-valued value is split at its delimiter and empty
    /// pieces are dropped (`a,,b` and `a,b,` are valid); `regex` must match each piece whole, as
    /// Groovy's `==~` does (ExecutionService.groovy 3260-3281).
    private func check(_ value: String, _ option: JobOption) -> String? {
        let pieces = option.multivalued ? value.components(separatedBy: option.delimiter).filter { !$0.isEmpty } : [value]
        let shown = { (piece: String) in option.secure ? SecretRedactor.mask : Text.clipped(piece, to: 120) }
        for piece in pieces {
            if option.enforced {
                if !option.values.contains(piece) {
                    return "option '\(option.name)': '\(shown(piece))' is not one of the allowed values: \(option.values.joined(separator: ", "))"
                }
            } else if let pattern = option.regex, !pattern.isEmpty {
                guard let regex = JavaRegex(pattern) else {
                    return "option '\(option.name)': its regex \(pattern) \(JavaRegex.invalid(pattern))"
                }
                switch JavaRegex.within(seconds: checkSeconds, { regex.matchesWhole(piece) }) {
                case true?: break
                case false?: return "option '\(option.name)': '\(shown(piece))' does not match the pattern \(pattern)"
                case nil:
                    return "option '\(option.name)': '\(shown(piece))' could not be checked against the pattern \(pattern) within \(Text.seconds(checkSeconds)) s (the pattern backtracks on it; a pattern without nested repetition such as (a+)+ avoids that)"
                }
            }
        }
        return nil
    }
}
