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
import Runner
import Settings
import StepKit
import Synchronization
import Values

/// `pdstep STEP [--PROPERTY VALUE ...]`: one step, outside a job, for an external orchestrator.
/// Configuration from flags, `--config` JSON (a file or `-` for stdin) and `RD_CONFIG_*`
/// variables (flags win, then `--config`, then the environment). The result is one JSON object
/// on stdout; the human log goes to stderr.
enum StepCommand {
    /// Options every step binary takes besides the step's own properties.
    static let commonOptions: [OptionSpec] = [
        .value("config", "FILE", "a JSON object of property values; - reads it from standard input"),
        .flag("dry-run", "check everything and print the request instead of sending it"),
        .flag("sandbox", "run against the embedded PagerDuty sandbox"),
        .value("output", "FORMAT", "json, table (lists as a table) or rundeck (RUNDECK:DATA:key=value lines); default: table for a list on a terminal, else json"),
        .flag("json", "one JSON object on stdout (--output json)"),
        outboxOption, storageOption,
    ] + settingsOptions

    static func options(for descriptor: StepDescriptor) -> [OptionSpec] {
        var specs = commonOptions
        var taken = Set(specs.map(\.name))
        for property in descriptor.properties {
            for name in property.allNames {
                let flag = name.replacingUnderscores()
                guard taken.insert(flag).inserted else { continue }
                specs.append(.value(flag, property.kind == .boolean ? "true|false" : "VALUE", name == property.name ? property.title : "same as --\(property.name.replacingUnderscores())"))
            }
        }
        return specs
    }

    /// `pdstep STEP --help`: the step's own properties as the flags a user types, then the key
    /// and authentication ones, the common flags, examples, outputs and exit codes.
    static func help(_ descriptor: StepDescriptor) -> String {
        let command = "pdstep \(descriptor.commandName)"
        var text = "usage: \(command) [--PROPERTY VALUE ...] [--config FILE|-] [--dry-run] [--sandbox] [--json]\n\n"
        text += "\(descriptor.title) (\(descriptor.name)\(descriptor.aliases.isEmpty ? "" : "; also " + descriptor.aliases.joined(separator: ", ")))\n"
        text += "\(descriptor.summary)\n"
        if !descriptor.details.isEmpty { text += "\n\(descriptor.details)\n" }
        let credentials = descriptor.properties.filter(isCredential)
        for (title, properties) in [("Options", descriptor.properties.filter { !isCredential($0) }), ("Keys and authentication", credentials)] where !properties.isEmpty {
            text += "\n\(title):\n"
            for property in properties { text += flagHelp(property) }
        }
        text += "\nCommon options:\n"
        for option in commonOptions { text += "  " + option.usage.padded(to: max(32, option.usage.count)) + "  " + option.help + "\n" }
        text += "\nExamples:\n" + examples(descriptor).map { "  \($0)\n" }.joined()
        if !descriptor.outputs.isEmpty {
            text += "\nOutputs (in the result's \"outputs\", and ${data.NAME} for later job steps):\n"
            for output in descriptor.outputs { text += "  \(output.name): \(output.description)\n" }
        }
        text += """

            Each property is also read from RD_CONFIG_<PROPERTY> (\((descriptor.properties.first { !isCredential($0) } ?? descriptor.properties.first).map { environmentName($0.name) } ?? "RD_CONFIG_X")) and from --config JSON; flags win over --config, which wins over the environment.
            The result is one JSON object on stdout: {"step", "status", "outputs", "response", "error"}; the log goes to stderr.
            Exit codes: 0 done; 1 refused (PagerDuty said no, not found); 2 invalid input, nothing sent; 3 temporary failure after retries, or queued in the outbox; 128+n stopped by signal n.

            """
        return text
    }

    /// The variable Rundeck sets for a property named `name` (`RD_CONFIG_INCIDENT_ID`).
    static func environmentName(_ name: String) -> String {
        DataContext.environmentName("config_" + name)
    }

    /// Keys, tokens and the key-storage paths they come from: listed apart from what the step does.
    static func isCredential(_ property: StepProperty) -> Bool {
        property.secret || property.kind == .storagePath || property.name.hasPrefix("oauth_")
    }

    /// One property as its flag: `--incident-id ID (required)`, what it is, its values, default,
    /// the other names it answers to and the settings it falls back to.
    static func flagHelp(_ property: StepProperty) -> String {
        let flag = "--" + property.name.replacingUnderscores() + " " + placeholder(property)
        var traits: [String] = []
        if property.required { traits.append("required") }
        if let value = property.defaultValue { traits.append("default \(value)") }
        var text = "  \(flag)\(traits.isEmpty ? "" : " (" + traits.joined(separator: "; ") + ")")\n      \(property.description)\n"
        if !property.aliases.isEmpty { text += "      also: \(property.aliases.map { "--" + $0.replacingUnderscores() }.joined(separator: ", "))\n" }
        if !property.settingsKeys.isEmpty {
            let fallback = property.settingsKeys.lazy.compactMap { KnownSettings.byKey[$0] }.first { !$0.defaultValue.isEmpty }
            text += "      else the setting \(property.settingsKeys.joined(separator: ", then "))\(fallback.map { ", else \($0.defaultValue)" } ?? "")\n"
        }
        return text
    }

    static func placeholder(_ property: StepProperty) -> String {
        switch property.kind {
        case .select(let values): return values.joined(separator: "|")
        case .boolean: return "true|false"
        case .integer: return "N"
        case .json: return "JSON"
        case .storagePath: return "PATH"
        default: return property.secret ? "KEY" : property.identifier != nil ? "ID" : property.name.uppercased()
        }
    }

    /// Examples built from the descriptor: the required properties (or the first of the step's
    /// own) against the sandbox, a dry run, the environment Rundeck sets, and JSON on stdin.
    static func examples(_ descriptor: StepDescriptor) -> [String] {
        let command = "pdstep \(descriptor.commandName)"
        let own = descriptor.properties.filter { !isCredential($0) }
        var chosen = own.filter { $0.required && $0.defaultValue == nil }
        if !descriptor.example.isEmpty { chosen = descriptor.properties.filter { descriptor.example[$0.name] != nil } }
        if chosen.isEmpty, let first = own.first { chosen = [first] }
        func value(_ property: StepProperty) -> String {
            if let given = descriptor.example[property.name] { return given.contains(" ") ? "\"\(given)\"" : given }
            switch property.kind {
            case .select(let values): return values.first ?? "x"
            case .boolean: return "true"
            case .integer: return "1"
            case .json: return "'{\"key\": \"value\"}'"
            default: return property.identifier != nil ? "PABC123" : "\"\(property.title.lowercased())\""
            }
        }
        let flags = chosen.map { "--\($0.name.replacingUnderscores()) \(value($0))" }.joined(separator: " ")
        let json = "{" + chosen.map { "\"\($0.name)\": \(value($0).hasPrefix("'") ? String(value($0).dropFirst().dropLast()) : value($0).hasPrefix("\"") ? value($0) : "\"\(value($0))\"")" }.joined(separator: ", ") + "}"
        return [
            "\(command) \(flags) --sandbox        # against the embedded sandbox",
            "\(command) \(flags) --dry-run        # show the request, send nothing",
            chosen.map { "\(environmentName($0.name))=\(value($0))" }.joined(separator: " ") + " \(command)",
            "echo '\(json)' | \(command) --config -",
        ]
    }

    static func run(_ stepType: any JobStep.Type, _ arguments: [String], _ invocation: Invocation) async -> Int32 {
        let descriptor = stepType.descriptor
        let io = invocation.io
        if arguments.contains("--help") || arguments.contains("-h") {
            io.out(help(descriptor))
            return ExitCode.success.rawValue
        }
        var session: SandboxSession?
        defer { session?.stop() }
        let outputFormat: String
        do {
            var parsed = try parseArguments(arguments, options: options(for: descriptor), maxPositionals: 0)
            // A person at a terminal gets a list as a table; a program (a pipe, --json) gets JSON.
            outputFormat = parsed.value("output") ?? (parsed.has("json") || !io.outputIsTerminal ? "json" : "table")
            guard ["json", "table", "rundeck"].contains(outputFormat) else { throw UsageError("--output takes json, table or rundeck, not '\(outputFormat)'") }
            if parsed.has("json") && outputFormat != "json" { throw UsageError("--json and --output \(outputFormat) ask for different outputs; give one") }
            session = try SandboxSession.startIfAsked(&parsed)
            let settings = try invocation.settings(parsed)
            let (values, label) = try configuration(descriptor, parsed, invocation)
            for property in descriptor.properties where property.secret {
                if property.allNames.contains(where: { parsed.values[$0.replacingUnderscores()] != nil }) {
                    io.printError("warning: --\(property.name.replacingUnderscores()) puts a secret on the command line, where other processes can see it; use \(environmentName(property.name)), --config - or a key-storage path instead")
                }
            }
            ProcessTermination.onStop { report in
                let (status, error, code) = stopResult(report)
                io.printError("error: " + invocation.redactor.redact(error.message))
                emit(descriptor, status: status, result: nil, error: error, format: "json", exitCode: code, invocation)
                return code
            }
            let context = StepContext(
                settings: settings, keyStorage: invocation.keyStorage(parsed, settings: settings), redactor: invocation.redactor,
                data: jobContext(io.environment), dryRun: parsed.has("dry-run"), services: invocation.services(parsed, settings: settings),
                log: StderrSink(io: io, step: descriptor.commandName))
            let sources = ConfigSources(invocation: values, invocationLabel: label, settings: settings)
            let result = try await StepRunner.run(stepType, sources: sources, context: context)
            emit(descriptor, status: parsed.has("dry-run") ? "dry-run" : "succeeded", result: result, error: nil, format: outputFormat, invocation)
            return ExitCode.success.rawValue
        } catch let error as UsageError {
            io.printError("pdstep \(descriptor.commandName): \(error.description) (see pdstep \(descriptor.commandName) --help)")
            emit(descriptor, status: "failed", result: nil, error: StepError.invalid(error.description), format: "json", invocation)
            return ExitCode.invalidInput.rawValue
        } catch let error as StepError {
            io.printError("error: " + invocation.redactor.redact(error.description))
            emit(descriptor, status: error.kind == .queued ? "queued" : "failed", result: nil, error: error, format: "json", invocation)
            return error.exitCode.rawValue
        } catch {
            let code = PDStep.report(error, invocation)
            emit(descriptor, status: "failed", result: nil, error: StepError(error), format: "json", invocation)
            return code
        }
    }

    /// Property values from `RD_CONFIG_*`, then `--config`, then flags (each overriding the last).
    static func configuration(_ descriptor: StepDescriptor, _ parsed: ParsedArguments, _ invocation: Invocation) throws -> ([String: String], String) {
        var values: [String: String] = [:]
        var sources: [String] = []
        /// Takes each property's value from one channel: its own name first, an alias only when
        /// the name is absent (Rundeck sets RD_CONFIG_<PROPERTY> for every property, and an
        /// alias of one may be spelled like another's name in a foreign job).
        func take(_ label: String, _ lookup: (String) -> String?) {
            for property in descriptor.properties {
                guard let value = property.allNames.lazy.compactMap(lookup).first else { continue }
                values[property.name] = value
                if !sources.contains(label) { sources.append(label) }
            }
        }
        let environment = invocation.io.environment.filter { $0.key.hasPrefix("RD_CONFIG_") }
        if !environment.isEmpty {
            take("RD_CONFIG_*") { environment[environmentName($0)] }
            // Rundeck sets RD_CONFIG_* only for the plugin's own properties: one that matches
            // none is a typo, and would otherwise be dropped without a word.
            let known = descriptor.properties.flatMap(\.allNames).map(environmentName)
            for name in environment.keys.sorted() where !known.contains(name) {
                let hint = nearest(to: name, in: known).map { "; did you mean \($0)?" } ?? ""
                invocation.io.printError("warning: \(name) is not a property of \(descriptor.name) and is ignored\(hint)")
            }
        }
        if let source = parsed.value("config") {
            let bytes: [UInt8]
            if source == "-" {
                bytes = invocation.io.readInput()
            } else {
                let path = Path.resolve(source, in: invocation.io.directory)
                guard let data = FileManager.default.contents(atPath: path) else { throw StepError.invalid("--config \(source): no such file") }
                bytes = Array(data)
            }
            let document: Value
            do {
                document = try JSONParser.parse(bytes: bytes, file: source == "-" ? "<stdin>" : source)
            } catch {
                throw StepError.invalid("--config: \(error.description)")
            }
            guard case .object(let object) = document else { throw StepError.invalid("--config must hold a JSON object of property values") }
            for entry in object where descriptor.property(entry.key) == nil {
                let hint = nearest(to: entry.key, in: descriptor.properties.flatMap(\.allNames)).map { "; did you mean '\($0)'?" } ?? ""
                throw StepError.invalid("--config: '\(entry.key)' is not a property of \(descriptor.name)\(hint) (pdstep describe \(descriptor.commandName))", property: entry.key)
            }
            take("--config") { key in object[key].flatMap { $0.isNull ? nil : ($0.stringValue ?? JSONWriter.write($0)) } }
        }
        take("command line") { parsed.value($0.replacingUnderscores()) }
        return (values, sources.isEmpty ? "step invocation" : sources.joined(separator: " / "))
    }

    /// `${job.*}` from Rundeck's `RD_JOB_*` variables, when a Rundeck plugin runs the step.
    static func jobContext(_ environment: [String: String]) -> DataContext {
        var data = DataContext()
        for (key, value) in environment where key.hasPrefix("RD_JOB_") {
            data.set("job", String(key.dropFirst(7)).lowercased(), value)
        }
        for (key, value) in environment where key.hasPrefix("RD_OPTION_") {
            data.set("option", String(key.dropFirst(10)).lowercased(), value)
        }
        return data
    }

    /// The result a step answers when a signal stops it: `queued` (exit 3) when its event is in
    /// the outbox; otherwise failed, with the signal's exit code (128 + its number).
    static func stopResult(_ report: ProcessTermination.Report) -> (String, StepError, Int32) {
        let stopped = "stopped by \(report.signalName)"
        if let file = report.queuedEvents.first {
            return ("queued", StepError(.queued, "\(stopped) before PagerDuty confirmed the event; it is kept in the outbox as \(file), and `pdstep outbox flush` will send it"), ExitCode.temporary.rawValue)
        }
        let code = ProcessTermination.exitCode(for: report.signal)
        if let event = report.undeliveredEvents.first {
            return ("failed", StepError(.temporary, "\(stopped) before PagerDuty confirmed \(event): not delivered, and not queued (--outbox DIR keeps such events)"), code)
        }
        return ("failed", StepError(.failed, stopped), code)
    }

    static func emit(
        _ descriptor: StepDescriptor, status: String, result: StepResult?, error: StepError?, format: String, exitCode: Int32? = nil,
        _ invocation: Invocation
    ) {
        // A result printed as a signal stops pdstep would be a second one: the reporter's wins.
        if exitCode == nil { ProcessTermination.waitIfStopping() }
        let redact: (String) -> String = invocation.redactor.redact
        if format == "rundeck" {
            for (key, value) in (result?.outputs ?? [:]).sorted(by: { $0.key < $1.key }) {
                invocation.io.print("RUNDECK:DATA:\(redact(key))=\(redact(value.replacing("\n", with: " ")))")
            }
            return
        }
        if format == "table", error == nil, let table = ResultTable.render(result?.response.map(invocation.redactor.redact), color: invocation.io.outputIsTerminal && invocation.io.environment["NO_COLOR"] == nil) {
            invocation.io.out(table)
            return
        }
        var object = ValueObject([("step", .string(descriptor.name)), ("status", .string(status))])
        var outputs = ValueObject()
        for (key, value) in (result?.outputs ?? [:]).sorted(by: { $0.key < $1.key }) { outputs[redact(key)] = .string(redact(value)) }
        object["outputs"] = .object(outputs)
        // Redacted as a tree, before encoding: in encoded JSON a secret holding " or \ is escaped.
        object["response"] = result?.response.map(invocation.redactor.redact) ?? .null
        if let error {
            var e = ValueObject([("kind", .string(error.kind.rawValue)), ("message", .string(redact(error.message))), ("details", .array(error.details.map { .string(redact($0)) }))])
            e["http_status"] = error.httpStatus.map(Value.int) ?? .null
            e["code"] = error.remoteCode.map(Value.int) ?? .null
            e["property"] = error.property.map(Value.string) ?? .null
            e["exit_code"] = .int(Int(exitCode ?? error.exitCode.rawValue))
            object["error"] = .object(e)
        } else {
            object["error"] = .null
        }
        invocation.io.print(JSONWriter.write(.object(object)))
    }
}

/// The step binary's log: stderr, one line per message, secrets already masked by the context.
struct StderrSink: StepLogSink {
    let io: CommandIO
    let step: String
    func write(_ level: LogLevel, _ message: String) {
        guard level <= .normal else { return }
        let prefix = level == .error ? "error: " : level == .warn ? "warning: " : ""
        io.printError("[\(step)] " + prefix + message)
    }
}
