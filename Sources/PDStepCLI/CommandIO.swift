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
import Values

/// The process's streams and surroundings, passed in so that commands can be run in-process by
/// tests exactly as the binary runs them.
public struct CommandIO: Sendable {
    /// Writes to standard output (text is written as given; add your own newlines).
    public var out: @Sendable (String) -> Void
    /// Writes to standard error.
    public var err: @Sendable (String) -> Void
    /// Reads all of standard input.
    public var readInput: @Sendable () -> [UInt8]
    public var environment: [String: String]
    public var directory: String
    /// Standard output is a terminal (a person reads it): list results print as tables.
    public var outputIsTerminal = false

    public init(
        out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void,
        readInput: @escaping @Sendable () -> [UInt8], environment: [String: String], directory: String, outputIsTerminal: Bool = false
    ) {
        self.outputIsTerminal = outputIsTerminal
        self.out = out
        self.err = err
        self.readInput = readInput
        self.environment = environment
        self.directory = directory
    }

    /// The real process: stdout, stderr, stdin, environment and working directory.
    public static var process: CommandIO {
        CommandIO(
            out: { StandardStreams.standardOutput($0) },
            err: { StandardStreams.standardError($0) },
            readInput: {
                // Bounded: what comes on stdin is a job, a step's JSON or a key, never gigabytes.
                guard let bytes = try? JobFile.readBounded(0) else {
                    StandardStreams.standardError("pdstep: standard input is larger than \(JobFile.maxBytes >> 20) MB; nothing was sent\n")
                    exit(ExitCode.invalidInput.rawValue)
                }
                return bytes
            },
            environment: ProcessEnvironment.current,
            directory: FileManager.default.currentDirectoryPath, outputIsTerminal: isatty(1) == 1)
    }

    /// Writes one line to standard output.
    func print(_ line: String) { out(line + "\n") }
    /// Writes one line to standard error.
    func printError(_ line: String) { err(line + "\n") }
}
