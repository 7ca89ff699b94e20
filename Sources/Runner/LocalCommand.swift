import Foundation
import Synchronization

/// Runs a local command with `/bin/sh` (or a given interpreter), streaming its output lines,
/// and kills it when the surrounding task is cancelled (job timeout).
enum LocalCommand {
    struct Outcome {
        var exitCode: Int32
        /// The process was killed by a signal (or by us, on cancellation).
        var signalled: Bool
    }

    /// Runs `arguments` (argv, first is the program) with `environment`, calling `onStdout` and
    /// `onStderr` for each line (without the line break).
    static func run(
        _ arguments: [String], environment: [String: String], directory: String,
        onStdout: @escaping @Sendable (String) -> Void, onStderr: @escaping @Sendable (String) -> Void
    ) async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice

        let readers = DispatchGroup()
        for (pipe, handler) in [(stdout, onStdout), (stderr, onStderr)] {
            readers.enter()
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                streamLines(handle, handler)
                readers.leave()
            }
        }
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    try? stdout.fileHandleForWriting.close()
                    try? stderr.fileHandleForWriting.close()
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            guard process.isRunning else { return }
            let pid = process.processIdentifier
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
        // The pipes close when the process (and anything that inherited them) is gone. A
        // background child that keeps them open does not hold the step up for long.
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        _ = readers.wait(timeout: .now() + 2)
        return Outcome(exitCode: status, signalled: process.terminationReason == .uncaughtSignal)
    }

    /// Reads `handle` to its end, calling `handler` per line; a last line without a break counts.
    private static func streamLines(_ handle: FileHandle, _ handler: @Sendable (String) -> Void) {
        var buffer = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                var line = buffer[buffer.startIndex..<newline]
                if line.last == 0x0D { line = line.dropLast() }
                handler(String(decoding: line, as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
        if !buffer.isEmpty { handler(String(decoding: buffer, as: UTF8.self)) }
    }

    /// `value` quoted for /bin/sh when it holds anything but safe characters (Rundeck quotes
    /// substituted values the same way, so an option value cannot inject commands).
    static func shellQuote(_ value: String) -> String {
        let safe = value.unicodeScalars.allSatisfy { c in
            c.properties.isAlphabetic && c.isASCII || ("0"..."9").contains(c) || "_@%+=:,./-".unicodeScalars.contains(c)
        }
        if safe && !value.isEmpty { return value }
        return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Splits a Rundeck `args` string into words: spaces separate, single and double quotes
    /// group, a backslash escapes the next character.
    static func splitArguments(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for c in text {
            if escape {
                current.append(c)
                escape = false
                continue
            }
            if c == "\\" && quote != "'" {
                escape = true
                inWord = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "'" || c == "\"" {
                quote = c
                inWord = true
                continue
            }
            if c == " " || c == "\t" || c == "\n" {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(c)
            inWord = true
        }
        if inWord { words.append(current) }
        return words
    }
}
