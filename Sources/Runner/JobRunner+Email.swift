import FoundationEssentials
import Settings
import StepKit
import Values

/// Email notifications (a trigger's `email`), sent through the host's `OutboundMail` to the
/// relay the `pdstep.mail.*` settings name.
extension JobRunner {
    /// Why a job's email notifications cannot be sent, when that is so before anything runs:
    /// no relay set, or no way to send; nil when they can. (A relay set wrong is a problem the
    /// validator reports instead, and the job does not run.)
    func emailUnavailable(_ job: Job) -> String? {
        guard !job.notifications.emails.isEmpty else { return nil }
        if (settings.value(KnownSettings.mailURL.key) ?? "").trimmingSpaces().isEmpty {
            return "email notifications (\(job.notifications.emails.keys.map(\.rawValue).sorted().joined(separator: ", "))) will not be sent: the setting \(KnownSettings.mailURL.key) names no SMTP relay"
        }
        if services.get(OutboundMail.self) == nil { return "email notifications will not be sent: this host cannot send email" }
        return nil
    }

    /// Sends `email` to each of its recipients, one message each, as Rundeck does.
    func sendEmail(_ email: JobNotifications.Email, trigger: JobNotifications.Trigger, job: Job, state: RunState) async -> NotificationTally {
        var tally = NotificationTally()
        let data = state.data
        let recipients = data.expand(email.recipients, unresolved: .keep).split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        let subject = redactor.redact(data.expand(email.subject ?? JobNotifications.defaultSubject, unresolved: .keep))
        let label = "notification \(trigger.rawValue): email"
        if let bad = recipients.first(where: { !EmailMessage.isAddress($0) }) ?? (recipients.isEmpty ? "" : nil) {
            log.emit(.note(level: .error, message: "\(label) not sent: '\(bad)' (from recipients '\(email.recipients)') is not an email address"))
            tally.failed += 1
            return tally
        }
        if state.request.dryRun {
            log.emit(.note(level: .normal, message: "\(label): would send '\(subject)' to \(recipients.joined(separator: ", "))"))
            return tally
        }
        let relay: MailRelay
        do {
            guard let configured = try MailRelay.read(settings, keyStorage: keyStorage), let mail = services.get(OutboundMail.self) else {
                log.emit(.note(level: .error, message: "\(label) to \(recipients.joined(separator: ", ")) not sent: \(emailUnavailable(job) ?? "no relay")"))
                tally.failed += recipients.count
                return tally
            }
            relay = configured
            if let password = relay.password { redactor.register(password) }
            let attachLog = email.attachLog && trigger != .onstart
            let logText = attachLog ? live.capture.log : ""
            var body = emailBody(subject: subject, data: data)
            if attachLog && email.inline { body += "\nLog:\n" + logText }
            let jobName = data.groups["job"]?["name"] ?? job.name
            for (index, recipient) in recipients.enumerated() {
                let message = EmailMessage(
                    from: relay.from, to: recipient, subject: subject, body: redactor.redact(body),
                    attachment: attachLog && email.inFile ? (EmailMessage.fileName("\(jobName)-\(state.execution.id).log"), logText) : nil,
                    date: Date(), messageID: "\(state.execution.uuid).\(trigger.rawValue).\(index)@pdstep")
                switch await mail.send(relay, [recipient], message.bytes) {
                case .success:
                    log.emit(.note(level: .normal, message: "\(label) sent to \(recipient)"))
                    tally.sent += 1
                case .failure(let failure):
                    log.emit(.note(level: .error, message: "\(label) to \(recipient) not sent, the job's result stands: \(redactor.redact(failure.message))"))
                    tally.failed += 1
                }
            }
        } catch {
            log.emit(.note(level: .error, message: "\(label) not sent: \(error.description)"))
            tally.failed += recipients.count
        }
        return tally
    }

    /// The message's text: the subject, then what a reader needs to act on the run.
    func emailBody(subject: String, data: DataContext) -> String {
        let execution = data.groups["execution"] ?? [:]
        let jobGroup = data.groups["job"] ?? [:]
        var lines = [subject, ""]
        let name = [jobGroup["group"], jobGroup["name"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")
        let rows: [(String, String?)] = [
            ("Job", name), ("Project", execution["project"]), ("Status", execution["status"]), ("Execution", execution["id"]),
            ("Link", execution["href"]), ("User", execution["user"]), ("Started", execution["dateStarted"]), ("Ended", execution["dateEnded"]),
            ("Failed step", execution["failedStep"]), ("Failure", execution["failedMessage"]), ("Options", execution["argstring"]),
            ("Aborted by", execution["abortedby"]),
        ]
        for (title, value) in rows {
            if let value, !value.isEmpty { lines.append(title + ":" + String(repeating: " ", count: max(1, 13 - title.count)) + value) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
