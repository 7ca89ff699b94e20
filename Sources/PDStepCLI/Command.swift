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
import PagerDutyStepKit
import Runner
import Values
import Settings
import StepKit

/// One `pdstep` command: its name, help, options, and what it does. The table of these in
/// `PDStep.commands` is the whole command-line surface.
struct Command: Sendable {
    var name: String
    var summary: String
    /// Usage after `pdstep NAME` (`PATH --password-stdin`).
    var usage: String
    var options: [OptionSpec]
    var maxPositionals: Int
    /// Command lines shown under "Examples" in `--help`.
    var examples: [String] = []
    var action: @Sendable (ParsedArguments, Invocation) async throws -> ExitCode

    init(
        name: String, summary: String, usage: String, options: [OptionSpec], maxPositionals: Int, examples: [String] = [],
        action: @escaping @Sendable (ParsedArguments, Invocation) async throws -> ExitCode
    ) {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.options = options
        self.maxPositionals = maxPositionals
        self.examples = examples
        self.action = action
    }

    /// `--help` text.
    var help: String {
        var text = "usage: pdstep \(name)\(usage.isEmpty ? "" : " " + usage)\n\n\(summary)\n"
        if !options.isEmpty {
            text += "\noptions:\n"
            let width = min(34, options.map(\.usage.count).max() ?? 0)
            for option in options {
                text += "  " + option.usage.padded(to: max(width, option.usage.count))
                text += "  " + option.help + "\n"
            }
        }
        if !examples.isEmpty { text += "\nexamples:\n" + examples.map { "  \($0)\n" }.joined() }
        text += "\nexit codes: 0 done; 1 failed; 2 invalid input or configuration, nothing was sent; 3 temporary failure, or queued in the outbox; 124 timed out; 128+n stopped by signal n.\n"
        return text
    }
}

/// What a running command has to work with.
struct Invocation: Sendable {
    var io: CommandIO
    var catalog: StepCatalog
    var redactor: SecretRedactor

    /// Settings from `--framework-properties`, `--project-properties` (else `project`, a project
    /// folder's own file), `--property` and `--outbox`.
    func settings(_ arguments: ParsedArguments, project: String? = nil) throws -> Settings {
        var overrides = arguments.all("property")
        if let outbox = arguments.value("outbox") {
            overrides.append(KnownSettings.outboxDir.key + "=" + (Path.resolve(outbox, in: io.directory)))
        }
        let settings = try SettingsLoader.load(
            frameworkFile: arguments.value("framework-properties"), projectFile: arguments.value("project-properties") ?? project,
            overrides: overrides, directory: io.directory)
        for warning in Self.unknownSettings(settings) { io.printError("warning: " + warning) }
        return settings
    }

    /// Settings under pdstep's own prefixes that pdstep does not read: a misspelling
    /// (`pagerduty.regoin`) would otherwise leave the default in force without a word.
    static func unknownSettings(_ settings: Settings) -> [String] {
        let known = KnownSettings.all.map(\.key) + [
            "project.plugin.Notification.PagerDutyNotification.service_key", "framework.plugin.Notification.PagerDutyNotification.service_key",
        ]
        let prefixes = ["pagerduty.", "pdstep.", "framework.pagerduty.", "project.pagerduty."]
        return settings.all.filter { setting in prefixes.contains(where: setting.key.hasPrefix) && !known.contains(setting.key) }.map { setting in
            let hint = nearest(to: setting.key, in: known).map { "; did you mean \($0)?" } ?? ""
            return "setting \(setting.key) (\(setting.origin)) is not one pdstep reads\(hint)"
        }
    }

    /// What every step of this command shares: one PagerDuty client factory for the settings
    /// (pointed at the sandbox with `--sandbox`), and the runner's own http(s) and email.
    func services(_ arguments: ParsedArguments, settings: Settings) -> StepServices {
        var services = StepServices()
        let factory = PagerDutyClientFactory(settings: settings, sandbox: arguments.has("sandbox") ? SandboxSession.keys : nil)
        services.add(factory)
        if arguments.has("sandbox") { services.add(KeysSuppliedByHost(supplier: "the sandbox")) }
        services.add(OutboundHTTP { method, url, headers, body in
            do throws(StepError) {
                let answer = try await factory.send(method: method, url: url, headers: headers, body: body)
                return .success(.init(status: answer.status, body: answer.body))
            } catch {
                return .failure(.init(error.message))
            }
        })
        // Email notifications, through libcurl's SMTP.
        services.add(OutboundMail { relay, recipients, message in
            let curlRelay = CurlMail.Relay(
                url: relay.url, user: relay.user, password: relay.password, requireTLS: relay.requireTLS, caBundle: relay.caBundle, timeout: 60)
            return await CurlMail.send(message, from: relay.from, to: recipients, relay: curlRelay).mapError { .init($0.message) }
        })
        return services
    }

    /// A runner for `jobs` (and the jobs they reference) with this command's settings, key
    /// storage and services (given, to share one PagerDuty client and its pacing between runs).
    func jobRunner(_ arguments: ParsedArguments, settings: Settings, jobs: [Job], log: ExecutionLog, services: StepServices? = nil) -> JobRunner {
        var runner = JobRunner(
            catalog: catalog, settings: settings, keyStorage: keyStorage(arguments, settings: settings), log: log, jobs: jobs,
            services: services ?? self.services(arguments, settings: settings))
        runner.allowUnknownConfig = arguments.has("allow-unknown-config")
        return runner
    }

    /// Key storage at `--storage`, else the setting `pdstep.storage.dir`, else `./storage`.
    /// Warnings go to stderr.
    func keyStorage(_ arguments: ParsedArguments, settings: Settings) -> KeyStorage {
        let configured = arguments.value("storage") ?? settings.value(KnownSettings.storageDir.key) ?? KnownSettings.storageDir.defaultValue
        let path = Path.resolve(configured, in: io.directory)
        let io = self.io
        let redactor = self.redactor
        return KeyStorage(base: path, warn: { io.printError("warning: " + redactor.redact($0)) })
    }
}

/// Options every command that reads settings accepts.
let settingsOptions: [OptionSpec] = [
    .value("framework-properties", "FILE", "framework.properties to read (default: ./framework.properties if present)"),
    .value("project-properties", "FILE", "project.properties to read (default: ./project.properties if present)"),
    .value("property", "KEY=VALUE", repeatable: true, "override a setting (strongest; repeatable)"),
]

/// The outbox option (durable delivery).
let outboxOption = OptionSpec.value("outbox", "DIR", "keep events that cannot be delivered here, for `pdstep outbox flush` (pagerduty.outbox.dir)")

/// The key-storage option.
let storageOption = OptionSpec.value("storage", "DIR", "key storage folder (default: pdstep.storage.dir, else ./storage)")
