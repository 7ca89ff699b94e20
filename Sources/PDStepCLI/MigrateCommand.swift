#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Runner
import StepKit
import Values
import YAML

extension PDStep {
    static let migrateCommand = Command(
        name: "migrate",
        summary: "Show what would move job files onto pdstep's own step names (Enterprise step types and keys, the retired response play); --write applies it.",
        usage: """
            FILE|DIR [--write]

              Without --write nothing is changed: each change is shown as - before / + after, per job and step.
              With --write each file is rewritten in its own format (YAML, JSON or XML); what is not changed is
              kept, but a file's comments and layout are not (the tool says when a file had comments).
            """,
        options: [.flag("write", "apply the changes to the files")], maxPositionals: 1, examples: ["pdstep migrate jobs.yaml", "pdstep migrate rundeck-ops/ --write"]
    ) { arguments, invocation in
        guard let path = arguments.positionals.first else { throw UsageError("migrate needs a FILE or DIR") }
        let full = Path.resolve(path, in: invocation.io.directory)
        var isFolder = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder) else { throw JobDefinitionError("\(path): no such file or folder") }
        let files = isFolder ? try JobFile.projectFiles(full, shown: path).files : [full]
        let write = arguments.has("write")
        var total = 0
        var changedFiles = 0
        var failed = false
        for file in files {
            let shown = file.hasPrefix(invocation.io.directory + "/") ? String(file.dropFirst(invocation.io.directory.count + 1)) : file
            do {
                let count = try migrate(file, shown: shown, write: write, invocation)
                total += count
                if count > 0 { changedFiles += 1 }
            } catch {
                invocation.io.printError("error: \(error)")
                failed = true
            }
        }
        if total == 0 {
            invocation.io.print("nothing to migrate: every job already uses pdstep's names")
        } else {
            invocation.io.print(write
                ? "\(total) change\(total == 1 ? "" : "s") written to \(changedFiles) file\(changedFiles == 1 ? "" : "s")"
                : "\(total) change\(total == 1 ? "" : "s") in \(changedFiles) file\(changedFiles == 1 ? "" : "s"); run again with --write to apply")
        }
        return failed ? .invalidInput : .success
    }

    /// Migrates one file: prints its changes and, with `write`, rewrites it in its format.
    static func migrate(_ file: String, shown: String, write: Bool, _ invocation: Invocation) throws -> Int {
        let bytes = try JobFile.read(file, shown: shown)
        let format = JobFormat.detect(bytes, path: file)
        let document = try format.read(bytes, shown)
        _ = try JobDecoder.decode(document, file: shown)  // a file that is no job file is said, not rewritten
        let (migrated, changes) = JobMigration.migrate(document, catalog: invocation.catalog)
        guard !changes.isEmpty else { return 0 }
        invocation.io.print("--- \(shown)")
        var place = ""
        for change in changes {
            if change.place != place {
                invocation.io.print("  \(change.place):")
                place = change.place
            }
            if change.before != change.after {
                invocation.io.print("    - \(change.before)")
                invocation.io.print("    + \(change.after)")
            }
            if let note = change.note { invocation.io.print("      (\(note))") }
        }
        guard write else { return changes.count }
        let text: String
        switch format.name {
        case "xml": text = try RundeckJobXMLWriter.write(migrated)
        case "json": text = JSONWriter.write(migrated, options: JSONWriter.Options(pretty: true)) + "\n"
        default: text = YAMLEmitter.emit(migrated)
        }
        let source = String(decoding: bytes, as: UTF8.self)
        let hadComments = format.name == "xml" ? source.contains("<!--") : format.name == "yaml" && source.split(separator: "\n").contains { $0.trimmingSpaces().hasPrefix("#") }
        try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        if hadComments { invocation.io.printError("warning: \(shown): its comments are not kept in the rewritten file") }
        return changes.count
    }
}
