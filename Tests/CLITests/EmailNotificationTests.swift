import Foundation
import Testing
import TestSupport

/// A trigger's `email` (Rundeck's mail notification), sent through libcurl's SMTP to a local
/// catcher (Tests/TestSupport/smtp-catcher.py): one message per recipient, Rundeck's subject,
/// the log attached, STARTTLS required, the password never shown; without a relay it is said,
/// never silent.
struct EmailNotificationTests {
    static let password = "mail-Pa55-secret-7781"

    /// A folder with the mail password in key storage and `job` as `j.yaml`.
    static func folder(_ job: String) async throws -> String {
        let directory = makeTemporaryDirectory()
        try job.write(toFile: directory + "/j.yaml", atomically: true, encoding: .utf8)
        let put = try await runBinary(["keys", "put", "keys/mail/password", "--password-stdin"], stdin: password, directory: directory)
        #expect(put.code == 0, "\(put.stderr)")
        return directory
    }

    static func relay(_ port: Int, scheme: String = "smtp", _ more: [String] = []) -> [String] {
        ["pdstep.mail.url=\(scheme)://127.0.0.1:\(port)", "pdstep.mail.from=pdstep@example.com", "pdstep.mail.password_path=keys/mail/password"]
            .flatMap { ["--property", $0] } + more.flatMap { ["--property", $0] }
    }

    static let failingJob = """
        - name: nightly
          group: db
          options:
          - {name: team, value: dba}
          - {name: token, secure: true, valueExposed: true, value: tok-SECRET-4471}
          notification:
            onstart:
              email: {recipients: 'starts@example.com', attachLog: true}
            onfailure:
              email:
                recipients: 'oncall@example.com, ${option.team}@example.com'
                attachLog: true
            onsuccess:
              email: {recipients: 'never@example.com'}
          sequence:
            commands:
            - exec: echo backing up with ${option.token}
            - exec: 'false'
        """

    @Test(.enabled(if: tlsServerAvailable)) func aFailureEmailsEachRecipientOverSTARTTLSWithTheLog() async throws {
        let certificate = try await selfSignedCertificate()
        let catcher = try await SMTPCatcher(tls: certificate, password: Self.password)
        let directory = try await Self.folder(Self.failingJob)
        let settings = Self.relay(catcher.port, ["pdstep.mail.ca_bundle=\(certificate.certificate)"])
        let checked = try await runBinary(["validate", "j.yaml"] + settings, directory: directory)
        #expect(checked.code == 0 && !checked.stderr.contains("email"), "\(checked.stdout)\(checked.stderr)")
        let ran = try await runBinary(["run", "j.yaml"] + settings, directory: directory)
        #expect(ran.code == 1, "\(ran.stdout)\(ran.stderr)")
        let messages = catcher.messages
        // onstart, then onfailure to each recipient; onsuccess never.
        #expect(messages.map(\.to) == [["<starts@example.com>"], ["<oncall@example.com>"], ["<dba@example.com>"]], "\(ran.stdout)\(ran.stderr)")
        #expect(messages.allSatisfy { $0.tls && $0.user == "pdstep@example.com" && $0.from == "<pdstep@example.com>" })
        guard messages.count == 3 else { return }
        // Rundeck's default subject: eventStatus [project] group/name argstring.
        #expect(messages[0].header("Subject")?.hasPrefix("STARTING [pdstep] db/nightly -team dba") == true, "\(messages[0].data)")
        #expect(messages[1].header("Subject")?.hasPrefix("FAILURE [pdstep] db/nightly -team dba") == true)
        // No log on onstart (as in Rundeck); the failure's log is attached as a file.
        #expect(messages[0].parts.count == 1)
        let parts = messages[1].parts
        #expect(parts.count == 2 && parts[0].contains("Failed step:  [2] exec: false") && parts[0].contains("Status:       failed"), "\(parts)")
        #expect(parts.last?.contains("        backing up with ****\r\n") == true, "\(parts)")
        #expect(messages[1].data.contains("filename=\"nightly-"))
        // No secret in any message or in the output, however it is encoded.
        for secret in ["tok-SECRET-4471", Self.password] {
            #expect(!messages.contains { $0.data.contains(secret) || $0.parts.contains { $0.contains(secret) } }, "\(secret)")
            #expect(!ran.stdout.contains(secret) && !ran.stderr.contains(secret))
        }
        #expect(ran.stdout.contains("notification onfailure: email sent to dba@example.com"))
        try await expectParsedByPython(messages[1].data)
    }

    /// Python's `email` package, the outside oracle, reads the message as pdstep meant it.
    func expectParsedByPython(_ message: String) async throws {
        let script = """
            import sys, email, email.policy
            m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
            parts = list(m.iter_parts()) if m.is_multipart() else [m]
            print(m["Subject"]); print(m["To"]); print(len(parts)); print(parts[-1].get_filename())
            print(parts[-1].get_content().count("backing up with ****"))
            """
        let (_, output) = try await runTool(["python3", "-c", script], stdin: message)
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count == 5 && lines[0].hasPrefix("FAILURE [pdstep] db/nightly") && lines[1] == "oncall@example.com", "\(lines)")
        #expect(lines.count == 5 && lines[2] == "2" && lines[3].hasPrefix("nightly-") && lines[3].hasSuffix(".log") && lines[4] == "1", "\(lines)")
    }

    /// With no relay set, validate and run both say the email will not be sent; the job runs
    /// and its exit code is its own.
    @Test func withoutARelayEmailIsSaidNotSent() async throws {
        let directory = try await Self.folder(Self.failingJob)
        let checked = try await runBinary(["validate", "j.yaml"], directory: directory)
        #expect(checked.code == 0 && checked.stderr.contains("will not be sent: the setting pdstep.mail.url names no SMTP relay"), "\(checked.stderr)")
        let ran = try await runBinary(["run", "j.yaml"], directory: directory)
        #expect(ran.code == 1)
        let text = ran.stdout + ran.stderr
        #expect(text.contains("will not be sent: the setting pdstep.mail.url names no SMTP relay"), "\(text)")
        #expect(text.contains("notifications: 0 sent, 0 queued in the outbox, 2 not sent"), "\(text)")
    }

    /// A relay set wrong, or an address that is none, stops the job before anything is sent
    /// (exit 2), naming the setting.
    @Test func aWrongMailSettingIsRefusedBeforeAnythingRuns() async throws {
        let catcher = try await SMTPCatcher()
        let directory = try await Self.folder(Self.failingJob)
        let cases: [([String], String)] = [
            (["--property", "pdstep.mail.url=http://127.0.0.1:\(catcher.port)"], "setting pdstep.mail.url: 'http://127.0.0.1:\(catcher.port)' is not an smtp://host:port"),
            (["--property", "pdstep.mail.url=smtp://127.0.0.1:\(catcher.port)"], "setting pdstep.mail.from is needed"),
            (Self.relay(catcher.port, ["pdstep.mail.tls=maybe"]), "pdstep.mail.tls is required or none, not 'maybe'"),
            (Self.relay(catcher.port, ["pdstep.mail.password_path=keys/mail/nothing"]), "setting pdstep.mail.password_path: no key at keys/mail/nothing"),
            (Self.relay(catcher.port, ["pdstep.mail.url=smtp://mail.example.com:25", "pdstep.mail.tls=none"]), "would send the relay password unencrypted to mail.example.com"),
        ]
        for (settings, message) in cases {
            for command in ["validate", "run"] {
                let outcome = try await runBinary([command, "j.yaml"] + settings, directory: directory)
                #expect(outcome.code == 2 && (outcome.stdout + outcome.stderr).contains(message), "\(command) \(settings): \(outcome.stdout)\(outcome.stderr)")
                #expect(!(outcome.stdout + outcome.stderr).contains("backing up"), "the job ran")
            }
        }
        try Self.failingJob.replacingOccurrences(of: "'starts@example.com'", with: "'starts at example.com'")
            .write(toFile: directory + "/j.yaml", atomically: true, encoding: .utf8)
        let badAddress = try await runBinary(["validate", "j.yaml"], directory: directory)
        #expect(badAddress.code == 2 && badAddress.stderr.contains("'starts at example.com' is not an email address"), "\(badAddress.stderr)")
        #expect(catcher.messages.isEmpty)
    }

    /// What the relay refuses (a recipient, the login, a plain connection when STARTTLS is
    /// required) is an error line; the other recipients still get theirs; the result stands.
    @Test func whatTheRelayRefusesIsReportedAndTheResultStands() async throws {
        let job = """
            - name: fine
              notification:
                onsuccess:
                  email: {recipients: 'ok@example.com, gone@example.com', subject: 'done ${option.msg}'}
              options: [{name: msg, value: ok}]
              sequence:
                commands:
                - exec: 'true'
            """
        let directory = try await Self.folder(job)
        // Plain SMTP on this machine, allowed with tls=none.
        let plain = try await SMTPCatcher(password: Self.password, rejecting: "gone@example.com")
        let ran = try await runBinary(["run", "j.yaml"] + Self.relay(plain.port, ["pdstep.mail.tls=none"]), directory: directory)
        #expect(ran.code == 0, "\(ran.stdout)\(ran.stderr)")
        #expect(plain.messages.map(\.to) == [["<ok@example.com>"]])
        #expect(ran.stdout.contains("email to gone@example.com not sent, the job's result stands"), "\(ran.stdout)")
        // A value cannot add a header: line breaks in the subject stay inside it.
        let injected = try await runBinary(
            ["run", "j.yaml", "-o", "msg=x\r\nBcc: spy@example.com"] + Self.relay(plain.port, ["pdstep.mail.tls=none"]), directory: directory)
        #expect(injected.code == 0)
        #expect(plain.messages.count == 2 && !plain.messages[1].data.contains("\r\nBcc:") && plain.messages[1].header("Subject") == "done x Bcc: spy@example.com")
        // The same relay with STARTTLS required (the default): nothing goes out in the clear.
        let required = try await runBinary(["run", "j.yaml"] + Self.relay(plain.port), directory: directory)
        #expect(required.code == 0 && required.stdout.contains("email to ok@example.com not sent"), "\(required.stdout)")
        #expect(plain.messages.count == 2)
        // A wrong password: refused, said, and never shown.
        let wrong = try await SMTPCatcher(password: "another-one")
        let refused = try await runBinary(["run", "j.yaml"] + Self.relay(wrong.port, ["pdstep.mail.tls=none"]), directory: directory)
        #expect(refused.code == 0 && refused.stdout.contains("not sent") && wrong.refusedLogins > 0 && wrong.messages.isEmpty, "\(refused.stdout)")
        #expect(!refused.stdout.contains(Self.password) && !refused.stderr.contains(Self.password))
    }

    /// The dry run says who would get what, and sends nothing.
    @Test func aDryRunSaysWhoWouldBeEmailed() async throws {
        let catcher = try await SMTPCatcher()
        let directory = try await Self.folder(Self.failingJob)
        let plan = try await runBinary(["run", "j.yaml", "--dry-run"] + Self.relay(catcher.port, ["pdstep.mail.tls=none"]), directory: directory)
        #expect(plan.code == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("notification onfailure: email: would send 'FAILURE [pdstep] db/nightly -team dba"), "\(plan.stdout)")
        #expect(plan.stdout.contains("to oncall@example.com, dba@example.com"))
        #expect(catcher.messages.isEmpty)
    }
}
