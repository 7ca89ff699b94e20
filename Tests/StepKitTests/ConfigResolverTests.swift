import Settings
import Testing
import Values

@testable import StepKit

let descriptor = StepDescriptor(
    name: "demo-step", aliases: ["demo-alias"], title: "Demo", summary: "A step for tests.",
    properties: [
        StepProperty("incident_id", title: "Incident", description: "id", required: true, aliases: ["pd-id"]),
        StepProperty("api_key_path", title: "Key path", description: "path", kind: .storagePath,
                     settingsKeys: ["project.pagerduty.api_key_path", "pagerduty.api_key_path"]),
        StepProperty("severity", title: "Severity", description: "s", kind: .select(["critical", "error", "warning", "info"]), default: "error"),
        StepProperty("level", title: "Level", description: "l", kind: .integer),
        StepProperty("flag", title: "Flag", description: "f", kind: .boolean),
        StepProperty("details", title: "Details", description: "d", kind: .json),
        StepProperty("routing_key", title: "Routing key", description: "r", secret: true),
    ])

func settings(_ layers: [(SettingOrigin.Layer, String, String)]) -> Settings {
    Settings(entries: layers.map { (SettingOrigin(layer: $0.0, file: $0.0 == .commandLine ? nil : "\($0.0).properties"), $0.1, $0.2) })
}

func resolve(job: [String: String] = [:], invocation: [String: String] = [:], settings: Settings = Settings()) throws -> StepConfig {
    try ConfigResolver.resolve(descriptor, sources: ConfigSources(job: job, invocation: invocation, settings: settings))
}

@Suite struct ConfigResolverTests {
    let all = settings([
        (.project, "project.plugin.WorkflowStep.demo-step.level", "3"),
        (.framework, "framework.plugin.WorkflowStep.demo-step.level", "4"),
        (.project, "project.pagerduty.api_key_path", "keys/project"),
        (.framework, "pagerduty.api_key_path", "keys/framework"),
    ])

    @Test func jobConfigurationWinsOverEverything() throws {
        let config = try resolve(job: ["incident_id": "J", "level": "1"], invocation: ["incident_id": "I", "level": "2"], settings: all)
        #expect(config.string("incident_id") == "J")
        #expect(config.string("level") == "1")
        #expect(config.origins["incident_id"] == "job configuration 'incident_id'")
    }

    @Test func invocationWinsOverSettings() throws {
        let config = try resolve(invocation: ["incident_id": "I", "level": "2"], settings: all)
        #expect(config.string("incident_id") == "I")
        #expect(config.string("level") == "2")
    }

    @Test func projectPluginKeyWinsOverFrameworkPluginKey() throws {
        #expect(try resolve(job: ["incident_id": "x"], settings: all).string("level") == "3")
        let frameworkOnly = settings([(.framework, "framework.plugin.WorkflowStep.demo-step.level", "4")])
        #expect(try resolve(job: ["incident_id": "x"], settings: frameworkOnly).string("level") == "4")
    }

    @Test func pluginKeysUnderAnAliasStepNameCount() throws {
        let aliasKey = settings([(.project, "project.plugin.WorkflowStep.demo-alias.level", "7")])
        #expect(try resolve(job: ["incident_id": "x"], settings: aliasKey).string("level") == "7")
    }

    @Test func wellKnownSettingsInOrderThenDefault() throws {
        #expect(try resolve(job: ["incident_id": "x"], settings: all).string("api_key_path") == "keys/project")
        let frameworkOnly = settings([(.framework, "pagerduty.api_key_path", "keys/framework")])
        #expect(try resolve(job: ["incident_id": "x"], settings: frameworkOnly).string("api_key_path") == "keys/framework")
        // With nothing set, the setting's own default: Rundeck's documented path.
        let fallback = try resolve(job: ["incident_id": "x"])
        #expect(fallback.string("api_key_path") == "keys/pd/api" && fallback.origins["api_key_path"] == "the default of pagerduty.api_key_path")
        #expect(try resolve(job: ["incident_id": "x"]).string("severity") == "error")
    }

    @Test func aliasesOfAPropertyAreAccepted() throws {
        #expect(try resolve(job: ["pd-id": "P1"]).string("incident_id") == "P1")
    }

    /// In a job's configuration too, a property's own name wins over an alias of it, and an
    /// alias spelled like another property's name never captures that property's value.
    @Test func ownNamesWinOverAliasesInJobConfiguration() throws {
        #expect(try resolve(job: ["pd-id": "P1", "incident_id": "P2"]).string("incident_id") == "P2")
        let colliding = StepDescriptor(
            name: "c", title: "C", summary: "s",
            properties: [
                StepProperty("email", title: "Email", description: "the new user's email"),
                StepProperty("from_email", title: "From", description: "who acts", aliases: ["email"]),
            ])
        let config = try ConfigResolver.resolve(colliding, sources: ConfigSources(job: ["email": "new@example.com"]))
        #expect(config.string("email") == "new@example.com" && config.string("from_email") == nil)
    }

    @Test func emptyValuesFallThrough() throws {
        let config = try resolve(job: ["incident_id": "x", "severity": ""], invocation: [:])
        #expect(config.string("severity") == "error")
    }

    @Test func missingRequiredPropertyIsNamed() {
        #expect { try resolve() } throws: { error in
            guard let error = error as? StepError else { return false }
            return error.kind == .invalidInput && error.property == "incident_id"
                && error.message.contains("demo-step: property 'incident_id' is required")
        }
    }

    @Test func everyBadValueIsReportedTogether() {
        #expect {
            try resolve(job: ["incident_id": "x", "severity": "loud", "level": "two", "flag": "maybe", "details": "{bad"])
        } throws: { error in
            guard let error = error as? StepError else { return false }
            let text = error.description
            return error.exitCode == .invalidInput && error.details.count == 4
                && text.contains("'severity' must be one of critical, error, warning, info, got 'loud'")
                && text.contains("'level' must be a whole number") && text.contains("'flag' must be true or false")
                && text.contains("'details' is not valid JSON")
        }
    }

    @Test func selectValuesAreNormalisedAndBooleansCanonical() throws {
        let config = try resolve(job: ["incident_id": "x", "severity": "CRITICAL", "flag": "yes"])
        #expect(config.string("severity") == "critical")
        #expect(try config.bool("flag") == true)
    }

    @Test func storagePathsAreNormalisedAndChecked() throws {
        #expect(try resolve(job: ["incident_id": "x", "api_key_path": "/keys//pd/api/"]).string("api_key_path") == "keys/pd/api")
        #expect(throws: StepError.self) { try resolve(job: ["incident_id": "x", "api_key_path": "../etc/passwd"]) }
    }

    @Test func secretValuesAreRegisteredForRedaction() throws {
        let redactor = SecretRedactor()
        _ = try ConfigResolver.resolve(
            descriptor, sources: ConfigSources(job: ["incident_id": "x", "routing_key": "R0UT1NG"]), redactor: redactor)
        #expect(redactor.redact("key R0UT1NG") == "key ****")
    }

    /// A key that is no property would be dropped silently, changing what is sent: an error
    /// with the property it likely means, reported with the step's other problems.
    @Test func unknownJobKeysAreErrors() throws {
        #expect { try resolve(job: ["incident_id": "x", "levle": "2"]) } throws: {
            ($0 as? StepError)?.message == "demo-step: configuration key 'levle' is not a property of this step; did you mean 'level'? (pdstep describe demo-step lists them; --allow-unknown-config ignores such keys)"
        }
        #expect { try resolve(job: ["levle": "2", "colour": "red"]) } throws: {
            ($0 as? StepError)?.message == "demo-step: 3 configuration problems" && ($0 as? StepError)?.details.count == 3
        }
        // --allow-unknown-config makes it a warning.
        let allowed = try ConfigResolver.resolve(descriptor, sources: ConfigSources(job: ["incident_id": "x", "colour": "red"], allowUnknownKeys: true))
        #expect(allowed.warnings == ["demo-step: configuration key 'colour' is not a property of this step and is ignored (--allow-unknown-config)"])
    }

    @Test func typedAccessorsNameTheStepAndProperty() throws {
        let config = StepConfig(step: "demo-step", values: ["level": "x"])
        #expect { try config.int("level") } throws: { ($0 as? StepError)?.message == "demo-step: property 'level' must be a whole number, got 'x'" }
        #expect { try config.requiredString("incident_id") } throws: { ($0 as? StepError)?.property == "incident_id" }
        // A list given but holding nothing counts as missing.
        let lists = StepConfig(step: "demo-step", values: ["incident_ids": " , ", "user_ids": "[]", "team_ids": "PT1, PT2"])
        for name in ["incident_ids", "user_ids"] {
            #expect { try lists.requiredList(name) } throws: { ($0 as? StepError)?.message == "demo-step: property '\(name)' is required but has no value" }
        }
        #expect(try lists.requiredList("team_ids") == ["PT1", "PT2"])
    }
}

@Suite struct StepErrorTests {
    @Test(arguments: [
        (StepError.Kind.invalidInput, ExitCode.invalidInput), (.notFound, .failed), (.unauthorized, .failed),
        (.forbidden, .failed), (.remote, .failed), (.failed, .failed), (.rateLimited, .temporary),
        (.temporary, .temporary), (.timedOut, .timedOut),
    ])
    func kindsMapToExitCodes(kind: StepError.Kind, code: ExitCode) {
        #expect(StepError(kind, "x").exitCode == code)
    }

    @Test func descriptionShowsStatusCodeAndEveryDetail() {
        let error = StepError(.remote, "PagerDuty refused the note", details: ["Content cannot be empty", "Other"], httpStatus: 400, remoteCode: 2001)
        #expect(error.description == "PagerDuty refused the note (HTTP 400, PagerDuty code 2001)\n  - Content cannot be empty\n  - Other")
    }

    @Test func exitCodesAreTheDocumentedNumbers() {
        #expect(ExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3, 124])
    }
}

@Suite struct CatalogTests {
    @Test func nearestNameSuggestsTypos() {
        #expect(nearest(to: "lst", in: ["list", "describe", "keys"]) == "list")
        #expect(nearest(to: "send-evnt", in: ["send-event", "get-incident"]) == "send-event")
        #expect(nearest(to: "zzzzzzzz", in: ["list", "keys"]) == nil)
        #expect(editDistance("kitten", "sitting") == 3)
    }

    @Test func contextLogRedactsSecrets() {
        let sink = MemoryLogSink()
        let redactor = SecretRedactor()
        redactor.register("hunter2")
        let context = StepContext(keyStorage: KeyStorage(base: "/nonexistent"), redactor: redactor, log: sink)
        context.log(.normal, "token is hunter2")
        #expect(sink.lines.map(\.message) == ["token is ****"])
    }

    @Test func environmentNamesFollowRundeck() {
        #expect(DataContext.environmentName("job_user.name") == "RD_JOB_USER_NAME")
        #expect(DataContext.environmentName("option_my-opt") == "RD_OPTION_MY_OPT")
        #expect(DataContext.environmentName("option_Web 2/ok?") == "RD_OPTION_WEB_2_OK_")
        // Java's toUpperCase first (ß is SS), then anything outside [A-Z0-9_] is '_', one per
        // code point (DataContextUtils.generateEnvVarName).
        #expect(DataContext.environmentName("option_straße") == "RD_OPTION_STRASSE")
        #expect(DataContext.environmentName("option_caf\u{E9}") == "RD_OPTION_CAF_")
        #expect(DataContext.environmentName("option_cafe\u{301}") == "RD_OPTION_CAFE_")
        #expect(DataContext.environmentName("option_\u{1F600}x") == "RD_OPTION__X")
        var data = DataContext()
        data.set("option", "host", "web1")
        data.set("data", "k", "v")
        #expect(data.environment() == ["RD_OPTION_HOST": "web1"])
    }
}
