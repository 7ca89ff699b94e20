import Foundation
import Testing
import TestSupport

/// Project folders as they come out of Rundeck (an unzipped project archive: `rundeck-<project>/`
/// with `jobs/job-<uuid>.xml` and `files/etc/project.properties`): `run` and `validate` take
/// the folder, find jobs by group/name or uuid across its files, resolve references across
/// them, and read the archive's project.properties.
struct ProjectFolderTests {
    /// An archive as Rundeck writes it: two XML jobs, a YAML one, the project's settings, and
    /// the executions and reports that are XML too but no jobs.
    static func archive() throws -> String {
        let root = makeTemporaryDirectory()
        let project = root + "/rundeck-ops"
        for folder in ["jobs/backups", "files/etc", "executions", "reports"] {
            try FileManager.default.createDirectory(atPath: project + "/" + folder, withIntermediateDirectories: true)
        }
        try """
            <joblist>
              <job>
                <name>nightly</name>
                <group>backups</group>
                <description>Back up, then tell</description>
                <uuid>1b560606-909d-43c0-aaa6-77894f2fc952</uuid>
                <context><project>ops-old</project>
                  <options preserveOrder="true"><option name="target" value="db1"/></options>
                </context>
                <sequence keepgoing="false" strategy="node-first">
                  <command><exec>echo backing up ${option.target} in ${job.project} for ${globals.team}</exec></command>
                  <command><jobref name="notify" group="tools"><arg line="-what ${option.target}"/></jobref></command>
                </sequence>
              </job>
            </joblist>
            """.write(toFile: project + "/jobs/job-1b560606-909d-43c0-aaa6-77894f2fc952.xml", atomically: true, encoding: .utf8)
        try """
            <joblist><job>
              <name>notify</name><group>tools</group><description/>
              <context><options><option name="what"/></options></context>
              <sequence><command><exec>echo told about ${option.what}</exec></command></sequence>
            </job></joblist>
            """.write(toFile: project + "/jobs/job-2c560606-909d-43c0-aaa6-77894f2fc952.xml", atomically: true, encoding: .utf8)
        try "- name: weekly\n  group: backups\n  sequence:\n    commands:\n    - exec: echo weekly\n"
            .write(toFile: project + "/jobs/backups/weekly.yaml", atomically: true, encoding: .utf8)
        try "project.name=ops\nproject.globals.team=sre\n".write(toFile: project + "/files/etc/project.properties", atomically: true, encoding: .utf8)
        try "<executions><execution id='1'/></executions>".write(toFile: project + "/executions/execution-1.xml", atomically: true, encoding: .utf8)
        try "<report/>".write(toFile: project + "/reports/report-1.xml", atomically: true, encoding: .utf8)
        return root
    }

    @Test func aJobOfAnArchiveRunsWithItsReferencesAndSettings() async throws {
        let root = try Self.archive()
        let ran = try await runBinary(["run", "rundeck-ops", "--job", "backups/nightly"], directory: root)
        #expect(ran.code == 0, "\(ran.stdout)\(ran.stderr)")
        #expect(ran.stdout.contains("backing up db1 in ops for sre"), "\(ran.stdout)")
        #expect(ran.stdout.contains("told about db1"), "\(ran.stdout)")
        // The README's commands, as written.
        let readme = try await runBinary(["run", "rundeck-ops/", "--job", "backups/nightly", "-o", "target=db1"], directory: root)
        #expect(readme.code == 0 && readme.stdout.contains("told about db1"), "\(readme.stdout)\(readme.stderr)")
        #expect(try await runBinary(["validate", "rundeck-ops/"], directory: root).code == 0)
        // By uuid, and from the folder that holds the one rundeck-* folder (the unzipped archive).
        let byUUID = try await runBinary(["run", ".", "--job", "1b560606-909d-43c0-aaa6-77894f2fc952"], directory: root)
        #expect(byUUID.code == 0 && byUUID.stdout.contains("told about db1"), "\(byUUID.stdout)\(byUUID.stderr)")
        // --project-properties wins over the archive's own.
        try "project.name=elsewhere\nproject.globals.team=dba\n".write(toFile: root + "/other.properties", atomically: true, encoding: .utf8)
        let other = try await runBinary(["run", "rundeck-ops", "--job", "backups/nightly", "--project-properties", "other.properties"], directory: root)
        #expect(other.stdout.contains("backing up db1 in elsewhere for dba"), "\(other.stdout)\(other.stderr)")
    }

    @Test func validateReportsEveryJobOfTheFolder() async throws {
        let root = try Self.archive()
        let checked = try await runBinary(["validate", "rundeck-ops"], directory: root)
        #expect(checked.code == 0, "\(checked.stdout)\(checked.stderr)")
        for name in ["backups/nightly", "tools/notify", "backups/weekly"] { #expect(checked.stdout.contains("ok: job \(name)"), "\(checked.stdout)") }
        // Which job, when there are several: named with a hint.
        let unnamed = try await runBinary(["run", "rundeck-ops"], directory: root)
        #expect(unnamed.code == 2 && unnamed.stderr.contains("holds 3 jobs; choose one with --job"), "\(unnamed.stderr)")
        let typo = try await runBinary(["run", "rundeck-ops", "--job", "backups/nightli"], directory: root)
        #expect(typo.code == 2 && typo.stderr.contains("did you mean 'backups/nightly'?"), "\(typo.stderr)")
        // A job file of the project that does not read fails validate, naming it and where.
        try "<joblist><job><name>broken</name></jobb></joblist>".write(toFile: root + "/rundeck-ops/jobs/job-broken.xml", atomically: true, encoding: .utf8)
        let broken = try await runBinary(["validate", "rundeck-ops"], directory: root)
        #expect(broken.code == 2 && broken.stderr.contains("job-broken.xml:1:34: </jobb> closes <job>"), "\(broken.stderr)")
        // ... and is a warning for a run that does not use it.
        let still = try await runBinary(["run", "rundeck-ops", "--job", "backups/weekly"], directory: root)
        #expect(still.code == 0 && still.stderr.contains("warning: skipped: ") && still.stdout.contains("weekly"), "\(still.stdout)\(still.stderr)")
    }

    /// `convert` reads XML into Rundeck's YAML form (and JSON), by content as well as by name.
    @Test func convertTurnsXMLIntoYAML() async throws {
        let root = try Self.archive()
        let yaml = try await runBinary(["convert", "rundeck-ops/jobs/job-2c560606-909d-43c0-aaa6-77894f2fc952.xml", "--to", "yaml"], directory: root)
        #expect(yaml.code == 0, "\(yaml.stderr)")
        // Keys in alphabetical order, as Rundeck's YAML export writes them.
        #expect(yaml.stdout.hasPrefix("- description: \"\"\n  group: tools\n  name: notify\n  options:\n  - name: what\n  sequence:\n    commands:\n"), "\(yaml.stdout)")
        let text = try String(contentsOfFile: root + "/rundeck-ops/jobs/job-2c560606-909d-43c0-aaa6-77894f2fc952.xml", encoding: .utf8)
        let fromStdin = try await runBinary(["convert", "-"], stdin: text, directory: root)
        #expect(fromStdin.code == 0 && fromStdin.stdout.contains("\"name\": \"notify\""), "\(fromStdin.stdout)\(fromStdin.stderr)")
        // The YAML runs as the XML does.
        try yaml.stdout.write(toFile: root + "/notify.yaml", atomically: true, encoding: .utf8)
        let ran = try await runBinary(["run", "notify.yaml", "-o", "what=x"], directory: root)
        #expect(ran.code == 0 && ran.stdout.contains("told about x"), "\(ran.stdout)\(ran.stderr)")
    }
}
