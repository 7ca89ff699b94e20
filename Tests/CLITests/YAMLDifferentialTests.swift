import Foundation
import Testing
import TestSupport

/// Random YAML documents (nested block and flow collections, every scalar style, YAML 1.1
/// scalars, anchors, comments, indented roots) read by pdstep and by PyYAML: no disagreement.
/// A fixed seed and count here; `bash bench/fuzz.sh SECONDS yamldiff` runs it for longer.
@Suite(.enabled(if: pythonHas("yaml"), "needs python3 with PyYAML"))
struct YAMLDifferentialTests {
    @Test func randomDocumentsReadAsPyYAMLReadsThem() async throws {
        let script = RunCommandTests.root.appendingPathComponent("Tests/YAMLTests/differential.py").path
        let (status, output) = try await runTool(["python3", script, pdstepBinary.path, "--count", "150", "--seed", "1"])
        let text = String(decoding: output, as: UTF8.self)
        #expect(status == 0, "\(text)")
        #expect(text.contains("150 documents, 0 disagreements"), "\(text)")
    }
}
