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
        case "json":
            // JSON has no infinity or NaN: they are written as strings with their YAML spelling
            // (never null, which would lose them), and each is named once on stderr.
            var places: [String] = []
            let jsonSafe = nonFiniteAsText(value, path: "", places: &places)
            if !places.isEmpty {
                invocation.io.printError("warning: \(label): \(places.joined(separator: ", ")) \(places.count == 1 ? "is" : "are") infinite or not a number; JSON has no such numbers, so they are written as strings (\".inf\", \"-.inf\", \".nan\")")
            }
            invocation.io.print(JSONWriter.write(jsonSafe, options: .pretty))
        case "yaml": invocation.io.out(YAMLEmitter.emit(value))
        default: throw UsageError("--to takes json or yaml, not '\(target)'")
        }
        return .success
    }

    /// `value` with every non-finite number as its YAML text (`.inf`, `-.inf`, `.nan`); `places`
    /// gets the path of each (`a.b[2]`).
    static func nonFiniteAsText(_ value: Value, path: String, places: inout [String]) -> Value {
        switch value {
        case .double(let d) where !d.isFinite:
            places.append(path.isEmpty ? "the document" : path)
            return .string(d.isNaN ? ".nan" : (d < 0 ? "-.inf" : ".inf"))
        case .array(let items):
            return .array(items.enumerated().map { nonFiniteAsText($0.element, path: "\(path)[\($0.offset)]", places: &places) })
        case .object(let object):
            var out = ValueObject()
            for entry in object.entries {
                out[entry.key] = nonFiniteAsText(entry.value, path: path.isEmpty ? entry.key : "\(path).\(entry.key)", places: &places)
            }
            return .object(out)
        default:
            return value
        }
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
