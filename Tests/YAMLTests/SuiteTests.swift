import Foundation
import Testing
import Values

@testable import YAML

/// The official YAML test suite's single-document cases (yaml/yaml-test-suite, MIT, vendored by
/// import-suite.py with PyYAML's reading of each). Every case reads as PyYAML reads it, or both
/// refuse it, except the cases `suite-differences.txt` lists with a reason, each of which must
/// still behave as listed; every refusal is a `SyntaxError` with a line and column.
@Suite struct SuiteTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Suite")

    static let cases: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()

    /// ID → (state, reason) from suite-differences.txt.
    static let differences: [String: (state: String, reason: String)] = {
        let path = folder.deletingLastPathComponent().appendingPathComponent("suite-differences.txt").path
        var table: [String: (String, String)] = [:]
        for line in ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.components(separatedBy: "  ")
            if parts.count >= 3 { table[parts[0]] = (parts[1], parts[2...].joined(separator: "  ")) }
        }
        return table
    }()

    @Test func theSuiteIsThere() {
        #expect(Self.cases.count == 382)
        #expect(Self.differences.count < 50)
    }

    @Test(arguments: cases)
    func readsAsPyYAMLOrAsListed(_ id: String) throws {
        let dir = Self.folder.appendingPathComponent(id)
        let input = Array(try Data(contentsOf: dir.appendingPathComponent("in.yaml")))
        var read = Optional<Value>.none
        do {
            read = try YAMLParser.parse(bytes: input, file: "in.yaml")
        } catch {
            #expect(error.location.line >= 1 && error.location.column >= 1, "\(id): \(error)")
        }
        let goldenURL = dir.appendingPathComponent("pyyaml.json")
        // (Not `nil`: Value is ExpressibleByNilLiteral, and `nil` would become `.null`.)
        var pyyaml = Optional<Value>.none
        if FileManager.default.fileExists(atPath: goldenURL.path) {
            pyyaml = try JSONParser.parse(bytes: Array(try Data(contentsOf: goldenURL)))
        }
        switch Self.differences[id]?.state {
        case "refuses"?:
            #expect(read == nil, "\(id) is listed as refused (\(Self.differences[id]?.reason ?? "")) but now reads; update suite-differences.txt")
        case "accepts"?:
            #expect(read != nil && (pyyaml == nil || goldenForm(read ?? .null) != pyyaml), "\(id) no longer behaves as listed; update suite-differences.txt")
        case "differs"?:
            #expect(read != nil && goldenForm(read ?? .null) != pyyaml, "\(id) now reads as PyYAML; remove it from suite-differences.txt")
        default:
            if let pyyaml {
                #expect(read.map(goldenForm) == pyyaml, "\(id): pdstep reads \(read.map { JSONWriter.write($0) } ?? "nothing (refused)"), PyYAML \(JSONWriter.write(pyyaml))")
            } else {
                #expect(read == nil, "\(id): PyYAML refuses it but pdstep reads \(read.map { JSONWriter.write($0) } ?? "")")
            }
        }
    }
}
