import Foundation
import Testing
import TestSupport
import Values

@testable import YAML

@Suite struct YAMLParserTests {
    @Test func duplicateKeysAreAnErrorNamingBothLines() {
        #expect {
            try YAMLParser.parse("a: 1\nb: 2\na: 3\n", file: "job.yaml")
        } throws: { error in
            (error as? SyntaxError)?.description == "job.yaml:3:1: duplicate key \"a\" (first defined on line 1)"
        }
        #expect(throws: SyntaxError.self) { try YAMLParser.parse("{a: 1, a: 2}") }
        #expect(throws: SyntaxError.self) { try YAMLParser.parse("yes: 1\ntrue: 2") }
    }

    @Test func errorsPointAtTheOffendingColumn() {
        #expect {
            try YAMLParser.parse("jobs:\n  name: x\n  bad: a: b\n", file: "f.yaml")
        } throws: { error in
            guard let error = error as? SyntaxError else { return false }
            return error.location.line == 3 && error.location.column == 9 && error.message.contains("mapping values are not allowed")
        }
    }

    @Test(arguments: [
        ("? a\n: b\n", "explicit keys"),
        ("a: !!binary aGk=\n", "not supported"),
        ("%TAG ! tag:x,2000:\n--- a\n", "%TAG directive is not supported"),
        ("a: 1\n--- \nb: 2\n", "second document"),
    ])
    func unsupportedFeaturesAreClearErrors(yaml: String, message: String) {
        #expect {
            try YAMLParser.parse(yaml)
        } throws: { error in
            (error as? SyntaxError)?.message.contains(message) == true
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        #expect(throws: SyntaxError.self) { try YAMLParser.parse(String(repeating: "[", count: 50_000)) }
        let deepBlock = (0..<1000).map { String(repeating: " ", count: $0) + "- x" }.joined(separator: "\n")
        _ = try? YAMLParser.parse(deepBlock)
    }

    @Test func keyOrderIsKept() throws {
        let value = try YAMLParser.parse("z: 1\na: 2\nm: 3\n")
        #expect(value.objectValue?.keys == ["z", "a", "m"])
    }

    /// What PyYAML and SnakeYAML read and pdstep once refused or misread (yaml-test-suite cases
    /// 2AUY, F2C7, 93JH, ZH7C, E76Z, 7BMT, U3XV, FH7J; Rundeck's own indented job files).
    @Test(arguments: [
        ("  - name: x\n    sequence: {commands: []}\n", #"[{"name":"x","sequence":{"commands":[]}}]"#),
        ("  a: 1\n  b: [2]\n", #"{"a":1,"b":[2]}"#),
        ("&a k: v\nx: *a\n", #"{"k":"v","x":"k"}"#),
        ("m:\n  &a k: v\n  x: *a\n", #"{"m":{"k":"v","x":"k"}}"#),
        ("- &a k: v\n- *a\n", #"[{"k":"v"},"k"]"#),
        ("!!str a: 1\n", #"{"a":1}"#),
        ("- !!str 010: v\n", #"[{"010":"v"}]"#),
        ("&a", "null"),
        ("--- !!str", #""""#),
        ("\"a\\t\n b\"\n", #""a\t b""#),
        ("\"a\\ \n b\"\n", #""a  b""#),
    ])
    func readsWhatRundeckAndPyYAMLRead(_ yaml: String, _ json: String) throws {
        #expect(JSONWriter.write(try YAMLParser.parse(yaml)) == json, "\(yaml.debugDescription)")
    }

    /// YAML 1.1's other line breaks are refused with their place, never read one way here and
    /// another elsewhere; their escapes still work.
    @Test func nelLsAndPsAreRefusedButTheirEscapesWork() throws {
        for text in ["\"a\u{85}b\"", "a: x\u{2028}y", "- \u{2029}"] {
            #expect { try YAMLParser.parse(text) } throws: { ($0 as? SyntaxError)?.message.contains("is a line break in YAML 1.1") == true }
        }
        #expect(try YAMLParser.parse("\"a\\Nb\\Lc\"") == .string("a\u{85}b\u{2028}c"))
    }

    @Test func utf16And32WithAByteOrderMarkAreDecoded() throws {
        let text = "a: héllo\nb: [1, 2]\n"
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        #expect(try YAMLParser.parse(bytes: utf16) == YAMLParser.parse(text))
        var utf32: [UInt8] = [0x00, 0x00, 0xFE, 0xFF]
        for scalar in text.unicodeScalars { utf32 += [0, UInt8(scalar.value >> 16), UInt8(scalar.value >> 8 & 0xFF), UInt8(scalar.value & 0xFF)] }
        #expect(try YAMLParser.parse(bytes: utf32) == YAMLParser.parse(text))
        #expect(throws: SyntaxError.self) { try YAMLParser.parse(bytes: [0xFF, 0xFE, 0x61, 0x00, 0x00, 0xD8]) }
    }

    /// A thousand levels of nesting read (PyYAML reads 300), on whatever thread calls the
    /// reader; one more is an error, not a crash.
    @Test func aThousandLevelsOfNesting() throws {
        let flow = String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000)
        var block = ""
        for level in 0..<1_000 { block += String(repeating: " ", count: level) + "k:\n" }
        block += String(repeating: " ", count: 1_000) + "v\n"
        #expect(throws: Never.self) { try YAMLParser.parse(flow) }
        #expect(throws: Never.self) { try YAMLParser.parse(block) }
        #expect { try YAMLParser.parse("[" + flow + "]") } throws: { ($0 as? SyntaxError)?.message.contains("nesting deeper than 1000 levels") == true }
    }

    /// Integers are exact to 64 bits (Int.min included, base 60 computed without a float); past
    /// that they are refused with their place, never rounded.
    @Test func nonFiniteAndLargeNumbers() throws {
        let value = try YAMLParser.parse("a: .nan\nb: 9223372036854775807\nc: -9223372036854775808\nd: 1:0:0:0:0:0:0:0:0:1\ne: 0_\n")
        guard case .double(let nan)? = value["a"] else { Issue.record("not a double"); return }
        #expect(nan.isNaN)
        #expect(value["b"] == .int(Int.max) && value["c"] == .int(Int.min))
        #expect(value["d"] == .int(10_077_696_000_000_001) && value["e"] == .int(0))
        for text in ["b: 99999999999999999999", "b: 0xFFFFFFFFFFFFFFFF", "- [1, 9223372036854775808]", "18446744073709551616: x", "b: 1:0:0:0:0:0:0:0:0:0:0:0:1"] {
            #expect { try YAMLParser.parse(text) } throws: { ($0 as? SyntaxError)?.message.contains("does not fit in 64 bits") == true }
        }
    }
}

@Suite struct YAMLEmitterTests {
    static let tricky: Value = [
        "plain": "hello world",
        "looks like bool": "yes",
        "looks like null": "~",
        "looks like int": "0x1F",
        "sexagesimal": "12:30",
        "float text": "1.0",
        "empty": "",
        "spaces": " lead and trail ",
        "colon": "a: b",
        "hash": "x #y",
        "dash": "- item",
        "multi": "line one\nline two\n",
        "tab": "a\tb",
        "quote": "say \"hi\" and 'bye'",
        "unicode": "café ☕ 😀",
        "control": "bell\u{07}",
        "equals": "=",
        "url": "https://example.com/a?b=c&d",
        "template": "${option.host} - ${job.execid}",
        "numbers": [1, -2, 3.5, 1e300, 0.1],
        "bools": [true, false],
        "nothing": nil,
        "empties": ["list": [], "map": [:]],
        "nested": [["a": 1, "b": ["c", ["d": "e"]]], [1, [2, 3]]],
        "true": "key that looks like a bool",
    ]

    @Test func emittedYAMLReadsBackHere() throws {
        let text = YAMLEmitter.emit(Self.tricky)
        #expect(try YAMLParser.parse(text) == Self.tricky)
    }

    /// The emitter's output reads back to the same value in PyYAML.
    @Test(.enabled(if: pyyamlAvailable, "needs python3 with PyYAML"))
    func emittedYAMLReadsBackInPyYAML() async throws {
        let text = YAMLEmitter.emit(Self.tricky)
        let (_, data) = try await runTool(["python3", "-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))"], stdin: text)
        #expect(try JSONParser.parse(bytes: Array(data)) == Self.tricky, "\(text)")
    }

    @Test func scalarsAtTheTop() throws {
        for value: Value in ["yes", 1, 2.5, nil, true, [], [:]] {
            #expect(try YAMLParser.parse(YAMLEmitter.emit(value)) == value)
        }
    }
}
