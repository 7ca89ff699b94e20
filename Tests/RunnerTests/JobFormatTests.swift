import Testing
import Values

@testable import Runner

/// Job files are read through one table of formats, chosen by extension, else by content.
@Suite struct JobFormatTests {
    @Test(arguments: [
        ("jobs.json", "- name: x", "json"), ("jobs.yaml", "[{\"name\": \"x\"}]", "yaml"), ("jobs.YML", "a: 1", "yaml"),
        ("jobs", "\u{FEFF}  \n[{\"name\": \"x\"}]", "json"), ("jobs", "{\"name\": \"x\"}", "json"), ("jobs", "- name: x", "yaml"), ("jobs", "", "yaml"),
        ("jobs.xml", "- name: x", "xml"), ("jobs", "\u{FEFF}<?xml version=\"1.0\"?><joblist/>", "xml"), ("export", "  <joblist>", "xml"),
    ])
    func formatIsNamedByExtensionElseByContent(_ path: String, _ text: String, _ expected: String) {
        #expect(JobFormat.detect(Array(text.utf8), path: path).name == expected)
    }

    @Test func everyFormatReadsTheSameJob() throws {
        let yaml = try JobFormat.yaml.read(Array("- name: j\n  description: ''\n  sequence: {commands: [{exec: echo hi}]}\n".utf8), "j.yaml")
        let json = try JobFormat.json.read(Array(#"[{"name": "j", "description": "", "sequence": {"commands": [{"exec": "echo hi"}]}}]"#.utf8), "j.json")
        let xml = try JobFormat.xml.read(Array("<joblist><job><name>j</name><description/><sequence><command><exec>echo hi</exec></command></sequence></job></joblist>".utf8), "j.xml")
        #expect(yaml == json && json == xml)
        #expect(JobFormat.fileExtensions == [".json", ".xml", ".yaml", ".yml"])
    }
}
