import Foundation
import Testing

@testable import Values

/// pdstep's replacements for the Foundation string API it no longer links, checked against
/// Foundation itself (which the tests may import) on the inputs pdstep gives them.
struct TextTests {
    /// (Foundation itself is unreliable past these: it traps on some inputs and reads U+0085 as
    /// a space; pdstep treats U+0085, U+2028 and U+2029 as line breaks, tested below.)
    static let texts = ["", " ", "a", "  a b  ", "\t x\t", "\n a \r\n", "\u{00A0}nbsp\u{2003}", "é ", " 👍🏽 "]

    @Test func trimmingAgreesWithFoundation() {
        for text in Self.texts {
            #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
            #expect(text.trimmingSpacesAndLines() == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
        }
        #expect("\u{2028}a\u{85}".trimmingSpaces() == "\u{2028}a\u{85}" && "\u{2028} a\u{85}".trimmingSpacesAndLines() == "a")
        #expect(Substring("  x ").trimmingSpaces() == "x")
    }

    /// `includes` finds text code unit for code unit, as Foundation's literal search (and Java's
    /// `String.contains`) do, in strings and slices of them.
    @Test func includesAgreesWithLiteralSearch() {
        let texts = ["", "$", "${", "a${b}", "x$ {", "$$${", "keep-alive, close", "caf\u{E9}", "cafe\u{301}", "👍🏽${x}"]
        let needles = ["", "$", "${", "close", "keep-alive", "e", "\u{301}", "\u{E9}", "👍", "${x}}"]
        for text in texts {
            for needle in needles {
                let literal = needle.isEmpty || text.range(of: needle, options: .literal) != nil
                #expect(text.includes(needle) == literal, "\(text.debugDescription) includes \(needle.debugDescription)")
                #expect(Substring("<" + text + ">").dropFirst().includes(needle) == literal)
            }
        }
        // Code units, not characters: a combining accent does not hide the letters before it.
        #expect("cafe\u{301}".includes("cafe"))
    }

    /// Hexadecimal read back: what `hex(bytes:)` wrote, either case; nothing else (no signs, odd
    /// lengths or other letters, which `UInt8(_:radix:)` would partly take).
    @Test func hexReadsBack() {
        let bytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xAB, 0xFF]
        #expect(Text.bytes(hex: Text.hex(bytes: bytes)) == bytes)
        #expect(Text.bytes(hex: "00017F80ABFF") == bytes && Text.bytes(hex: "") == [])
        for bad in ["0", "+f", "0g", "-1", " a", "abc"] { #expect(Text.bytes(hex: bad) == nil, "\(bad)") }
    }

    @Test func pathsAgreeWithNSString() {
        for path in ["/a/b.txt", "a/b", "/", "/a", "/a/b/", "a/b.tar.gz", ".hidden", "/x/.hidden", "a//b"] {
            let ns = path as NSString
            #expect(Path.lastComponent(path) == ns.lastPathComponent, "\(path)")
            #expect(Path.deletingLastComponent(path) == ns.deletingLastPathComponent, "\(path)")
            #expect(Path.extensionOf(path) == ns.pathExtension, "\(path)")
            for component in ["c", "c/d", ""] {
                #expect(Path.appending(path, component) == ns.appendingPathComponent(component), "\(path) + \(component)")
            }
        }
        // (Foundation traps on these.)
        #expect(Path.lastComponent("") == "" && Path.deletingLastComponent("") == "")
        #expect(Path.lastComponent("b") == "b" && Path.deletingLastComponent("b") == "")
        #expect(Path.resolve("/abs", in: "/dir") == "/abs" && Path.resolve("rel", in: "/dir") == "/dir/rel")
    }

    @Test func numbersAgreeWithStringFormat() {
        // Away from exact ties (printf rounds the binary value half to even; pdstep's durations
        // and waits do not care which way a tie goes).
        for value in [0.0, 0.04, 0.06, 0.16, 1.26, 2.5, 59.96, 99.99, 123.456, -1.26, 1e9 + 0.5] {
            #expect(Text.fixed(value, 1) == String(format: "%.1f", value), "\(value)")
            #expect(Text.fixed(value, 3) == String(format: "%.3f", value), "\(value)")
        }
        for value in [0, 7, 42, 99_999, 123_456] {
            #expect(Text.padded(value, width: 5) == String(format: "%05d", value))
        }
        #expect(Text.padded(UInt64(1_764_000_000_000_000), width: 16) == String(format: "%016llu", UInt64(1_764_000_000_000_000)))
        for byte: UInt8 in [0, 9, 10, 255] { #expect(Text.hex(byte, width: 2) == String(format: "%02X", byte)) }
        #expect(Text.hex(UInt16(0xe9), width: 4, uppercase: false) == String(format: "%04x", 0xe9))
    }

    @Test func percentEncodingAgreesWithFoundation() {
        var unreserved = CharacterSet()
        unreserved.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        for text in ["plain", "a b&c=d/e?f#g", "é☃👍", "100%", "P1~x.y_z-"] {
            #expect(Text.percentEncoded(text) == text.addingPercentEncoding(withAllowedCharacters: unreserved), "\(text)")
        }
    }

    @Test func columnsArePaddedOrCut() {
        #expect("ab".padded(to: 4) == "ab".padding(toLength: 4, withPad: " ", startingAt: 0))
        #expect("abcdef".padded(to: 4) == "abcdef".padding(toLength: 4, withPad: " ", startingAt: 0))
    }
}
