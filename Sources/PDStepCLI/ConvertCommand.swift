import Foundation
import Runner
import StepKit
import Values
import YAML

extension PDStep {
    static let convertCommand = Command(
        name: "convert",
        summary: "Convert a YAML or JSON document to the other form (to standard output).",
        usage: "FILE [--to json|yaml]\n\n  Without --to, YAML becomes JSON and JSON becomes YAML. FILE may be - for standard input.",
        options: [.value("to", "FORMAT", "json or yaml")], maxPositionals: 1
    ) { arguments, invocation in
        guard let file = arguments.positionals.first else { throw UsageError("convert needs a FILE") }
        let (bytes, label) = try readDocument(file, invocation)
        let format = JobFormat.detect(bytes, path: file == "-" ? nil : file)
        let value = try format.read(bytes, label)
        let target = arguments.value("to") ?? (format.name == "json" ? "yaml" : "json")
        switch target {
        case "json": invocation.io.print(JSONWriter.write(value, options: .pretty))
        case "yaml": invocation.io.out(YAMLEmitter.emit(value))
        default: throw UsageError("--to takes json or yaml, not '\(target)'")
        }
        return .success
    }

    /// The bytes of `file` (or standard input for `-`), and the name to use in messages.
    static func readDocument(_ file: String, _ invocation: Invocation) throws -> ([UInt8], String) {
        if file == "-" { return (invocation.io.readInput(), "<stdin>") }
        let path = file.hasPrefix("/") ? file : (invocation.io.directory as NSString).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StepError(.invalidInput, FileManager.default.fileExists(atPath: path) ? "cannot read \(file)" : "\(file): no such file")
        }
        return (Array(data), file)
    }
}
