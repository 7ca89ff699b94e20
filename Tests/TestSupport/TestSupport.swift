import Foundation

/// Helpers every test target shares.

/// Runs blocking work on a new thread and waits for it without holding a cooperative thread
/// (blocking the few cooperative threads would starve every test running in parallel).
public func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A fresh empty folder under the temporary directory.
public func makeTemporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "pdstep-test-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A file's permission bits, or -1.
public func mode(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
}

/// True when a program of that name is on the PATH.
public func onPath(_ program: String) -> Bool {
    ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
        .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") } ?? false
}

/// True when `java` is on the PATH (the .properties oracle).
public let javaAvailable = onPath("java")

/// True when `python3` can import every module named (the YAML and OpenAPI oracles).
public func pythonHas(_ modules: String...) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import " + modules.joined(separator: ", ")]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}

/// Runs a program (found on the PATH) in `directory`, feeding `stdin`; answers its exit status
/// and standard output. Runs off the cooperative threads.
public func runTool(_ arguments: [String], stdin: String? = nil, directory: URL? = nil) async throws -> (status: Int32, output: Data) {
    try await offload { () throws -> (Int32, Data) in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        process.standardOutput = output
        let input = Pipe()
        if stdin != nil { process.standardInput = input }
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }
}
