#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import PagerDutyStepKit
import Settings
import StepKit
import Values

extension PDStep {
    static let configCommand = Command(
        name: "config",
        summary: "Show the effective settings, each with the file (or flag) it came from.",
        usage: """
            show [--json] [--raw]

              --raw shows values exactly as read, before ${...} expansion, and leaves out defaults.
              Values of keys that look secret (password, token, api_key, ...) are masked.
            """,
        options: [.flag("json", "print JSON"), .flag("raw", "values as read, before ${...} expansion")] + settingsOptions,
        maxPositionals: 1, examples: ["pdstep config show", "pdstep config show --json --raw"]
    ) { arguments, invocation in
        guard arguments.positionals.first == "show" else {
            throw UsageError(arguments.positionals.isEmpty ? "config needs an action: show" : "unknown config action '\(arguments.positionals[0])'; did you mean 'show'?")
        }
        let settings = try invocation.settings(arguments)
        let raw = arguments.has("raw")
        // A secret setting is masked where it stands, and also where ${...} expanded it into
        // another value (db.url=postgres://app:${db.password}@db).
        let secrets = SecretRedactor(onShortSecret: { _ in })
        for setting in settings.all where Settings.looksSecret(setting.key) {
            secrets.register(setting.value)
            secrets.register(setting.rawValue)
        }
        var rows: [(key: String, value: String, source: String, layer: String)] = settings.all.map { setting in
            let value = raw ? setting.rawValue : setting.value
            let shown = Settings.looksSecret(setting.key) && !value.isEmpty ? SecretRedactor.mask : secrets.redact(value)
            return (setting.key, shown, setting.origin.description, setting.origin.layer.rawValue)
        }
        if !raw {
            for known in KnownSettings.all where settings.setting(known.key) == nil && !known.defaultValue.isEmpty {
                rows.append((known.key, known.defaultValue, "default", "default"))
            }
            rows.sort { $0.key < $1.key }
        }
        if arguments.has("json") {
            var object = ValueObject()
            for row in rows {
                object[row.key] = .object(ValueObject([
                    ("value", .string(row.value)), ("source", .string(row.source)), ("layer", .string(row.layer)),
                ]))
            }
            invocation.io.print(JSONWriter.write(.object(object), options: .pretty))
        } else if rows.isEmpty {
            invocation.io.printError("no settings (no framework.properties or project.properties here, and no --property)")
        } else {
            let width = rows.map(\.key.count).max() ?? 0
            for row in rows {
                invocation.io.print(
                    row.key.padded(to: width) + " = " + printable(row.value) + "    (\(row.source))")
            }
        }
        // The values every PagerDuty step will use are checked as a run checks them.
        do throws(StepError) {
            _ = try PagerDutyClientFactory(settings: settings).configuration()
        } catch {
            invocation.io.printError("error: \(error.message)")
            return .invalidInput
        }
        return .success
    }

    /// A value on one line: control characters shown as escapes.
    static func printable(_ value: String) -> String {
        String(JSONWriter.quote(value).dropFirst().dropLast()).replacing("\\\"", with: "\"")
    }
}
