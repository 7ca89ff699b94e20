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
    static let convertCommand = Command(
        name: "convert",
        summary: "Convert a job file (or any YAML or JSON document) between YAML, JSON and Rundeck's XML (to standard output).",
        usage: "FILE [--to json|yaml|xml]\n\n  Without --to, YAML becomes JSON, and JSON and XML become YAML. FILE may be - for standard input.",
        options: [.value("to", "FORMAT", "json, yaml or xml")], maxPositionals: 1, examples: ["pdstep convert job.yaml", "pdstep convert job.xml --to yaml", "pdstep convert job.yaml --to xml > job.xml"]
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
            let text = JSONWriter.write(value, options: JSONWriter.Options(pretty: true, nonFiniteAsText: true))
            // Where they are is looked for only when the text may hold one.
            var places: [String] = []
            if mayHoldNonFinite(text) { nonFinitePlaces(value, path: "", into: &places) }
            if !places.isEmpty {
                invocation.io.printError("warning: \(label): \(places.joined(separator: ", ")) \(places.count == 1 ? "is" : "are") infinite or not a number; JSON has no such numbers, so they are written as strings (\".inf\", \"-.inf\", \".nan\")")
            }
            invocation.io.print(text)
        case "yaml": invocation.io.out(YAMLEmitter.emit(value))
        case "xml":
            var trimmed: [String] = []
            invocation.io.out(try RundeckJobXMLWriter.write(value, trimmed: &trimmed))
            if !trimmed.isEmpty {
                let places = trimmed.prefix(10).joined(separator: ", ") + (trimmed.count > 10 ? ", and \(trimmed.count - 10) more" : "")
                invocation.io.printError("warning: \(label): \(places): \(trimmed.count == 1 ? "starts or ends" : "start or end") with white space (a line break, a space), which XML job readers trim, Rundeck's included; \(trimmed.count == 1 ? "it reads back without it" : "they read back without it")")
            }
        default: throw UsageError("--to takes json, yaml or xml, not '\(target)'")
        }
        return .success
    }

    /// Whether the JSON text holds `.inf"` or `.nan"` (a byte scan; String.contains is slow on
    /// megabytes).
    static func mayHoldNonFinite(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= 5 else { return false }
            for i in 0..<(bytes.count - 4) where bytes[i] == UInt8(ascii: ".") && bytes[i + 4] == UInt8(ascii: "\"") {
                let word = (bytes[i + 1], bytes[i + 2], bytes[i + 3])
                if word == (UInt8(ascii: "i"), UInt8(ascii: "n"), UInt8(ascii: "f")) || word == (UInt8(ascii: "n"), UInt8(ascii: "a"), UInt8(ascii: "n")) {
                    return true
                }
            }
            return false
        }
    }

    /// The path of every non-finite number in `value` (`a.b[2]`).
    static func nonFinitePlaces(_ value: Value, path: String, into places: inout [String]) {
        switch value {
        case .double(let d) where !d.isFinite:
            places.append(path.isEmpty ? "the document" : path)
        case .array(let items):
            for (index, item) in items.enumerated() { nonFinitePlaces(item, path: "\(path)[\(index)]", into: &places) }
        case .object(let object):
            for entry in object.entries { nonFinitePlaces(entry.value, path: path.isEmpty ? entry.key : "\(path).\(entry.key)", into: &places) }
        default:
            break
        }
    }

    /// The bytes of `file` (or standard input for `-`), and the name to use in messages.
    static func readDocument(_ file: String, _ invocation: Invocation) throws -> ([UInt8], String) {
        if file == "-" { return (invocation.io.readInput(), "<stdin>") }
        let path = Path.resolve(file, in: invocation.io.directory)
        return (try JobFile.read(path, shown: file), file)
    }
}
