import Values
import YAML

/// One format job files come in: how to tell it from the others and how to read it into the
/// document tree `JobDecoder` decodes. Every place that reads a job file (run, validate,
/// convert, sibling files for job references) goes through `JobFormat.detect`, so a new format
/// is one more entry in `all`.
public struct JobFormat: Sendable {
    /// `yaml`, `json`, `xml`.
    public let name: String
    /// File name endings that name this format.
    public let extensions: [String]
    /// Whether content whose first non-blank byte is this one is in this format.
    let startsWith: @Sendable (UInt8) -> Bool
    /// Reads the bytes; errors carry file:line:column.
    public let read: @Sendable (_ bytes: [UInt8], _ file: String?) throws(SyntaxError) -> Value

    /// Rundeck's YAML job format (YAML 1.1, as SnakeYAML reads it).
    public static let yaml = JobFormat(
        name: "yaml", extensions: [".yaml", ".yml"], startsWith: { _ in true },
        read: { bytes, file throws(SyntaxError) in try YAMLParser.parse(bytes: bytes, file: file) })

    /// Rundeck's JSON job format.
    public static let json = JobFormat(
        name: "json", extensions: [".json"], startsWith: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") },
        read: { bytes, file throws(SyntaxError) in
            try DocumentText.check(bytes, file: file, yaml: false)  // the YAML reader checks its own
            return try JSONParser.parse(bytes: bytes, file: file)
        })

    /// Rundeck's XML job format (`<joblist><job>...`), read into the YAML format's shape.
    public static let xml = JobFormat(
        name: "xml", extensions: [".xml"], startsWith: { $0 == UInt8(ascii: "<") },
        read: { bytes, file throws(SyntaxError) in try RundeckJobXML.document(bytes, file: file) })

    /// Every format, most specific first (YAML, which takes anything, last).
    public static let all: [JobFormat] = [json, xml, yaml]

    /// Every file name ending a job file may have.
    public static var fileExtensions: [String] { all.flatMap(\.extensions) }

    /// The format of a file: named by its extension when it has a known one, else told by its
    /// content (a JSON document starts with `{` or `[`, an XML one with `<`).
    public static func detect(_ bytes: [UInt8], path: String?) -> JobFormat {
        if let path, let named = all.first(where: { format in format.extensions.contains { path.lowercased().hasSuffix($0) } }) {
            return named
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let first = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return yaml }
        return all.first { $0.startsWith(first) } ?? yaml
    }
}
