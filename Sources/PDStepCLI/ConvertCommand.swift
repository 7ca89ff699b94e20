import Foundation
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
        let isJSON = file.hasSuffix(".json")
        let value = try parseDocument(bytes, file: label, json: isJSON)
        let target = arguments.value("to") ?? (isJSON ? "yaml" : "json")
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

    /// Parses JSON when asked (or when the text is JSON), otherwise YAML. Errors carry
    /// file:line:column.
    static func parseDocument(_ bytes: [UInt8], file: String, json: Bool) throws(SyntaxError) -> Value {
        if json {
            try DocumentText.check(bytes, file: file, yaml: false)
            return try JSONParser.parse(bytes: bytes, file: file)
        }
        return try YAMLParser.parse(bytes: bytes, file: file)
    }
}
