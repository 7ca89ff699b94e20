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
import YAML

extension PDStep {
    static let installLinksCommand = Command(
        name: "install-links",
        summary: "Create pd-STEP links to this binary in a folder (pd-send-event runs send-event).",
        usage: "DIR", options: [], maxPositionals: 1
    ) { arguments, invocation in
        guard let folder = arguments.positionals.first else { throw UsageError("install-links needs a DIR") }
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let target = Path.resolve(folder, in: invocation.io.directory)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        var made = 0
        for step in invocation.catalog.steps {
            let link = Path.appending(target, "pd-" + step.descriptor.commandName)
            try? FileManager.default.removeItem(atPath: link)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: binary)
            made += 1
        }
        invocation.io.printError("made \(made) links in \(target) to \(binary)")
        return .success
    }

    static let pluginBundleCommand = Command(
        name: "plugin-bundle",
        summary: "Write a Rundeck script-plugin zip with one workflow step per pdstep step.",
        usage: """
            --out DIR [--name NAME]

              Copy the zip to Rundeck's libext/ folder. Each step calls pdstep (on the Rundeck
              server's PATH, or at $PDSTEP) with the step's RD_CONFIG_* settings; secrets are
              key-storage selectors that Rundeck reads and hands over itself. To put pdstep on
              the server: run `bash scripts/install.sh` there, or copy the one static file
              .build/release/pdstep (bench/build-release.sh) to /usr/local/bin; it needs no Swift.
            """,
        options: [.value("out", "DIR", "folder to write the zip to"), .value("name", "NAME", "plugin name (default pdstep-plugin)")],
        maxPositionals: 0
    ) { arguments, invocation in
        guard let out = arguments.value("out") else { throw UsageError("plugin-bundle needs --out DIR") }
        let name = arguments.value("name") ?? "pdstep-plugin"
        let folder = Path.resolve(out, in: invocation.io.directory)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let zip = PluginBundle.zip(name: name, catalog: invocation.catalog)
        let path = Path.appending(folder, name + ".zip")
        guard FileManager.default.createFile(atPath: path, contents: Data(zip)) else { throw StepError(.failed, "cannot write \(path)") }
        invocation.io.print(path)
        return .success
    }
}

/// The Rundeck script-plugin bundle (rundeck.md section 6).
enum PluginBundle {
    static let launcher = """
        #!/bin/sh
        # Runs one pdstep step for Rundeck. Rundeck passes the step's settings as RD_CONFIG_*
        # variables; pdstep prints the step's outputs as RUNDECK:DATA:key=value lines, which
        # Rundeck turns into ${data.key} only when the step has a key-value-data log filter,
        # and answers with its exit code (0 ok, 1 failed, 2 invalid input, 3 temporary,
        # 124 timed out).
        step="$1"
        shift
        exec "${PDSTEP:-pdstep}" "$step" --output rundeck "$@"

        """

    /// Properties that do nothing without others: the bundle offers them only with those.
    /// Key-storage paths are not offered (Rundeck reads secrets itself), so neither is
    /// `oauth_scope`, which only goes with the client-credential paths.
    static let dependencies: [String: [String]] = ["oauth_scope": ["oauth_client_id_path", "oauth_client_secret_path"]]

    /// Said of each step with outputs: how they reach later steps in Rundeck.
    static let dataNote = " Its outputs are printed as RUNDECK:DATA:key=value lines; add a key-value-data log filter to the step for Rundeck to make them ${data.key}."

    /// plugin.yaml, generated from the step descriptors.
    static func pluginYAML(name: String, catalog: StepCatalog) -> Value {
        var providers: [Value] = []
        for step in catalog.steps {
            let d = step.descriptor
            var config: [Value] = []
            let offered = d.properties.filter { $0.kind != .storagePath }
            let offeredNames = Set(offered.map(\.name))
            for property in offered where !dependencies[property.name, default: []].contains(where: { !offeredNames.contains($0) }) {
                var entry = ValueObject([("name", .string(property.name)), ("title", .string(property.title)), ("description", .string(property.description))])
                switch property.kind {
                case .integer: entry["type"] = "Integer"
                case .boolean: entry["type"] = "Boolean"
                case .select(let values):
                    entry["type"] = "Select"
                    entry["values"] = .array(values.map(Value.string))
                default: entry["type"] = "String"
                }
                entry["required"] = .bool(property.required && property.defaultValue == nil && property.settingsKeys.isEmpty)
                if let value = property.defaultValue { entry["default"] = .string(value) }
                if property.secret {
                    entry["renderingOptions"] = [
                        "selectionAccessor": "STORAGE_PATH", "storage-path-root": "keys",
                        "storage-file-meta-filter": "Rundeck-data-type=password", "valueConversion": "STORAGE_PATH_AUTOMATIC_READ",
                    ]
                } else if property.kind == .text || property.kind == .json {
                    entry["renderingOptions"] = ["displayType": "MULTI_LINE"]
                }
                config.append(.object(entry))
            }
            providers.append(.object(ValueObject([
                ("name", .string(d.name)), ("service", "WorkflowStep"), ("plugin-type", "script"),
                ("script-interpreter", "/bin/sh"), ("script-file", "pdstep-launcher.sh"), ("script-args", .string(d.commandName)),
                ("title", .string("PagerDuty / " + d.title)), ("description", .string(d.outputs.isEmpty ? d.summary : d.summary + dataNote)),
                ("config", .array(config)),
            ])))
        }
        return .object(ValueObject([
            ("name", .string(name)), ("version", .string(pdstepVersion)), ("rundeckPluginVersion", "2.0"),
            ("rundeckCompatibilityVersion", "3.x"), ("targetHostCompatibility", "unix"), ("author", "pdstep"),
            ("date", "2026-11-22T00:00:00Z"), ("url", "https://pdstep.dev"),
            ("description", "PagerDuty job steps run by pdstep (each step calls the pdstep binary)."),
            ("license", "Apache-2.0"), ("providers", .array(providers)),
        ]))
    }

    static func zip(name: String, catalog: StepCatalog) -> [UInt8] {
        var writer = ZipWriter()
        writer.add(name + "/")
        writer.add(name + "/plugin.yaml", Array(YAMLEmitter.emit(pluginYAML(name: name, catalog: catalog)).utf8))
        writer.add(name + "/contents/")
        writer.add(name + "/contents/pdstep-launcher.sh", Array(launcher.utf8), mode: 0o755)
        return writer.finish()
    }
}
