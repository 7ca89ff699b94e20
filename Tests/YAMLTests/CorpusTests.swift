import Foundation
import Testing
import TestSupport
import Values

@testable import YAML

let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

func corpusFiles(_ folder: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: corpus.appendingPathComponent(folder).path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted()
}

/// Non-finite doubles in the form the golden files use ({"$float": "inf"}).
func goldenForm(_ value: Value) -> Value {
    switch value {
    case .double(let d) where d.isNaN: return ["$float": "nan"]
    case .double(let d) where d.isInfinite: return ["$float": d > 0 ? "inf" : "-inf"]
    case .array(let items): return .array(items.map(goldenForm))
    case .object(let object): return .object(ValueObject(object.entries.map { ($0.key, goldenForm($0.value)) }))
    default: return value
    }
}

@Suite struct YAMLCorpusTests {
    /// Each valid file reads to what PyYAML's safe_load reads (golden JSON made by
    /// regenerate-golden.py).
    @Test(arguments: corpusFiles("valid"))
    func matchesPyYAML(_ name: String) throws {
        let yaml = try Data(contentsOf: corpus.appendingPathComponent("valid/" + name))
        let golden = try Data(contentsOf: corpus.appendingPathComponent("valid/" + name.replacingOccurrences(of: ".yaml", with: ".json")))
        let expected = try JSONParser.parse(bytes: Array(golden))
        let actual = try YAMLParser.parse(bytes: Array(yaml), file: name)
        #expect(goldenForm(actual) == expected)
    }

    /// Each file PyYAML rejects is rejected here too, with a line and column.
    @Test(arguments: corpusFiles("invalid"))
    func rejectedLikePyYAML(_ name: String) throws {
        let yaml = try Data(contentsOf: corpus.appendingPathComponent("invalid/" + name))
        #expect {
            try YAMLParser.parse(bytes: Array(yaml), file: name)
        } throws: { error in
            guard let error = error as? SyntaxError else { return false }
            return error.location.file == name && error.location.line >= 1 && error.location.column >= 1
        }
    }

    /// The golden files are current: PyYAML, when present, still gives the committed answers.
    @Test(.enabled(if: pyyamlAvailable, "needs python3 with PyYAML"))
    func goldenFilesAreUpToDate() async throws {
        let script = corpus.deletingLastPathComponent().appendingPathComponent("regenerate-golden.py").path
        let scratch = NSTemporaryDirectory() + "yaml-golden-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: corpus.deletingLastPathComponent().path, toPath: scratch)
        let (status, _) = try await runTool(["python3", scratch + "/regenerate-golden.py"])
        #expect(status == 0, "PyYAML accepted a file in invalid/ (\(script))")
        for name in corpusFiles("valid") {
            let json = name.replacingOccurrences(of: ".yaml", with: ".json")
            let committed = try Data(contentsOf: corpus.appendingPathComponent("valid/" + json))
            let fresh = try Data(contentsOf: URL(fileURLWithPath: scratch + "/Corpus/valid/" + json))
            #expect(committed == fresh, "\(json) is stale: run python3 Tests/YAMLTests/regenerate-golden.py")
        }
    }
}

let pyyamlAvailable = pythonHas("yaml")


