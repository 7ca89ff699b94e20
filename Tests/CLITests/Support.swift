import Foundation
import Synchronization
import StepKit
import StepLibrary
import Testing
import TestSupport

@testable import PDStepCLI

/// What a command printed and answered.
struct Outcome {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// Runs pdstep in-process with the given arguments, stdin and working directory.
func pdstep(_ arguments: [String], stdin: String = "", directory: String? = nil, catalog: StepCatalog = .builtIn) async -> Outcome {
    let out = Mutex("")
    let err = Mutex("")
    let dir = directory ?? makeTemporaryDirectory()
    let io = CommandIO(
        out: { text in out.withLock { $0 += text } }, err: { text in err.withLock { $0 += text } },
        readInput: { Array(stdin.utf8) }, environment: [:], directory: dir)
    let code = await PDStep.run(arguments, io: io, catalog: catalog)
    return Outcome(code: code, stdout: out.withLock { $0 }, stderr: err.withLock { $0 })
}

/// The built `pdstep` binary, next to the test bundle.
let pdstepBinary: URL = {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("pdstep")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: ".build/debug/pdstep")
}()

/// Runs the real `pdstep` binary as a child process, on a thread of its own: blocking calls on
/// Swift's cooperative threads would starve every other test running in parallel.
func runBinary(_ arguments: [String], stdin: String = "", directory: String, environment: [String: String] = [:]) async throws -> Outcome {
    try await offload { try runBinarySync(arguments, stdin: stdin, directory: directory, environment: environment) }
}


func runBinarySync(_ arguments: [String], stdin: String = "", directory: String, environment: [String: String] = [:]) throws -> Outcome {
    let ended = try Child.run(
        [pdstepBinary.path] + arguments, input: Data(stdin.utf8), directory: directory,
        environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    return Outcome(code: ended.status, stdout: String(decoding: ended.stdout, as: UTF8.self), stderr: String(decoding: ended.stderr, as: UTF8.self))
}
