import Foundation
import Testing
import TestSupport

@testable import Settings

func write(_ text: String, to path: String) {
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
}

@Suite struct SettingsTests {
    @Test func commandLineBeatsProjectBeatsFramework() throws {
        let dir = makeTemporaryDirectory()
        write("a=framework\nb=framework\nc=framework\n", to: dir + "/framework.properties")
        write("a=project\nb=project\n", to: dir + "/project.properties")
        let settings = try SettingsLoader.load(overrides: ["a=flag"], directory: dir)
        #expect(settings.value("a") == "flag")
        #expect(settings.value("b") == "project")
        #expect(settings.value("c") == "framework")
        #expect(settings.setting("b")?.origin.description == "project.properties:2")
        #expect(settings.setting("a")?.origin.description == "--property")
    }

    @Test func explicitFilesReplaceTheDefaultLocations() throws {
        let dir = makeTemporaryDirectory()
        write("x=default-location\n", to: dir + "/framework.properties")
        write("x=explicit\n", to: dir + "/other.properties")
        let settings = try SettingsLoader.load(frameworkFile: "other.properties", directory: dir)
        #expect(settings.value("x") == "explicit")
    }

    @Test func aMissingExplicitFileIsAnErrorNamingIt() {
        #expect(throws: SettingsError.self) {
            try SettingsLoader.load(frameworkFile: "nope.properties", directory: makeTemporaryDirectory())
        }
    }

    @Test func referencesExpandAcrossLayersAndUnknownOnesStay() throws {
        let settings = Settings(entries: [
            (SettingOrigin(layer: .framework, file: "f"), "base", "/opt/rd"),
            (SettingOrigin(layer: .framework, file: "f"), "var", "${base}/var"),
            (SettingOrigin(layer: .project, file: "p"), "logs", "${var}/logs and ${unknown.key}"),
            (SettingOrigin(layer: .framework, file: "f"), "loop", "${loop}x"),
        ])
        #expect(settings.value("logs") == "/opt/rd/var/logs and ${unknown.key}")
        #expect(settings.setting("logs")?.rawValue == "${var}/logs and ${unknown.key}")
        #expect(settings.value("loop") == "${loop}x")
    }

    @Test func badOverrideIsAnError() {
        #expect(throws: SettingsError.self) { try SettingsLoader.load(overrides: ["novalue"], directory: makeTemporaryDirectory()) }
    }

    @Test func secretLookingKeysAreRecognisedButPathsAreNot() {
        #expect(Settings.looksSecret("pagerduty.api_key"))
        #expect(Settings.looksSecret("project.plugin.WorkflowStep.x.routing_key"))
        #expect(Settings.looksSecret("db.password"))
        #expect(!Settings.looksSecret("pagerduty.api_key_path"))
        #expect(!Settings.looksSecret("pagerduty.region"))
    }
}
