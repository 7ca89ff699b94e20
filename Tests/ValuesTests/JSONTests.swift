import Testing

@testable import Values

@Suite struct JSONTests {
    @Test func integersStayIntegersAndDoublesStayDoubles() throws {
        let value = try JSONParser.parse("[1, -0, 1.0, 1e3, 9223372036854775807, 92233720368547758070]")
        #expect(value == [1, 0, .double(1.0), .double(1000), .int(Int.max), .double(92233720368547758070)])
        #expect(JSONWriter.write(value) == "[1,0,1.0,1000.0,9223372036854775807,9.223372036854776e+19]")
    }

    @Test func objectKeysKeepTheirOrder() throws {
        let text = #"{"zeta":1,"alpha":{"m":true,"b":null},"mid":"x"}"#
        let value = try JSONParser.parse(text)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid"])
        #expect(JSONWriter.write(value) == text)
    }

    @Test func stringsDecodeEveryEscapeAndRoundTrip() throws {
        let value = try JSONParser.parse(#""q\"b\\s\/\b\f\n\r\t\u00e9\ud83d\ude00""#)
        #expect(value == .string("q\"b\\s/\u{08}\u{0C}\n\r\té😀"))
        #expect(try JSONParser.parse(JSONWriter.write(value)) == value)
    }

    @Test func prettyOutputIndentsByTwo() {
        let value: Value = ["a": [1, 2], "b": [:]]
        #expect(JSONWriter.write(value, options: .pretty) == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}")
    }

    @Test(arguments: [
        ("{\"a\":1,}", 1, 8, "expected a quoted key"),
        ("[1,\n  2,\n  x]", 3, 3, "unexpected character 'x'"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("\"abc", 1, 1, "unterminated string"),
        ("01", 1, 1, "leading zeros"),
        ("{\"k\":1,\"k\":2}", 1, 8, "duplicate key"),
        ("[1] 2", 1, 5, "unexpected text after"),
        ("\"\\ud800\"", 1, 2, "unpaired surrogate"),
        ("\"tab\there\"", 1, 5, "control character"),
        ("tru", 1, 1, "invalid literal"),
        ("", 1, 1, "unexpected end of input"),
        ("{\"é\": x}", 1, 7, "unexpected character"),
    ])
    func malformedJSONNamesLineAndColumn(text: String, line: Int, column: Int, message: String) {
        #expect {
            try JSONParser.parse(text, file: "in.json")
        } throws: { error in
            guard let error = error as? SyntaxError else { return false }
            return error.location == SourceLocation(file: "in.json", line: line, column: column)
                && error.message.contains(message)
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: SyntaxError.self) { try JSONParser.parse(deep) }
    }

    @Test func equalityIgnoresObjectKeyOrder() throws {
        #expect(try JSONParser.parse(#"{"a":1,"b":2}"#) == JSONParser.parse(#"{"b":2,"a":1}"#))
        #expect(try JSONParser.parse(#"{"a":1}"#) != JSONParser.parse(#"{"a":1.0}"#))
    }

    @Test func objectEditingKeepsPositions() {
        var object = ValueObject([("a", 1), ("b", 2), ("c", 3)])
        object["b"] = 20
        object["a"] = nil
        object["d"] = 4
        #expect(object.keys == ["b", "c", "d"])
        #expect(object["c"] == 3)
    }

    @Test func textFormOfScalars() {
        #expect(Value.string("x").text == "x")
        #expect(Value.int(3).text == "3")
        #expect(Value.bool(false).text == "false")
        #expect(Value.null.text == "")
        #expect(Value.array([1, "a"]).text == #"[1,"a"]"#)
    }
}

@Suite struct SHA256Tests {
    /// NIST FIPS 180-4 example vectors.
    @Test func nistVectors() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(bytes: [UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 4231's HMAC-SHA256 test cases 1 to 7 (case 5, a truncated output, compared on its
    /// first 16 bytes).
    @Test func hmacRFC4231Vectors() {
        func bytes(_ hex: String) -> [UInt8] {
            var out: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                out.append(UInt8(hex[index..<next], radix: 16)!)
                index = next
            }
            return out
        }
        func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        let cases: [([UInt8], [UInt8], String)] = [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"), [UInt8](repeating: 0xcd, count: 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            ([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "a3b6167473100ee06e0c796c2955552b"),
            ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            ([UInt8](repeating: 0xaa, count: 131), Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (key, message, expected) in cases {
            #expect(hex(SHA256.hmac(key: key, message: message)).hasPrefix(expected), "\(expected)")
        }
        #expect(SHA256.constantTimeEqual([1, 2, 3], [1, 2, 3]) && !SHA256.constantTimeEqual([1, 2, 3], [1, 2, 4]) && !SHA256.constantTimeEqual([1], [1, 2]))
    }
}
