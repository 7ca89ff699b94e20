import Foundation
import Testing
import TestSupport
import Values

/// Rundeck's own job documents (its manual, how-tos and test suites; sources and commits in
/// `RundeckJobs/manifest.json`, gathered by `RundeckJobs/collect.py`) get from `pdstep validate`
/// the verdict Rundeck would give: accepted, or, where pdstep cannot run them, refused with the
/// reason.
struct RundeckJobsTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("RundeckJobs").path

    struct Entry {
        var file: String
        var verdict: String
        var reason: String
    }

    static func manifest() throws -> [Entry] {
        let document = try JSONParser.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json")), as: UTF8.self))
        return (document.arrayValue ?? []).map {
            Entry(file: $0["file"]?.stringValue ?? "", verdict: $0["verdict"]?.stringValue ?? "", reason: $0["reason"]?.stringValue ?? "")
        }
    }

    @Test func theManifestCoversEveryDocumentAndIsReviewed() throws {
        let entries = try Self.manifest()
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasSuffix(".yaml") }
        #expect(Set(entries.map(\.file)) == Set(files))
        #expect(entries.count >= 50)
        for entry in entries { #expect(["ok", "refused"].contains(entry.verdict), "\(entry.file) is \(entry.verdict)") }
    }

    @Test func eachDocumentGetsRundecksVerdict() async throws {
        let directory = makeTemporaryDirectory()
        for entry in try Self.manifest() {
            let outcome = try await runBinary(["validate", Self.folder + "/" + entry.file, "--ignore-node-filter"], directory: directory)
            if entry.verdict == "ok" {
                #expect(outcome.code == 0 && !outcome.stderr.contains("error:"), "\(entry.file): \(outcome.stderr)")
            } else {
                #expect(outcome.code == 2 && outcome.stderr.contains(entry.reason), "\(entry.file): \(outcome.stderr)")
            }
        }
    }
}
