import Foundation
import Testing
import TestSupport
import Runner
import YAML
import Values

/// Rundeck's own job documents (its manual, how-tos and test suites; sources and commits in
/// `RundeckJobs/manifest.json`, gathered by `RundeckJobs/collect.py`) get from `pdstep validate`
/// the verdict Rundeck would give: accepted, or, where pdstep cannot run them, refused with the
/// reason.
struct RundeckJobsTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    /// The YAML documents (`RundeckJobs/`) and the XML ones (`RundeckXMLJobs/`, gathered by its
    /// own collect.py: standalone job files, project archives' jobs/, the manual's examples).
    static let corpora = [(here.appendingPathComponent("RundeckJobs").path, ".yaml", 50), (here.appendingPathComponent("RundeckXMLJobs").path, ".xml", 60)]

    struct Entry {
        var file: String
        var verdict: String
        var reason: String
    }

    static func manifest(_ folder: String) throws -> [Entry] {
        let document = try JSONParser.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json")), as: UTF8.self))
        return (document.arrayValue ?? []).map {
            Entry(file: $0["file"]?.stringValue ?? "", verdict: $0["verdict"]?.stringValue ?? "", reason: $0["reason"]?.stringValue ?? "")
        }
    }

    @Test func theManifestCoversEveryDocumentAndIsReviewed() throws {
        for (folder, suffix, minimum) in Self.corpora {
            let entries = try Self.manifest(folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(suffix) }
            #expect(Set(entries.map(\.file)) == Set(files))
            #expect(entries.count >= minimum)
            for entry in entries { #expect(["ok", "refused"].contains(entry.verdict), "\(entry.file) is \(entry.verdict)") }
        }
    }

    @Test(arguments: corpora.map(\.0)) func eachDocumentGetsRundecksVerdict(folder: String) async throws {
        let directory = makeTemporaryDirectory()
        for entry in try Self.manifest(folder) {
            let outcome = try await runBinary(["validate", folder + "/" + entry.file, "--ignore-node-filter"], directory: directory)
            if entry.verdict == "ok" {
                #expect(outcome.code == 0 && !outcome.stderr.contains("error:"), "\(entry.file): \(outcome.stderr)")
            } else {
                #expect(outcome.code == 2 && outcome.stderr.contains(entry.reason), "\(entry.file): \(outcome.stderr)")
            }
        }
    }

    /// Jobs of the XML corpus written again in Rundeck's YAML export format (`twins/`) decode
    /// to the same job: one model, whatever the format.
    @Test func xmlAndYamlTwinsAreTheSameJob() throws {
        let folder = Self.here.appendingPathComponent("RundeckXMLJobs").path
        let twins = try FileManager.default.contentsOfDirectory(atPath: folder + "/twins").filter { $0.hasSuffix(".yaml") }
        #expect(twins.count >= 6)
        for twin in twins {
            let xml = try JobFile.load(folder + "/" + twin.replacingOccurrences(of: ".yaml", with: ".xml"), directory: "/")
            let yaml = try JobFile.load(folder + "/twins/" + twin, directory: "/")
            #expect(xml.count == yaml.count && !xml.isEmpty, "\(twin)")
            for (x, y) in zip(xml, yaml) {
                var (x, y) = (x, y)
                (x.file, y.file) = (nil, nil)
                (x.ignoredFields, y.ignoredFields) = (x.ignoredFields.sorted(), y.ignoredFields.sorted())
                #expect(x == y, "\(twin)")
            }
        }
    }

    /// `convert --to xml` writes what reads back as the same jobs: every XML document of the
    /// corpus (XML → XML, and XML → YAML → XML), and every YAML one (YAML → XML), except where
    /// the writer said text starts or ends with white space (XML readers trim it, Rundeck's too).
    @Test func xmlRoundTripsKeepEveryField() throws {
        func jobs(_ document: Value, _ file: String) throws -> [Job] {
            try JobDecoder.decode(document, file: file).map { job in
                var job = job
                (job.file, job.ignoredFields) = (nil, [])
                return job
            }
        }
        let xmlFolder = Self.here.appendingPathComponent("RundeckXMLJobs").path
        var checked = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: xmlFolder).filter({ $0.hasSuffix(".xml") }).sorted() {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: xmlFolder + "/" + file)))
            guard let document = try? JobFormat.xml.read(bytes, file), let original = try? jobs(document, file) else { continue }  // outlines
            var trimmed: [String] = []
            let written = try RundeckJobXMLWriter.write(document, trimmed: &trimmed)
            #expect(trimmed.isEmpty, "\(file): \(trimmed)")
            #expect(try jobs(try JobFormat.xml.read(Array(written.utf8), file), file) == original, "\(file)\n\(written)")
            let yaml = YAMLEmitter.emit(document)
            let viaYAML = try RundeckJobXMLWriter.write(try JobFormat.yaml.read(Array(yaml.utf8), file))
            #expect(try jobs(try JobFormat.xml.read(Array(viaYAML.utf8), file), file) == original, "\(file) via YAML")
            checked += 1
        }
        #expect(checked >= 55)
        let yamlFolder = Self.here.appendingPathComponent("RundeckJobs").path
        checked = 0
        var warned = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: yamlFolder).filter({ $0.hasSuffix(".yaml") }).sorted() {
            let document = try JobFormat.yaml.read(Array(try Data(contentsOf: URL(fileURLWithPath: yamlFolder + "/" + file))), file)
            guard let original = try? jobs(document, file) else { continue }
            var trimmed: [String] = []
            let written = try RundeckJobXMLWriter.write(document, trimmed: &trimmed)
            let back = try jobs(try JobFormat.xml.read(Array(written.utf8), file), file)
            if back != original {
                #expect(!trimmed.isEmpty, "\(file) changed without a warning\n\(written)")
                warned += 1
            }
            checked += 1
        }
        #expect(checked >= 40 && warned < checked / 2, "\(checked) checked, \(warned) trimmed")
    }
}
