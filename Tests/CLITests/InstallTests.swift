import Foundation
import Testing
import TestSupport

/// `scripts/install.sh` as the README gives it, into a temporary prefix (with the test's binary
/// rather than a fresh release build; `.ci/run` runs the whole script): the binary, a working
/// link per step, the manual page, shell completion, and the installed binary running the
/// example job against the sandbox.
struct InstallTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theScriptInstallsWhatItSays() async throws {
        let prefix = makeTemporaryDirectory() + "/prefix with space"
        let (status, output) = try await runTool(
            ["env", "PDSTEP_BINARY=\(pdstepBinary.path)", "bash", Self.root.appendingPathComponent("scripts/install.sh").path, prefix])
        let printed = String(decoding: output, as: UTF8.self)
        #expect(status == 0, "\(printed)")
        let installed = ["bin/pdstep", "share/man/man1/pdstep.1", "share/bash-completion/completions/pdstep", "share/zsh/site-functions/_pdstep"]
        for file in installed {
            #expect(FileManager.default.fileExists(atPath: prefix + "/" + file), "\(file)")
            #expect(printed.contains(prefix + "/" + file), "not said: \(file)\n\(printed)")
        }
        // One link per step, each running its step.
        let links = try FileManager.default.contentsOfDirectory(atPath: prefix + "/bin").filter { $0.hasPrefix("pd-") }
        #expect(links.count == StepCatalogCount.steps && printed.contains("\(links.count) step links"), "\(links)")
        let (linkStatus, help) = try await runTool([prefix + "/bin/pd-send-event", "--help"])
        #expect(linkStatus == 0 && String(decoding: help, as: UTF8.self).hasPrefix("usage: pdstep send-event"))
        // The manual page names every command and step, and groff reads it without a warning.
        let man = try String(contentsOfFile: prefix + "/share/man/man1/pdstep.1", encoding: .utf8)
        #expect(man.hasPrefix(".TH PDSTEP 1") && man.contains(".SS pdstep serve") && man.contains(".SS send\\-event (pagerduty\\-send\\-event)"))
        if (try? await runTool(["groff", "-v"]))?.status == 0 {
            let (groffStatus, warnings) = try await runTool(["bash", "-c", "groff -man -Tutf8 -ww -z \"$0\" 2>&1", prefix + "/share/man/man1/pdstep.1"])
            #expect(groffStatus == 0 && warnings.isEmpty, "\(String(decoding: warnings, as: UTF8.self))")
        }
        // Completion loads in bash.
        let (bashStatus, complete) = try await runTool(["bash", "-c", "source \"$0\" && complete -p pdstep", prefix + "/share/bash-completion/completions/pdstep"])
        #expect(bashStatus == 0 && String(decoding: complete, as: UTF8.self).contains("pdstep"))
        // The installed binary runs the README's example on the sandbox.
        let (runStatus, ran) = try await runTool([prefix + "/bin/pdstep", "run", Self.root.appendingPathComponent("examples/jobs/page-and-resolve.yaml").path, "--sandbox"],
            directory: URL(fileURLWithPath: makeTemporaryDirectory()))
        #expect(runStatus == 0, "\(String(decoding: ran, as: UTF8.self))")
    }
}

/// How many steps the built-in catalog has (each gets a link).
enum StepCatalogCount {
    static var steps: Int {
        let (status, output) = (try? runBinarySync(["list", "--json"], directory: NSTemporaryDirectory())).map { ($0.code, $0.stdout) } ?? (1, "")
        guard status == 0, let data = output.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else { return -1 }
        return list.count
    }
}
