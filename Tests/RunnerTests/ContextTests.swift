import Foundation
import Settings
import StepKit
import Testing
import Values
import YAML

@testable import Runner

@Suite(.serialized) struct ContextTests {
    @Test func execStepsGetTheRDEnvironmentButNotData() async throws {
        let h = Harness()
        _ = try await h.run("""
            - name: env job
              group: g
              options: [{name: host, value: web1}]
              sequence:
                commands:
                - exec: echo RUNDECK:DATA:k=v
                  plugins: {LogFilter: [{type: key-value-data}]}
                - exec: echo $RD_OPTION_HOST,$RD_JOB_NAME,$RD_JOB_GROUP,${RD_DATA_K:-none}
            """)
        #expect(h.recorder.lines.contains("web1,env job,g,none"))
    }

    @Test func keyValueCaptureFeedsLaterStepsThroughData() async throws {
        let h = Harness()
        _ = try await h.run("""
            - name: j
              sequence:
                commands:
                - script: |
                    echo "RUNDECK:DATA:incident=P123"
                    echo "RUNDECK:DATA: spaced = value with spaces  "
                    echo "RUNDECK:DATA:bad key=x"
                  plugins: {LogFilter: [{type: key-value-data}]}
                - type: test-probe
                  configuration: {message: '${data.incident}/${data.spaced}/${1:data.incident}'}
                - exec: echo "${data.echo}"
            """)
        #expect(h.recorder.lines.contains("probe says P123/value with spaces  /P123 token="))
        #expect(h.recorder.lines.contains("P123/value with spaces  /P123"))
    }

    @Test func stderrIsNeverCaptured() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                pluginConfig:
                  LogFilter: [{type: key-value-data}]
                commands:
                - exec: echo RUNDECK:DATA:a=1 >&2; echo RUNDECK:DATA:b=2
            """)
        #expect(outcome.data.groups["data"] == ["b": "2"])
    }

    @Test func unresolvedReferencesFollowRundecksRules() async throws {
        let h = Harness()
        _ = try await h.run("""
            - name: j
              options: [{name: nope}]
              sequence:
                pluginConfig:
                  LogFilter: [{type: key-value-data}]
                commands:
                - exec: 'true'
                - exec: echo '[${option.nope}] [${data.nope}]'
                - exec: echo ${data.nope} "${node.nope}" x${job.nope}y
                - type: test-probe
                  configuration: {message: 'a${option.nope}b${data.nope}c${HOME}d'}
            """)
        #expect(h.recorder.lines.contains("[] [${data.nope}]"), "\(h.recorder.text)")
        // Unresolved references other than options print as written, in any quoting, rather
        // than reaching the shell as syntax (ExecArgList.java 208-260, buildExpandNodeRefMissing).
        #expect(h.recorder.lines.contains("${data.nope} ${node.nope} x${job.nope}y"), "\(h.recorder.lines)")
        #expect(h.recorder.lines.contains("probe says abcd token="))
    }

    @Test func substitutedValuesAreShellQuotedUnlessUnquoted() async throws {
        let h = Harness()
        _ = try await h.run("""
            - name: j
              options: [{name: evil, value: 'x; echo INJECTED'}]
              sequence:
                commands:
                - exec: echo ${option.evil}
                - exec: echo ${unquotedoption.evil}
            """)
        #expect(h.recorder.lines.contains("x; echo INJECTED"))
        #expect(h.recorder.lines.contains("INJECTED"))
    }

    @Test func inlineScriptTokensAndArgs() async throws {
        let h = Harness()
        _ = try await h.run("""
            - name: j
              options: [{name: who, value: world}]
              sequence:
                commands:
                - script: |
                    echo "hello @option.who@ user@@example.com $1 $2"
                  args: -v ${option.who}
            """)
        #expect(h.recorder.lines.contains("hello world user@example.com -v world"))
    }

    /// A `#!` line is honoured, its one argument included (here `-e`, so the script stops at the
    /// first failing command), and `env` finds the interpreter on the PATH.
    @Test func scriptsRunWithTheirInterpreterLine() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                keepgoing: true
                commands:
                - script: |
                    #!/usr/bin/env sh
                    echo "via env: $0" | sed 's|/.*/||'
                - script: |
                    #!/bin/sh -e
                    echo before
                    false
                    echo "not reached"
            """)
        #expect(h.recorder.lines.contains { $0.hasPrefix("via env: step-1-") })
        #expect(h.recorder.lines.contains("before") && !h.recorder.lines.contains("not reached"))
        #expect(outcome.state == .failed)
        #expect(JobRunner.shebang("#!/usr/bin/env  python3 -u \r\nprint(1)") == ["/usr/bin/env", "python3 -u"])
        #expect(JobRunner.shebang("#!\n") == nil && JobRunner.shebang("echo hi") == nil)
    }

    @Test func secureOptionsAreMaskedEverywhere() async throws {
        let h = Harness()
        _ = try await h.run("""
            - name: j
              options:
              - {name: password, secure: true, valueExposed: true}
              - {name: hidden, secure: true, value: n0texposed}
              sequence:
                commands:
                - exec: echo "pw=${option.password} hidden=${option.hidden}"
                - type: test-probe
                  configuration: {message: 'm', token: 'tok-123456'}
            """, options: ["password": "s3cr3t-pw"])
        let text = h.recorder.text
        #expect(text.contains("pw=**** hidden="))
        #expect(!text.contains("s3cr3t-pw") && !text.contains("n0texposed") && !text.contains("tok-123456"))
    }

    /// An option's pattern that backtracks on the value given cannot hold the run up: the
    /// value is refused once its time (5 s) is spent.
    @Test func aPatternThatBacktracksOnTheValueIsRefusedInTime() throws {
        let job = try JobDecoder.decode(try YAMLParser.parse("""
            - name: j
              options:
              - {name: code, regex: '(.+?)\\s*=.*'}
              sequence:
                commands:
                - exec: 'true'
            """), file: "test.yaml")[0]
        let h = Harness()
        var resolver = OptionResolver(options: job.options, keyStorage: KeyStorage(base: h.directory + "/storage"), redactor: h.redactor)
        #expect(throws: Never.self) { try resolver.resolve(["code": "a = b"], globals: [:], job: [:]) }
        resolver.checkSeconds = 0.1
        do {
            _ = try resolver.resolve(["code": FilterWorkerTests.slowLine], globals: [:], job: [:])
            Issue.record("the value was taken")
        } catch {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains("could not be checked against the pattern (.+?)\\s*=.* within 0.1 s"), "\(error.message)")
            // The 5,000-character value is cut in the message, which stays one read.
            #expect(error.message.contains("'x     ") && error.message.contains("…'") && error.message.count < 400, "\(error.message.count) characters")
        }
    }

    @Test func optionRulesAreCheckedBeforeAnythingRuns() async throws {
        let job = """
            - name: j
              options:
              - {name: env, required: true}
              - {name: size, regex: '[0-9]+'}
              - {name: tier, enforced: true, values: [gold, silver], regex: 'never-checked'}
              - {name: hosts, multivalued: true, delimiter: ',', enforced: true, values: [a, b, c]}
              sequence:
                commands:
                - exec: echo RAN
            """
        let h = Harness()
        let bad = try await h.run(job, options: ["size": "12x", "tier": "bronze", "hosts": "a,d"])
        #expect(bad.exitCode == .invalidInput)
        #expect(!h.recorder.lines.contains("RAN"))
        let message = h.recorder.notes.joined(separator: "\n")
        #expect(message.contains("option 'env' is required"))
        #expect(message.contains("'12x' does not match the pattern [0-9]+"))
        #expect(message.contains("'bronze' is not one of the allowed values"))
        #expect(message.contains("'d' is not one of the allowed values"))
        let good = try await Harness().run(job, options: ["env": "prod", "size": "12", "tier": "gold", "hosts": "a,c"])
        #expect(good.state == .succeeded)
        let unknown = try await Harness().run(job, options: ["env": "x", "sise": "1"])
        #expect(unknown.exitCode == .invalidInput)
    }

    /// An option's regex matches the whole value as Groovy's `==~` does, alternation included;
    /// a multi-valued value drops its empty pieces; `${option.x.delimiter}` is there even when
    /// the option is not given (ExecutionService.groovy 3260-3281).
    @Test func optionRegexMatchesWholeAndEmptyPiecesAreDropped() async throws {
        let job = """
            - name: j
              options:
              - {name: n, regex: '\\d+|\\d+\\.\\d+'}
              - {name: hosts, multivalued: true, delimiter: ',', regex: '[a-c]'}
              - {name: tags, multivalued: true, delimiter: ';'}
              sequence:
                commands:
                - exec: echo "RAN [${option.tags.delimiter}]"
            """
        for (n, hosts) in [("1.5", "a,,b"), ("15", "a,b,"), ("2", ",c")] {
            let h = Harness()
            let outcome = try await h.run(job, options: ["n": n, "hosts": hosts])
            #expect(outcome.state == .succeeded, "\(n) \(hosts): \(h.recorder.notes)")
            #expect(h.recorder.lines.contains("RAN [;]"))
        }
        for (n, hosts) in [("1.", "a"), ("1.5x", "a"), ("1", "a,d"), ("1", "ab")] {
            let outcome = try await Harness().run(job, options: ["n": n, "hosts": hosts])
            #expect(outcome.exitCode == .invalidInput, "\(n) \(hosts)")
        }
    }

    /// An enforced option whose values come from `valuesUrl` (6 of Rundeck's own test jobs):
    /// accepted by `validate` (which says it did not fetch), fetched when the job runs and
    /// checked against, and a list that cannot be fetched fails the run naming the URL
    /// (ExecutionService.groovy 3203-3214).
    @Test func enforcedOptionsTakeTheirValuesFromValuesUrl() async throws {
        let h = Harness()
        try #"[{"name": "Gold", "value": "gold"}, {"name": "Silver", "value": "silver"}]"#.write(toFile: h.directory + "/tiers.json", atomically: true, encoding: .utf8)
        func job(_ url: String) -> String {
            """
            - name: j
              options: [{name: tier, enforced: true, valuesUrl: '\(url)'}]
              sequence:
                commands:
                - exec: echo "tier ${option.tier}"
            """
        }
        let good = job("file://" + h.directory + "/tiers.json")
        let jobs = try JobDecoder.decode(try YAMLParser.parse(good), file: "t.yaml")
        #expect(h.runner(jobs).validate(jobs[0]).isEmpty)
        #expect(h.runner(jobs).warnings(jobs[0]).contains { $0.contains("validate did not fetch them") })
        #expect(try await h.run(good, options: ["tier": "silver"]).state == .succeeded)
        #expect(h.recorder.lines.contains("tier silver"))
        let refused = Harness()
        #expect(try await refused.run(good, options: ["tier": "bronze"]).exitCode == .invalidInput)
        #expect(refused.recorder.notes.joined().contains("'bronze' is not one of the allowed values: gold, silver"))
        let missing = Harness()
        #expect(try await missing.run(job("file:///nonexistent/list.json"), options: ["tier": "gold"]).exitCode == .invalidInput)
        #expect(missing.recorder.notes.joined().contains("could not be fetched from file:///nonexistent/list.json"))
        // `${globals.x}` and `${option.NAME.value}` are expanded in the URL first (Rundeck's
        // JobOptionValuesUrlGlobalsSpec).
        var withGlobals = Harness()
        withGlobals.settings = Settings(entries: [(SettingOrigin(layer: .framework, file: "f"), "framework.globals.dir", h.directory)])
        try "[\"a\"]".write(toFile: h.directory + "/list-gold.json", atomically: true, encoding: .utf8)
        let chained = """
            - name: j
              options:
              - {name: tier}
              - {name: sub, enforced: true, valuesUrl: 'file://${globals.dir}/list-${option.tier.value}.json'}
              sequence:
                commands:
                - exec: echo "sub ${option.sub}"
            """
        #expect(try await withGlobals.run(chained, options: ["tier": "gold", "sub": "a"]).state == .succeeded, "\(withGlobals.recorder.notes)")
        let ftp = try JobDecoder.decode(try YAMLParser.parse(job("ftp://u:pw@host/x")), file: "t.yaml")
        let problems = h.runner(ftp).validate(ftp[0])
        #expect(problems.count == 1 && problems[0].contains("ftp://****@host/x") && !problems[0].contains("pw"))
        #expect(RemoteOptionValues.parse(try JSONParser.parse(#"{"A": "a", "B": "b"}"#)) == ["a", "b"])
        #expect(RemoteOptionValues.parse(try JSONParser.parse(#"["x", 2]"#)) == ["x", "2"])
        #expect(RemoteOptionValues.parse(try JSONParser.parse(#"[["nested"]]"#)) == nil)
    }

    @Test func defaultsApplyOnlyWhenAnOptionIsNotGiven() async throws {
        let h = Harness()
        _ = try await h.run("""
            - name: j
              options: [{name: a, value: dflt}, {name: b, value: dflt}]
              sequence:
                commands:
                - exec: echo "[${option.a}] [${option.b}]"
            """, options: ["b": ""])
        #expect(h.recorder.lines.contains("[dflt] []"))
    }

    @Test func secureOptionDefaultsComeFromKeyStorage() async throws {
        let h = Harness()
        try KeyStorage(base: h.directory + "/storage").putPassword("keys/app/pw", secret: Array("from-storage-1".utf8))
        let outcome = try await h.run("""
            - name: j
              options: [{name: pw, secure: true, valueExposed: true, storagePath: keys/app/pw}]
              sequence:
                commands:
                - exec: test "${option.pw}" = from-storage-1 && echo matched
            """)
        #expect(outcome.state == .succeeded)
        #expect(h.recorder.lines.contains("matched"))
        #expect(!h.recorder.text.contains("from-storage-1"))
    }

    @Test func globalsComeFromSettingsWithProjectWinning() async throws {
        var h = Harness()
        h.settings = Settings(entries: [
            (SettingOrigin(layer: .framework, file: "f"), "framework.globals.region", "us"),
            (SettingOrigin(layer: .framework, file: "f"), "framework.globals.team", "sre"),
            (SettingOrigin(layer: .project, file: "p"), "project.globals.region", "eu"),
        ])
        _ = try await h.run("""
            - name: j
              sequence:
                commands:
                - exec: echo "${globals.region} ${globals.team}"
            """)
        #expect(h.recorder.lines.contains("eu sre"))
    }

    /// The `${job.*}` set Rundeck builds (ExecutionService.groovy 1135-1175): the server URL from
    /// `framework.server.url`, the execution's URL on it, the user (`--user`, else the OS user),
    /// `user.email` only when given; a retry is a new execution that knows the first and previous.
    @Test func jobVariablesAreRundecks() async throws {
        var h = Harness()
        h.settings = Settings(entries: [
            (SettingOrigin(layer: .framework, file: "f"), "framework.server.url", "https://rundeck.example.com/"),
            (SettingOrigin(layer: .project, file: "p"), "project.name", "ops"),
        ])
        let outcome = try await h.run("""
            - name: j
              loglevel: DEBUG
              retry: 1
              sequence:
                commands:
                - exec: echo "${job.serverUrl}|${job.url}|${job.username}|${job.user.name}|${job.user.email}|${job.project}|${job.loglevel}|${job.threadcount}|${job.wasRetry}|${job.retryInitialExecId}|${job.retryPrevExecId}|${job.execid}"
                - exec: test ${job.retryAttempt} = 1
            """, user: "alice", userEmail: "alice@example.com")
        #expect(outcome.state == .succeeded)
        let lines = h.recorder.lines.filter { $0.hasPrefix("https://") }.map { $0.split(separator: "|").map(String.init) }
        #expect(lines.count == 2)
        guard lines.count == 2, lines.allSatisfy({ $0.count == 12 }) else { return }
        let (first, retry) = (lines[0], lines[1])
        #expect(first[0] == "https://rundeck.example.com/" && first[1] == "https://rundeck.example.com/project/ops/execution/show/\(first[11])")
        #expect(Array(first[2...7]) == ["alice", "alice", "alice@example.com", "ops", "DEBUG", "1"])
        #expect(Array(first[8...10]) == ["false", "0", "0"])
        #expect(retry[8] == "true" && retry[9] == first[11] && retry[10] == first[11] && retry[11] != first[11])
        let anonymous = Harness()
        _ = try await anonymous.run("""
            - name: j
              sequence:
                commands:
                - exec: echo "[${job.serverUrl}][${job.url}][${job.username}]"
            """, environment: ["USER": "os-user"])
        #expect(anonymous.recorder.lines.contains("[][][os-user]"))
    }

    /// Rundeck bursts a reference's `args` first and expands each word after
    /// (ExecutionUtilService.groovy 418-421, QuotedStringTokenizer): a value with spaces stays
    /// one value, `-n -5` passes `-5`, backslashes stay, `'it''s'` is `it's`.
    @Test func referenceArgumentsAreSplitThenExpanded() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: parent
              options: [{name: m, value: hello world}]
              sequence:
                commands:
                - jobref: {name: child, args: "-msg ${option.m} -n -5 -path C:\\\\temp\\\\x -q 'it''s' -e ''"}
            - name: child
              options: [{name: msg}, {name: n}, {name: path}, {name: q}, {name: e}]
              sequence:
                commands:
                - exec: printf %s "[${option.msg}][${option.n}][${option.path}][${option.q}][${option.e}]" ; echo
            """, job: "parent")
        #expect(outcome.state == .succeeded, "\(h.recorder.notes)")
        #expect(h.recorder.lines.contains(#"[hello world][-5][C:\temp\x][it's][]"#), "\(h.recorder.lines)")
        #expect(ArgumentLine.burst(#"a "b c"d 'e''f' g'h "#) == ["a", "b cd", "e'f", "g'h"])
    }

    /// An argument the referenced job does not declare reaches it as `${option.x}`
    /// (ExecutionService.groovy 4035-4047), and `validate` says so; `importOptions: true` passes
    /// the caller's options of the same name (3997-3999), the `args` winning.
    @Test func referenceArgumentsPassUndeclaredAndImportOptions() async throws {
        let yaml = """
            - name: parent
              options: [{name: env, value: prod}, {name: region, value: eu}, {name: other, value: x}]
              sequence:
                commands:
                - jobref: {name: child, args: '-extra bonus -region us', importOptions: true}
            - name: child
              options: [{name: env}, {name: region}]
              sequence:
                commands:
                - exec: echo "[${option.env}][${option.region}][${option.extra}][${option.other}]"
            """
        let h = Harness()
        let outcome = try await h.run(yaml, job: "parent")
        #expect(outcome.state == .succeeded, "\(h.recorder.notes)")
        #expect(h.recorder.lines.contains("[prod][us][bonus][]"), "\(h.recorder.lines)")
        let jobs = try JobDecoder.decode(try YAMLParser.parse(yaml), file: "t.yaml")
        let warnings = h.runner(jobs).warnings(jobs[0])
        #expect(warnings.count == 1 && warnings[0].contains("declares no option 'extra'"), "\(warnings)")
        // From the command line an undeclared option is still refused (it catches typos).
        #expect(try await Harness().run(yaml, job: "child", options: ["extra": "1"]).exitCode == .invalidInput)
    }

    @Test func jobReferencesRunWithArgumentsAndExportPassesUp() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: parent
              sequence:
                commands:
                - jobref: {name: child, group: lib, args: '-who ${job.name} -n 2'}
                - exec: echo "parent got ${export.answer}"
            - name: child
              group: lib
              options: [{name: who, required: true}, {name: n}]
              sequence:
                commands:
                - exec: echo "child for ${option.who} n=${option.n}"
                - type: export-var
                  configuration: {export: answer, value: '42'}
            """, job: "parent")
        #expect(outcome.state == .succeeded)
        #expect(h.recorder.lines.contains("child for parent n=2"))
        #expect(h.recorder.lines.contains("parent got 42"))
        #expect(h.recorder.steps.map(\.0) == ["1/1", "1/2", "1", "2"])
    }

    @Test func dryRunSendsAndRunsNothing() async throws {
        let h = Harness()
        let marker = h.directory + "/touched"
        ProbeStep.calls.withLock { $0.removeAll() }
        let outcome = try await h.run("""
            - name: j
              options: [{name: host, value: web1}]
              sequence:
                commands:
                - exec: touch \(marker)
                  plugins: {LogFilter: [{type: key-value-data}]}
                - type: test-probe
                  configuration: {message: '${option.host} ${data.later}'}
            """, dryRun: true)
        #expect(outcome.state == .succeeded)
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(ProbeStep.calls.withLock { $0 }.isEmpty)
        #expect(h.recorder.text.contains("would probe web1 ${data.later}"))
        #expect(h.recorder.text.contains("would run: touch"))
    }
}

@Suite struct ValidationTests {
    func problems(_ yaml: String, ignoreNodeFilter: Bool = false) throws -> [String] {
        let jobs = try JobDecoder.decode(try YAMLParser.parse(yaml), file: "v.yaml")
        return Harness().runner(jobs).validate(jobs[0], ignoreNodeFilter: ignoreNodeFilter)
    }

    @Test func unknownStepTypesAreNamedWithASuggestion() throws {
        let found = try problems("- name: j\n  sequence:\n    commands:\n    - type: test-prob\n")
        #expect(found == ["job j, step 1: unknown step type 'test-prob'; did you mean 'test-probe'? (pdstep list shows the steps)"])
    }

    @Test func missingRequiredPropertiesAreNamed() throws {
        let found = try problems("- name: j\n  sequence:\n    commands:\n    - type: test-probe\n      configuration: {fail: 'no'}\n")
        #expect(found.count == 1 && found[0].contains("property 'message' is required"))
        #expect(try problems("- name: j\n  options: [{name: x}]\n  sequence:\n    commands:\n    - type: probe-alias\n      configuration: {message: '${option.x}'}\n").isEmpty)
    }

    @Test func referencesNodeFiltersAndScriptURLs() throws {
        #expect(try problems("- name: j\n  sequence:\n    commands:\n    - jobref: {name: nope}\n")[0].contains("referenced job nope is not in this file"))
        let remote = "- name: j\n  nodefilters: {filter: 'tags: web'}\n  sequence:\n    commands:\n    - exec: 'true'\n"
        #expect(try problems(remote)[0].contains("--ignore-node-filter"))
        #expect(try problems(remote, ignoreNodeFilter: true).isEmpty)
        #expect(try problems("- name: j\n  nodefilters: {filter: 'name: localhost'}\n  sequence:\n    commands:\n    - exec: 'true'\n").isEmpty)
        #expect(try problems("- name: j\n  sequence:\n    commands:\n    - scripturl: http://x/y.sh\n")[0].contains("scripturl steps are not supported"))
    }

    @Test func logFiltersAreCheckedAndDisplayOnlyOnesAccepted() throws {
        #expect(try problems("- name: j\n  sequence:\n    commands:\n    - exec: 'true'\n      plugins: {LogFilter: [{type: progress-badges}, {type: highlight-output}, {type: mask-passwords}]}\n").isEmpty)
        #expect(try problems("- name: j\n  sequence:\n    commands:\n    - exec: 'true'\n      plugins: {LogFilter: [{type: nope-filter}]}\n")[0].contains("log filter type 'nope-filter' is not supported"))
    }

    @Test func badJobStructureIsAClearError() {
        #expect(throws: JobDefinitionError.self) { try JobDecoder.decode(["name": "x"], file: "f") }
        #expect { try JobDecoder.decode([["name": "x"]], file: "f.yaml") } throws: {
            ($0 as? JobDefinitionError)?.description == "f.yaml: job 'x': 'sequence' with 'commands' is required"
        }
        #expect { try JobDecoder.decode([["name": "x", "sequence": ["commands": [["nothing": 1]]]]], file: "f.yaml") } throws: {
            ($0 as? JobDefinitionError)?.description.contains("job 'x', step 1: 'nothing' is not a step field") == true
        }
        #expect { try JobDecoder.decode([["name": "x", "sequence": ["commands": [["description": "d"]]]]], file: "f.yaml") } throws: {
            ($0 as? JobDefinitionError)?.description.contains("job 'x', step 1: a step needs one of exec, script") == true
        }
        // A misspelled step or job field is named, with the field it likely means.
        #expect { try JobDecoder.decode([["name": "x", "sequence": ["commands": [["type": "t", "configuraton": ["a": "b"]]]]]], file: "f.yaml") } throws: {
            ($0 as? JobDefinitionError)?.description == "f.yaml: job 'x', step 1: 'configuraton' is not a step field; did you mean 'configuration'?"
        }
        #expect { try JobDecoder.decode([["name": "x", "optons": [], "sequence": ["commands": [["exec": "e"]]]]], file: "f.yaml") } throws: {
            ($0 as? JobDefinitionError)?.description == "f.yaml: job 'x': 'optons' is not a job field; did you mean 'options'?"
        }
    }

    @Test func decodesRundeckVariants() throws {
        let jobs = try JobDecoder.decode(try YAMLParser.parse("""
            - name: j
              uuid: u-1
              loglevel: DEBUG
              retry: '3'
              retryDelay: 5s
              defaultTab: nodes
              executionEnabled: true
              options:
                env: {value: prod, required: 'true'}
              sequence:
                keepgoing: 'true'
                strategy: sequential
                commands:
                - exec: 'true'
                  errorhandler: {exec: 'true', keepgoingOnSuccess: 'true'}
            """), file: "f")
        let job = jobs[0]
        #expect(job.logLevel == .debug && job.uuid == "u-1")
        #expect(job.retry == RetryPolicy(count: "3", delay: "5s"))
        #expect(job.options.first?.name == "env" && job.options.first?.required == true && job.options.first?.defaultValue == "prod")
        #expect(job.workflow.keepgoing && job.workflow.strategy == "sequential")
        #expect(job.workflow.steps[0].keepgoingOnSuccess)
        #expect(job.ignoredFields == ["defaultTab", "executionEnabled"])
    }

    /// Sizes.parseTimeDuration (Sizes.groovy 63-81): a number counts only with a unit letter or
    /// the end right after it.
    @Test func durationsFollowRundeck() {
        #expect(RundeckDuration.seconds("120") == 120)
        #expect(RundeckDuration.seconds("6h 30m") == 23_400)
        #expect(RundeckDuration.seconds("1h1m1s") == 3661)
        #expect(RundeckDuration.seconds("2d") == 172_800)
        #expect(RundeckDuration.seconds("10x 5s") == 5)
        #expect(RundeckDuration.seconds("5min") == 300)
        #expect(RundeckDuration.seconds("2 h") == 0 && RundeckDuration.seconds("2H") == 0)
        #expect(RundeckDuration.seconds("1.5h") == 18_000)
        #expect(RundeckDuration.seconds("soon") == 0)
        #expect(RundeckDuration.surprise("1h30m") == nil && RundeckDuration.surprise("90") == nil && RundeckDuration.surprise("5min") == nil)
        #expect(RundeckDuration.surprise("2 h")?.contains("as 0 s: '2 ' counts for nothing") == true)
        #expect(RundeckDuration.surprise("soon")?.contains("holds no number") == true)
    }

    /// `timeout: '1 s'` is no timeout in Rundeck (the space): the job runs to its end, and both
    /// `validate` and the run say why.
    @Test func aTimeoutRundeckReadsAsZeroIsNoTimeoutAndIsWarnedAbout() async throws {
        let yaml = """
            - name: j
              timeout: '1 s'
              sequence:
                commands:
                - exec: sleep 1.3; echo finished
            """
        let h = Harness()
        let outcome = try await h.run(yaml)
        #expect(outcome.state == .succeeded && h.recorder.lines.contains("finished"))
        #expect(h.recorder.notes.contains { $0.contains("timeout Rundeck reads '1 s' as 0 s") })
        let jobs = try JobDecoder.decode(try YAMLParser.parse(yaml), file: "t.yaml")
        #expect(h.runner(jobs).warnings(jobs[0]).count == 1)
    }
}
