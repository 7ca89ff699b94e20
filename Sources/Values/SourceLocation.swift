/// A place in a text file, for error messages a person can jump to (`jobs.yaml:12:5`).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file name as the user gave it, or nil for text that did not come from a file.
    public var file: String?
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in characters (Unicode scalars).
    public var column: Int

    /// A place: 1-based line and column, in a file when there is one.
    public init(file: String? = nil, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, or `line:column` when there is no file.
    public var description: String {
        if let file { return "\(file):\(line):\(column)" }
        return "\(line):\(column)"
    }
}

/// A syntax error in a document (JSON, YAML, .properties), with where it is.
public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, in a sentence.
    public var message: String
    /// Where.
    public var location: SourceLocation

    /// An error at a place.
    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }

    /// `file:line:column: message`, the form compilers use, so editors can jump to it.
    public var description: String { "\(location): \(message)" }
}
