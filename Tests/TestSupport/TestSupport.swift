import Foundation
import Glibc

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
        let ended = try Child.run(
            ["/usr/bin/env"] + arguments, input: Data((stdin ?? "").utf8), directory: directory?.path,
            environment: ProcessInfo.processInfo.environment)
        return (ended.status, ended.stdout)
    }
}

/// A port on 127.0.0.1 that refuses connections for as long as this lives: bound, so no other
/// test's server can take it, but not listening, so a connection to it is refused.
public final class RefusingPort: @unchecked Sendable {
    private let socket: Int32
    public let port: Int

    public init() {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        socket = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                _ = bind(descriptor, generic, length)
                _ = getsockname(descriptor, generic, &length)
            }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socket) }
}
