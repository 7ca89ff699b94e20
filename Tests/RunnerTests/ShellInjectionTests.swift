import Foundation
import Settings
import StepKit
import Testing
import TestSupport

@testable import Runner

/// A substituted value never runs as code, wherever it lands in a command or a shell script.
@Suite struct ShellInjectionTests {
    /// A value that creates the marker file if any part of it runs: command separators,
    /// substitutions, quotes of both kinds, a here-document delimiter and a comment.
    static func hostile(_ marker: String) -> String {
        "a; touch \(marker) $(touch \(marker)) `touch \(marker)` '; touch \(marker); ' \"; touch \(marker); \"\nEOF\ntouch \(marker)\n# x"
    }

    /// Where a value can land in an exec line, and what the line prints. Rundeck bursts the
    /// line into words (quotes removed) and quotes each word that held a reference
    /// (CommandNodeStepPlugin.groovy 42-68), so a reference inside `$(...)` or after `#` is
    /// text, and lines whose own quotes mattered may break (nil: the line fails or prints
    /// something else in Rundeck too; only the value staying data is checked).
    static let contexts: [(name: String, line: String, prints: String?)] = [
        ("bare word", "echo ${option.x}", "{}"),
        ("double quotes", "echo \"${option.x}\"", "{}"),
        ("single quotes", "echo '${option.x}'", "{}"),
        ("command substitution", "echo \"$(echo ${option.x})\"", "$(echo {})"),
        ("backquotes", "echo \"`echo ${option.x}`\"", "`echo {}`"),
        ("bare backquotes", "echo `echo \"${option.x}\"`", nil),
        ("nested substitution", "echo \"$(echo \"$(echo '${option.x}')\")\"", nil),
        ("after an apostrophe in a comment", "# don't\necho ${option.x}", ""),
        ("after an apostrophe in a here-document", "cat <<EOF\nit's\nEOF\necho ${option.x}", nil),
        ("inside a here-document", "cat <<EOF\n${option.x}\nEOF", nil),
        ("inside a here-document with quotes", "cat <<EOF\nit's '${option.x}'\nEOF", nil),
        ("inside a tab-stripped here-document", "cat <<-EOF\n\t${option.x}\n\tEOF", nil),
        ("in a comment", "echo ok # ${option.x}", "ok"),
        ("in a pipeline", "echo ${option.x} | cat", "{}"),
        ("in a function", "f() { echo ${option.x}; }; f", nil),
        ("in a for loop", "for v in ${option.x}; do printf %s \"$v\"; done; echo", nil),
        ("in a case pattern", "case x in ${option.x}) echo m;; *) echo n;; esac", nil),
        ("in a test", "[ ${option.x} = y ] || echo no", "no"),
        ("as an assignment", "v=${option.x}; echo \"$v\"", nil),
        ("in a subshell", "(echo ${option.x})", nil),
        ("in a parameter default", "echo \"${UNSET_VAR:-x}\" ${option.x}", nil),
        ("the README's example", "echo \"restarting $(echo web) for ${option.x}\"", "restarting $(echo web) for {}"),
    ]

    @Test(arguments: contexts.indices)
    func aValueNeverRunsAsCodeInAnExecLine(_ index: Int) async throws {
        let context = Self.contexts[index]
        let h = Harness()
        let marker = h.directory + "/MARKER"
        let value = Self.hostile(marker)
        let outcome = try await h.run(
            """
            - name: j
              options: [{name: x}]
              sequence:
                commands:
                - exec: \(yamlQuoted(context.line))
            """, options: ["x": value])
        #expect(!FileManager.default.fileExists(atPath: marker), "\(context.name): the value ran as code")
        if let prints = context.prints {
            #expect(outcome.state == .succeeded, "\(context.name): \(h.recorder.lines)")
            let expected = prints.replacingOccurrences(of: "{}", with: value)
            #expect(h.recorder.lines.joined(separator: "\n") == expected, "\(context.name)")
        }
    }

    /// Rundeck's word rule on its own: quotes are removed and the words joined again, a word
    /// with a reference is quoted only when its text needs it, a word that expands to nothing
    /// is dropped.
    @Test func execLinesFollowRundecksWordRule() async throws {
        let h = Harness()
        let outcome = try await h.run(
            """
            - name: j
              options: [{name: n, value: '41'}, {name: s, value: 'a  b'}, {name: missing}]
              sequence:
                commands:
                - exec: echo 'a  b' "c;"echo d
                - exec: echo $(( ${option.n} + 1 )) [${option.s}] ${option.missing} end
                - exec: echo x${unquotedoption.n}y
            """)
        #expect(outcome.state == .succeeded, "\(h.recorder.lines)")
        #expect(h.recorder.lines == ["a b c", "d", "42 [a  b] end", "x41y"])
    }

    /// Two places cannot carry a reference: there an inert value goes in as text, and anything
    /// else fails the step before the command starts.
    @Test func quotedHereDocumentsAndArithmeticTakeOnlyInertValues() async throws {
        let h = Harness()
        let marker = h.directory + "/MARKER"
        let job = """
            - name: j
              options: [{name: x}, {name: n}]
              sequence:
                keepgoing: true
                commands:
                - script: "cat <<'EOF'\\nhost @option.x@\\nEOF"
                - script: echo $(( @option.n@ + 1 ))
            """
        let fine = try await h.run(job, options: ["x": "web-1.example.com:8080", "n": "41"])
        #expect(fine.state == .succeeded)
        #expect(h.recorder.lines == ["host web-1.example.com:8080", "42"])

        let h2 = Harness()
        let refused = try await h2.run(job, options: ["x": "x\nEOF\ntouch \(marker)", "n": "a[$(touch \(marker))]"])
        #expect(refused.state == .failed && refused.exitCode == .failed)
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(h2.recorder.text.contains("@option.x@ on line 2 is inside a quoted here-document"))
        #expect(h2.recorder.text.contains("@option.n@ on line 1 is inside $((...)) but its value is not an integer"))
    }

    /// Script bodies run by a shell get `@option.x@` the same way; `args` too.
    @Test func shellScriptTokensAndArgsNeverRunAsCode() async throws {
        let h = Harness()
        let marker = h.directory + "/MARKER"
        let value = Self.hostile(marker)
        let outcome = try await h.run(
            """
            - name: j
              options: [{name: x}]
              sequence:
                commands:
                - script: |
                    # it's a script
                    echo "@option.x@"
                    cat <<EOF
                    @option.x@
                    EOF
                    printf '%s\\n' "$1"
                  args: ${option.x}
                - script: |
                    #!/bin/bash
                    echo '@option.x@'
                  args: "'${option.x}'"
            """, options: ["x": value])
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(outcome.state == .succeeded, "\(h.recorder.lines)")
        #expect(h.recorder.lines.joined(separator: "\n") == [value, value, value, value].joined(separator: "\n"))
    }

    /// A script goes to a fresh folder of mode 0700 (mkdtemp), and the folder is gone when the
    /// step ends: after success, after a failure and after the job's timeout.
    @Test func scriptFoldersArePrivateAndRemovedHoweverTheStepEnds() async throws {
        let h = Harness()
        let temporary = h.directory + "/tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        let outcome = try await h.run(
            """
            - name: j
              sequence:
                keepgoing: true
                commands:
                - script: |
                    stat -c 'mode %a' "$(dirname "$0")"
                - script: exit 3
            """, environment: ["TMPDIR": temporary])
        #expect(outcome.state == .failed)
        #expect(h.recorder.lines.contains("mode 700"), "\(h.recorder.lines)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
        let timedOut = try await Harness().run(
            """
            - name: j
              timeout: 1
              sequence:
                commands:
                - script: sleep 30
            """, environment: ["TMPDIR": temporary])
        #expect(timedOut.state == .timedout)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
    }

    /// With interpreterArgsQuoted the interpreter's own shell parses the arguments, and may not
    /// see pdstep's environment (`sudo` resets it): values arrive as quoted text, still never code.
    @Test func quotedInterpreterArgumentsCarryValuesAsQuotedText() async throws {
        let h = Harness()
        let marker = h.directory + "/MARKER"
        let value = Self.hostile(marker)
        let outcome = try await h.run(
            """
            - name: j
              options: [{name: x}]
              sequence:
                commands:
                - script: |
                    printf '%s\\n' "$1"
                    printf '%s\\n' "$2"
                  scriptInterpreter: env -i /bin/sh -c
                  interpreterArgsQuoted: true
                  args: ${option.x} "in quotes ${option.x}"
            """, options: ["x": value])
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(outcome.state == .succeeded, "\(h.recorder.lines)")
        #expect(h.recorder.lines.joined(separator: "\n") == value + "\nin quotes " + value, "\(h.recorder.lines)")
    }

    /// `${unquotedoption.x}` is the one way to insert text as is, as documented.
    @Test func unquotedOptionInsertsTextAsIs() async throws {
        let h = Harness()
        _ = try await h.run(
            """
            - name: j
              options: [{name: flags}]
              sequence:
                commands:
                - exec: printf %s, ${unquotedoption.flags} ; echo
            """, options: ["flags": "-a -b"])
        #expect(h.recorder.lines == ["-a,-b,"])
    }

    /// The property behind the table: random values built from shell syntax, in random shell
    /// contexts, run by /bin/sh (and bash, when present), never create the marker.
    /// `PDSTEP_SHELL_PROPERTY_RUNS` raises the number of runs (bench/fuzz.sh does).
    @Test func randomValuesInRandomContextsNeverRunAsCode() async throws {
        let runs = Int(ProcessInfo.processInfo.environment["PDSTEP_SHELL_PROPERTY_RUNS"] ?? "") ?? 150
        let seed = UInt64(ProcessInfo.processInfo.environment["PDSTEP_SHELL_PROPERTY_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(seed: seed)
        let directory = makeTemporaryDirectory()
        let marker = directory + "/MARKER"
        let shells = ["/bin/sh"] + (onPath("bash") ? ["bash"] : [])
        let templates = Self.contexts.map(\.line) + [
            "cat <<'EOF'\n${option.x}\nEOF", "echo $(( ${option.x} ))", "echo \"${option.x}\" '${option.x}' ${option.x}",
            "eval_free=1; echo \"$(printf '%s' \"`echo ${option.x}`\")\"", "x='${option.x}' ; y=\"${option.x}\"",
        ]
        let fragments = [
            ";", "|", "&", "&&", "$(", ")", "`", "'", "\"", "\\", "\n", " ", "#", "{", "}", "$((", "a[", "]", "<<", "EOF",
            "touch \(marker)", "$", "(", "*", "\t", "~", "!", ">", "<", "=", "x",
        ]
        for run in 0..<runs {
            let template = templates[Int(random.next() % UInt64(templates.count))]
            let value = (0..<Int(1 + random.next() % 12)).map { _ in fragments[Int(random.next() % UInt64(fragments.count))] }.joined()
            // As an exec line (Rundeck's word rule), out of band as in script args, and inline
            // for a one-line template (the arguments of an interpreterArgsQuoted script, parsed
            // by a shell that gets no values by environment).
            for mode in template.contains("\n") ? ["exec", "args"] : ["exec", "args", "inline"] {
                let inline = mode == "inline"
                var substitution = ShellSubstitution()
                let resolve: VariableExpander.Resolver = { $0.group == "option" ? value : nil }
                guard let script = mode == "exec"
                    ? substitution.expandExecLine(template, resolve: resolve)
                    : try? substitution.expandCommand(template, inline: inline, resolve: resolve)
                else { continue }
                for shell in shells {
                    let environment = substitution.variables.merging(["PATH": "/usr/bin:/bin"]) { $1 }
                    try await offload {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                        process.arguments = [shell, "-c", script]
                        process.environment = environment
                        process.standardOutput = FileHandle.nullDevice
                        process.standardError = FileHandle.nullDevice
                        process.standardInput = FileHandle.nullDevice
                        try process.run()
                        process.waitUntilExit()
                    }
                    let ran = FileManager.default.fileExists(atPath: marker)
                    #expect(!ran, "run \(run) (PDSTEP_SHELL_PROPERTY_SEED=\(seed)), \(shell), \(mode): value \(String(reflecting: value)) in \(String(reflecting: template)) ran as code: \(String(reflecting: script))")
                    if ran { return }
                }
            }
        }
    }

    private func yamlQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") + "\""
    }
}

/// A small seedable generator, so that a failing property run can be repeated.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
