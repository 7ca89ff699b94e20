import Foundation
@testable import HTTPServer
@testable import Sandbox
import Testing
import TestSupport

/// pdstep links Foundation Essentials, never all of Foundation (whose ICU data was most of the
/// binary and of its start-up): a file that imports Foundation outside the fallback branch would
/// bring it back, and this says which.
struct LeanBinaryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func noProductModuleImportsAllOfFoundation() throws {
        var offenders: [String] = []
        for folder in ["Sources", "steps"] {
            let base = Self.root.appendingPathComponent(folder).path
            for relative in try FileManager.default.subpathsOfDirectory(atPath: base) where relative.hasSuffix(".swift") {
                let lines = try String(contentsOfFile: base + "/" + relative, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                for (index, line) in lines.enumerated() {
                    let text = line.trimmingCharacters(in: .whitespaces)
                    guard ["import Foundation", "import FoundationNetworking", "import FoundationXML", "import FoundationInternationalization"].contains(text) else { continue }
                    // Allowed only as the fallback: `#else` right above, after `#if canImport(FoundationEssentials)`.
                    let fallback = index >= 3 && lines[index - 1].trimmingCharacters(in: .whitespaces) == "#else"
                        && lines[index - 3].trimmingCharacters(in: .whitespaces) == "#if canImport(FoundationEssentials)"
                    if !fallback || text != "import Foundation" { offenders.append("\(folder)/\(relative):\(index + 1): \(text)") }
                }
            }
        }
        #expect(offenders.isEmpty, "import FoundationEssentials instead:\n\(offenders.joined(separator: "\n"))")
    }

    /// A step from the command line runs on its own thread, its socket calls inline: while it
    /// waits for PagerDuty's answer the process has that thread and the signal thread, no
    /// concurrency or Dispatch threads (starting and waking them was a fifth of a cold step).
    @Test func aStepWaitsForItsAnswerOnItsOwnThread() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        f.fault(#"{"path": "/v2/enqueue", "count": 1, "delay_ms": 1500}"#)
        let started = try SignalTests.Started(["send-event", "--summary", "slow", "--source", "db1"], directory: f.directory)
        let pid = started.process.processIdentifier
        // The most threads it had at once, looked at every 20 ms until it exits.
        let most = try await offload {
            var most = 0
            while let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
                most = max(most, threads.count)
                usleep(20_000)
            }
            return most
        }
        let outcome = try await started.outcome()
        #expect(outcome.code == 0, "\(outcome.stderr)")
        #expect(most == 2, "\(most) threads at once")
    }

    /// The built binary itself: no libFoundation (nor its ICU) among what it loads.
    @Test func theBinaryLoadsNoFoundation() async throws {
        guard (try? await runTool(["ldd", "--version"]))?.status == 0 else { return }
        let (_, output) = try await runTool(["ldd", pdstepBinary.path])
        let libraries = String(decoding: output, as: UTF8.self)
        #expect(!libraries.contains("libFoundation.so") && !libraries.contains("libFoundationInternationalization") && !libraries.contains("icu"), "\(libraries)")
    }
}
