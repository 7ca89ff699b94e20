import Foundation
import Testing
import TestSupport
import Values
import XML

/// pdstep's XML reader against Python's expat (`expat-tree.py`), the outside oracle: on every
/// document both read, they read the same tree; a document one refuses, the other refuses too.
/// The one deliberate difference: pdstep refuses any DOCTYPE (expat reads internal ones).
struct XMLParserTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// Well-formed documents, the tricky corners included.
    static let wellFormed: [String] = [
        "<a/>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a x=\"1\" y='2'>t</a>",
        "\u{FEFF}<?xml version='1.0'?><a>bom</a>",
        "<?xml version=\"1.0\" standalone=\"yes\" ?>\r\n<a/>\r\n",
        "<a><![CDATA[x ]]]]><![CDATA[> y]]></a>",
        "<a><![CDATA[<not> &markup; ]] ]]></a>",
        "<a v=\"&lt;&amp;&#65;&#x42;&quot;&apos;&gt;\"/>",
        "<a>line1\r\nline2\rline3\nline4</a>",
        "<a v=\"x\r\ny\tz\nw\" w='&#10;&#9;&#13;'/>",
        "<!-- before --><a>x<!-- inside -->y<!-- - dash --></a><!-- after -->\n",
        "<a>x<?pi some data?>y</a><?after?>",
        "<a>\n  <b c=\"d\">text <i>more</i> tail</b>\n  <b/>\n</a>",
        "<é ü=\"ö\">文字 &#x1F600; &#128512;</é>",
        "<a>a &gt; b > c ]] ] ]&gt;</a>",
        "<a v=\">\" w=\"\" x = \"1\" ></a >",
        "<ab c=\"1\"/>",
        "<joblist><job><name>n</name><sequence><command><script><![CDATA[#!/bin/sh\necho \"$1\" &amp; done]]></script></command></sequence></job></joblist>",
        "<a>\t</a>",
        "<a><b/><b/><b>x</b></a>",
        "<a.b-c_d e.f-g=\"1\"/>",
    ]

    /// Documents XML does not allow.
    static let malformed: [String] = [
        "", "   ", "<a>", "<a></b>", "<a x=\"1\" x=\"2\"/>", "<a>&foo;</a>", "<a>&#0;</a>", "<a>]]></a>", "<a v=\"<\"/>",
        "<a><!-- -- --></a>", "<a><!-- x ---></a>", "<a/><b/>", "x<a/>", "<a/>x", "<a v=1/>", "<!-- c --><?xml version=\"1.0\"?><a/>",
        "<a>&amp</a>", "<1a/>", "<a b=\"x\"c=\"y\"/>", "<a>&#xD800;</a>", "<a>\u{1}</a>", "<a><![CDATA[x</a>", "<a><!-- x</a>",
        "<a v=\"x/>", "<a>&#x110000;</a>", "<?xml encoding=\"UTF-8\"?><a/>", "<a></a></a>",
        "<a><b></a></b>", "<a b/>", "<a =\"1\"/>", "< a/>", "<a>&;</a>", "<a>&#xZZ;</a>", "<a v='&'/>", "<?xml version=\"1.0\"?>",
        "<a><?xml version=\"1.0\"?></a>", "<a>text</a><!-- ok --> trailing",
    ]

    struct Oracle {
        var tree: Value?
        var line: Int?
    }

    static func expat(_ documents: [String]) async throws -> [Oracle] {
        let (_, output) = try await runTool(
            ["python3", here.appendingPathComponent("expat-tree.py").path], stdin: JSONWriter.write(.array(documents.map { .string($0) })))
        return try String(decoding: output, as: UTF8.self).split(separator: "\n").map { line in
            let answer = try JSONParser.parse(String(line))
            return Oracle(tree: answer["tree"], line: answer["line"]?.intValue)
        }
    }

    /// pdstep's tree in the oracle's form: [name, [[attribute, value]...], [children]].
    static func form(_ element: XMLElement) -> Value {
        .array([
            .string(element.name), .array(element.attributes.map { .array([.string($0.name), .string($0.value)]) }),
            .array(element.children.map { child in
                switch child {
                case .element(let inner): return form(inner)
                case .text(let text): return .string(text)
                }
            }),
        ])
    }

    @Test func readsWhatExpatReads() async throws {
        let documents = Self.wellFormed + (try Self.rundeckJobFiles())
        let answers = try await Self.expat(documents)
        #expect(answers.count == documents.count)
        for (document, answer) in zip(documents, answers) {
            #expect(answer.tree != nil, "expat refused: \(document.prefix(80))")
            do {
                let root = try XMLParser.parse(bytes: Array(document.utf8))
                #expect(Self.form(root) == answer.tree, "\(document.prefix(120))")
            } catch {
                Issue.record("pdstep refused \(document.prefix(80)): \(error)")
            }
        }
    }

    @Test func refusesWhatExpatRefuses() async throws {
        let answers = try await Self.expat(Self.malformed)
        for (document, answer) in zip(Self.malformed, answers) {
            #expect(answer.tree == nil, "expat read \(document.debugDescription)")
            #expect(throws: SyntaxError.self, "pdstep read \(document.debugDescription)") { try XMLParser.parse(bytes: Array(document.utf8), file: "x.xml") }
        }
    }

    /// Errors name the line and column, and say what is wrong.
    @Test func errorsSayWhereAndWhat() {
        let cases: [(String, String)] = [
            ("<joblist>\n  <job>\n    <name>x</nam>\n", "x.xml:3:12: </nam> closes <name> (opened at 3:5)"),
            ("<a>\n<b v=\"1\" v=\"2\"/>", "x.xml:2:10: <b> has the attribute 'v' twice"),
            ("<a>&nbsp;</a>", "x.xml:1:4: the entity &nbsp; is not defined (XML predefines only lt, gt, amp, apos and quot; pdstep reads no DTD)"),
            ("<a>\n\n  <b>", "x.xml:3:3: <b> is never closed (expected </b>)"),
            ("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", "x.xml:1:1: the file says it is encoded in ISO-8859-1; pdstep reads UTF-8 only"),
        ]
        for (document, expected) in cases {
            do {
                _ = try XMLParser.parse(bytes: Array(document.utf8), file: "x.xml")
                Issue.record("read \(document)")
            } catch {
                #expect(error.description.hasPrefix(expected), "\(error.description)")
            }
        }
    }

    /// No DTD is read, so no entity can be defined: external entities (XXE) and expansion bombs
    /// are refused before anything is expanded.
    @Test func refusesEveryDoctype() {
        let attacks = [
            "<!DOCTYPE a><a/>",
            "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
            "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>",
            "<a><!DOCTYPE a></a>",
        ]
        for attack in attacks {
            #expect(throws: SyntaxError.self) { try XMLParser.parse(bytes: Array(attack.utf8)) }
            do { _ = try XMLParser.parse(bytes: Array(attack.utf8)) } catch { #expect(error.message.contains("DOCTYPE")) }
        }
    }

    /// What expat reads and pdstep refuses on purpose: any DOCTYPE (above), XML versions that
    /// are not 1.x, and encodings other than UTF-8 (Rundeck writes UTF-8; a file in another
    /// encoding would be read wrong, so it is refused with the fix).
    @Test func deliberateDifferencesFromExpat() async throws {
        let documents = [
            "<!DOCTYPE a><a/>", "<?xml version=\"2.0\"?><a/>", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
        ]
        let answers = try await Self.expat(documents)
        for (document, answer) in zip(documents, answers) {
            #expect(answer.tree != nil, "expat refused \(document)")
            #expect(throws: SyntaxError.self) { try XMLParser.parse(bytes: Array(document.utf8)) }
        }
    }

    /// Nesting is bounded; a deep document is an error, not a crash.
    @Test func deepNestingIsAnError() {
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(throws: SyntaxError.self) { try XMLParser.parse(bytes: Array(deep.utf8)) }
        let fine = String(repeating: "<a>", count: 200) + String(repeating: "</a>", count: 200)
        #expect(throws: Never.self) { try XMLParser.parse(bytes: Array(fine.utf8)) }
    }

    /// A minified document is one long line: each element's column is found from the last one,
    /// not by counting the line again (which took minutes for this one), and stays right.
    @Test func aLongSingleLineReadsInLinearTime() throws {
        let count = 100_000
        let document = "<joblist>" + String(repeating: "<job a=\"é\"><b/></job>", count: count) + "</joblist>"
        let root = try XMLParser.parse(bytes: Array(document.utf8))
        #expect(root.elements.count == count)
        #expect(root.elements.last?.location.column == 10 + (count - 1) * 21)
        #expect(root.elements.last?.elements.first?.location.column == 10 + (count - 1) * 21 + 11)
    }

    /// Rundeck's own XML job files (the CLI tests' corpus).
    static func rundeckJobFiles() throws -> [String] {
        let folder = here.deletingLastPathComponent().appendingPathComponent("CLITests/RundeckXMLJobs").path
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".xml") }.sorted()
            .map { try String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }
    }
}
