import Foundation
import Testing
import TestSupport
import Values

@testable import Settings

/// The folder holding the .properties corpus and the Java oracle.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

func parseMap(_ text: String) throws -> [String: String] {
    var map: [String: String] = [:]
    for entry in try PropertiesParser.parse(bytes: Array(text.utf8)) { map[entry.key] = entry.value }
    return map
}

@Suite struct PropertiesParserTests {
    @Test func separatorsAreEqualsColonOrWhitespace() throws {
        let map = try parseMap("a=b\nc:d\ne f\ng   :   h\ni==j\nk\n")
        #expect(map == ["a": "b", "c": "d", "e": "f", "g": "h", "i": "=j", "k": ""])
    }

    @Test func trailingWhitespaceInValuesIsKept() throws {
        #expect(try parseMap("key=value  \t")["key"] == "value  \t")
    }

    @Test func commentsStartWithHashOrBangOnlyAtLineStart() throws {
        let map = try parseMap("# c\n  ! c\nurl=a#b\n")
        #expect(map == ["url": "a#b"])
    }

    @Test func oddBackslashesContinueTheLineEvenOnesDoNot() throws {
        let map = try parseMap("a=one \\\n    two\nb=x\\\\\nc=y\n")
        #expect(map == ["a": "one two", "b": "x\\", "c": "y"])
    }

    @Test func escapesAreDecoded() throws {
        let map = try parseMap("k=\\t\\n\\r\\f\\u00e9\\b\\=\\:\\ \\\\\n")
        #expect(map["k"] == "\t\n\r\u{0C}ébb=: \\".replacingOccurrences(of: "bb", with: "b"))
    }

    @Test func escapedSeparatorsBelongToTheKey() throws {
        #expect(try parseMap("e\\=mc2=yes\n") == ["e=mc2": "yes"])
    }

    @Test func bytesAreISO88591() throws {
        let entries = try PropertiesParser.parse(bytes: Array("k=caf".utf8) + [0xE9])
        #expect(entries.first?.value == "café")
    }

    @Test func malformedUnicodeEscapeReportsLineAndColumn() {
        #expect {
            try PropertiesParser.parse(bytes: Array("ok=1\nbad=x\\u00zz\n".utf8), file: "f.properties")
        } throws: { error in
            guard let error = error as? SyntaxError else { return false }
            return error.location == SourceLocation(file: "f.properties", line: 2, column: 6)
                && error.description.hasPrefix("f.properties:2:6: malformed \\uXXXX")
        }
    }

    @Test func entriesRecordTheLineTheyStartOn() throws {
        let entries = try PropertiesParser.parse(bytes: Array("# c\n\na=1\\\n  2\nb=3\n".utf8))
        #expect(entries.map(\.line) == [3, 5])
    }

    /// Every file of the corpus reads the same here as in java.util.Properties.
    @Test(.enabled(if: javaAvailable, "needs java on PATH"))
    func corpusMatchesJavaUtilProperties() async throws {
        let corpus = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("properties").path)
            .filter { $0.hasSuffix(".properties") }.sorted().map { "properties/" + $0 }
        let bad = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("bad").path)
            .sorted().map { "bad/" + $0 }
        #expect(corpus.count >= 15)
        let oracle = try await runJava(files: corpus + bad)
        for file in corpus + bad {
            let bytes = try Array(Data(contentsOf: fixtures.appendingPathComponent(file)))
            let expected = oracle[file]
            if case .string(let message)? = expected, message.hasPrefix("error:") {
                #expect(throws: SyntaxError.self, "\(file): Java refused it, so must we") {
                    try PropertiesParser.parse(bytes: bytes, file: file)
                }
                continue
            }
            var ours = ValueObject()
            for entry in try PropertiesParser.parse(bytes: bytes, file: file) { ours[entry.key] = .string(entry.value) }
            #expect(Value.object(ours) == expected, "\(file)")
        }
    }
}

/// Runs the Java oracle over `files` (relative to the fixtures folder).
func runJava(files: [String]) async throws -> ValueObject {
    let (status, data) = try await runTool(["java", "PropertiesDump.java"] + files, directory: fixtures)
    #expect(status == 0)
    return try JSONParser.parse(bytes: Array(data)).objectValue ?? ValueObject()
}

