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
import Values

extension PDStep {
    static let listCommand = Command(
        name: "list", summary: "List the steps: name, aliases and a one-line summary.", usage: "[--json]",
        options: [.flag("json", "print JSON")], maxPositionals: 0, examples: ["pdstep list", "pdstep list --json"]
    ) { arguments, invocation in
        let descriptors = invocation.catalog.steps.map { $0.descriptor }
        if arguments.has("json") {
            let items = descriptors.map { d -> Value in
                .object(ValueObject([
                    ("name", .string(d.name)), ("command", .string(d.commandName)),
                    ("aliases", .array(d.aliases.map(Value.string))), ("summary", .string(d.summary)),
                ]))
            }
            invocation.io.print(JSONWriter.write(.array(items), options: .pretty))
            return .success
        }
        if descriptors.isEmpty {
            invocation.io.print("(no steps in this build)")
            return .success
        }
        let width = descriptors.map(\.name.count).max() ?? 0
        for d in descriptors {
            var line = d.name.padded(to: width) + "  " + d.summary
            if !d.aliases.isEmpty { line += " (alias: \(d.aliases.joined(separator: ", ")))" }
            invocation.io.print(line)
        }
        return .success
    }

    static let describeCommand = Command(
        name: "describe", summary: "Show every property and output of a step.", usage: "STEP [--json | --json-schema]",
        options: [.flag("json", "print the descriptor as JSON"), .flag("json-schema", "print a JSON Schema of the step's configuration")], maxPositionals: 1, examples: ["pdstep describe send-event", "pdstep describe send-event --json-schema"]
    ) { arguments, invocation in
        guard let name = arguments.positionals.first else { throw UsageError("which step? (pdstep list shows them)") }
        let descriptor = try findStep(name, invocation.catalog).descriptor
        if arguments.has("json-schema") {
            invocation.io.print(JSONWriter.write(descriptor.jsonSchema, options: .pretty))
        } else if arguments.has("json") {
            invocation.io.print(JSONWriter.write(descriptor.jsonValue, options: .pretty))
        } else {
            invocation.io.out(describeText(descriptor))
        }
        return .success
    }

    /// The step called `name`, or a usage error that suggests the nearest name.
    static func findStep(_ name: String, _ catalog: StepCatalog) throws(UsageError) -> any JobStep.Type {
        if let step = catalog.step(named: name) { return step }
        let hint = catalog.suggestion(for: name).map { "; did you mean '\($0)'?" } ?? ""
        throw UsageError("unknown step '\(name)'\(hint)")
    }

    static func describeText(_ d: StepDescriptor) -> String {
        var text = "\(d.name): \(d.title)\n"
        if !d.aliases.isEmpty { text += "aliases: \(d.aliases.joined(separator: ", "))\n" }
        text += "command: pdstep \(d.commandName)\n\n\(d.summary)\n"
        if !d.details.isEmpty { text += "\n\(d.details)\n" }
        text += "\nproperties:\n"
        for p in d.properties {
            var traits = [p.kind.name]
            if p.required { traits.append("required") }
            if p.secret { traits.append("secret") }
            text += "  \(p.name) (\(traits.joined(separator: ", "))): \(p.title)\n"
            text += "      \(p.description)\n"
            if case .select(let values) = p.kind { text += "      values: \(values.joined(separator: ", "))\n" }
            if let value = p.defaultValue { text += "      default: \(value)\n" }
            if !p.aliases.isEmpty { text += "      also accepted as: \(p.aliases.joined(separator: ", "))\n" }
            if !p.settingsKeys.isEmpty { text += "      falls back to the setting: \(p.settingsKeys.joined(separator: ", then "))\n" }
        }
        if !d.outputs.isEmpty {
            text += "\noutputs (as ${data.NAME} in later steps):\n"
            for o in d.outputs { text += "  \(o.name): \(o.description)\n" }
        }
        return text
    }
}
