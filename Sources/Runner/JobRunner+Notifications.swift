import FoundationEssentials
import Settings
import StepKit
import Values

/// Firing a job's notifications (see `JobNotifications`).
extension JobRunner {
    /// The dedup key a PagerDuty trigger from a notification gets when it names none, so that
    /// repeated failures update one alert and an `onsuccess` resolve closes it.
    func defaultDedupKey(_ job: Job) -> String {
        "pdstep:" + (settings.value("project.name") ?? "pdstep") + "/" + job.fullName
    }

    /// The step type and configuration a notification plugin runs as: `PagerDutyNotification`
    /// becomes `pagerduty-send-event` (`subject` → summary with the plugin's default,
    /// `service_key` → integration key, else Rundeck's plugin settings); a send-event without a
    /// dedup key gets the job's default one.
    func notificationStep(_ plugin: JobNotifications.Plugin, job: Job) -> (type: String, configuration: [String: String]) {
        var type = plugin.type
        var configuration = plugin.configuration
        if type == JobNotifications.pagerDutyNotification {
            type = "pagerduty-send-event"
            configuration = ["summary": plugin.configuration["subject"] ?? JobNotifications.pagerDutySubject]
            if let key = plugin.configuration["service_key"] ?? JobNotifications.serviceKeySettings.lazy.compactMap(settings.value).first {
                configuration["integration_key"] = key
            }
        }
        if let step = catalog.step(type: type), step.descriptor.name == "pagerduty-send-event" {
            let named = ["dedup_key", "dedupe_key", "incident_key", "dedup_from"].contains { !(configuration[$0] ?? "").isEmpty }
            if !named { configuration["dedup_key"] = defaultDedupKey(job) }
        }
        return (type, configuration)
    }

    /// The job was stopped by a signal: fires its `onfailure` notifications with status
    /// `aborted` (Rundeck fires onfailure for an aborted execution). The caller bounds the wait.
    public func notifyStopped(_ job: Job, by signalName: String) async {
        guard let state = live.state.withLock({ $0 }), !state.request.dryRun else { return }
        let result = AttemptResult(state: .failed, status: nil, exitCode: .failed, stepsRun: 0, failedSteps: [], data: state.data)
        await notify(.onfailure, job: job, status: "aborted", result: result, state: state, abortedBy: signalName)
    }

    /// Where the average durations are kept: `pdstep.state.dir`, else `state/` under the
    /// key-storage folder.
    var durationHistory: DurationHistory {
        let configured = (settings.value(KnownSettings.stateDir.key) ?? "").trimmingSpaces()
        return DurationHistory(folder: configured.isEmpty ? keyStorage.base.path + "/state" : configured)
    }

    /// Starts the `onavgduration` watch of one execution: once it has run past the threshold
    /// (capped at a year), the notification fires, once; nil when there is nothing to watch.
    func watchAverageDuration(_ job: Job, state: RunState) -> Task<Void, Never>? {
        let trigger = JobNotifications.Trigger.onavgduration
        guard !state.request.dryRun, job.notifications.watchesAverageDuration else { return nil }
        let text = job.notifications.averageDurationThreshold.map { state.data.expand($0, unresolved: .keep) }
        let threshold = min(DurationHistory.threshold(text, average: durationHistory.average(job)), RundeckDuration.maximumSeconds * 1000)
        guard threshold > 0 else { return nil }
        return Task {
            guard (try? await Task.sleep(nanoseconds: UInt64(threshold * 1_000_000))) != nil else { return }
            await notify(trigger, job: job, status: "running", result: nil, state: state)
        }
    }

    /// Fires the notifications of how an attempt ended (in a dry run: shows them), and closes
    /// with a count when one was not delivered. A signal's stop fires its own (`notifyStopped`).
    func notifyEnd(_ job: Job, outcome: AttemptResult, retrying: Bool, state: RunState) async {
        if state.request.dryRun {
            await planNotifications(job: job, result: outcome, state: state)
            return
        }
        guard ProcessTermination.stoppingSignal == nil else { return }
        let (trigger, status) = Self.notification(for: outcome.state, retrying: retrying)
        let tally = await notify(trigger, job: job, status: status, result: outcome, state: state)
        if let summary = tally.summary { log.emit(.note(level: tally.failed > 0 ? .error : .warn, message: summary)) }
    }

    /// The trigger an ended execution fires, and the `${job.status}` it carries (Rundeck:
    /// onfailure for failed, timed out or aborted; onretryablefailure when a retry follows).
    static func notification(for state: JobState, retrying: Bool) -> (JobNotifications.Trigger, String) {
        switch state {
        case .succeeded: return (.onsuccess, "succeeded")
        case .timedout: return (.onfailure, "timedout")
        case .failed, .other: return retrying ? (.onretryablefailure, "failed-with-retry") : (.onfailure, "failed")
        }
    }

    /// In a dry run: what each trigger would send, with its configuration resolved (secrets
    /// masked), for success and for failure alike; nothing is sent.
    func planNotifications(job: Job, result: AttemptResult, state: RunState) async {
        for trigger in job.notifications.triggers {
            log.emit(.note(level: .normal, message: "notification \(trigger.rawValue) would send:"))
            let status = trigger == .onsuccess ? "succeeded" : [.onstart, .onavgduration].contains(trigger) ? "running" : "failed"
            await notify(trigger, job: job, status: status, result: result, state: state)
        }
    }

    /// Fires `trigger`'s notifications with the execution's variables. A failure is logged (and
    /// counted in the run's notes), never turned into the job's result.
    @discardableResult
    func notify(
        _ trigger: JobNotifications.Trigger, job: Job, status: String, result: AttemptResult?, state: RunState, abortedBy: String = ""
    ) async -> NotificationTally {
        var tally = NotificationTally()
        guard job.notifications.triggers.contains(trigger) else { return tally }
        var state = state
        if let result { state.data = result.data }
        addNotificationContext(to: &state.data, trigger: trigger, status: status, result: result, execution: state.execution, abortedBy: abortedBy)
        for plugin in job.notifications.plugins[trigger] ?? [] {
            let (type, configuration) = notificationStep(plugin, job: job)
            do {
                let outcome = try await runPlugin(type, configuration: configuration, number: "notification", state: state)
                log.emit(.note(level: .normal, message: "notification \(trigger.rawValue): \(type) \(outcome.summary.isEmpty ? "done" : outcome.summary)"))
                tally.sent += 1
            } catch where error.kind == .queued {
                log.emit(.note(level: .warn, message: "notification \(trigger.rawValue): \(type) queued, not delivered yet: \(error.description)"))
                tally.queued += 1
            } catch {
                log.emit(.note(level: .error, message: "notification \(trigger.rawValue): \(type) not sent, the job's result stands: \(error.description)"))
                tally.failed += 1
            }
        }
        if let webhook = job.notifications.webhooks[trigger] {
            let jobGroup = state.data.groups["job"] ?? [:]
            let payload = WebhookPayload(
                trigger: WebhookPayload.triggerName(trigger), status: status, executionID: state.execution.id, href: jobGroup["url"] ?? "",
                project: jobGroup["project"] ?? "", user: jobGroup["username"] ?? "", started: state.execution.started,
                ended: trigger == .onstart ? nil : Date(), job: job, argstring: state.data.groups["execution"]?["argstring"] ?? "")
            for written in webhook.urls {
                let sent = await sendWebhook(
                    state.data.expand(written, unresolved: .keep), webhook: webhook, payload: payload, trigger: trigger, dryRun: state.request.dryRun)
                if sent { tally.sent += 1 } else { tally.failed += 1 }
            }
        }
        if let email = job.notifications.emails[trigger] {
            tally.add(await sendEmail(email, trigger: trigger, job: job, state: state))
        }
        return tally
    }

    /// The variables a notification sees besides the run's: `${job.status}`, `${job.user}`,
    /// `${job.href}`, `${execution.*}` (also `${exec.*}`, Rundeck's email spelling) and
    /// `${notification.trigger}` / `${notification.eventStatus}`.
    func addNotificationContext(
        to data: inout DataContext, trigger: JobNotifications.Trigger, status: String, result: AttemptResult?, execution: Execution, abortedBy: String
    ) {
        var jobGroup = data.groups["job"] ?? [:]
        jobGroup["status"] = status
        jobGroup["user"] = jobGroup["username"]
        jobGroup["href"] = jobGroup["url"]
        data.groups["job"] = jobGroup
        let argstring = (data.groups["option"] ?? [:]).sorted { $0.key < $1.key }.map { "-\($0.key) \($0.value)" }.joined(separator: " ")
        let executionGroup = [
            "id": execution.id, "status": status, "user": jobGroup["username"] ?? "", "abortedby": abortedBy,
            "project": jobGroup["project"] ?? "", "href": jobGroup["url"] ?? "", "argstring": argstring,
            "failedStep": result?.failedSteps.first ?? "", "failedMessage": result?.failureMessage ?? "",
            "dateStarted": execution.started.formatted(.iso8601), "dateEnded": result == nil ? "" : Date().formatted(.iso8601),
        ]
        data.groups["execution"] = executionGroup
        data.groups["exec"] = executionGroup
        data.groups["notification"] = ["trigger": WebhookPayload.triggerName(trigger), "eventStatus": Self.eventStatus(trigger, status: status)]
    }

    /// Rundeck's `${notification.eventStatus}`: the word its email subjects start with.
    static func eventStatus(_ trigger: JobNotifications.Trigger, status: String) -> String {
        if trigger == .onavgduration { return "AVERAGE DURATION EXCEEDED" }
        switch status {
        case "succeeded": return "SUCCESS"
        case "aborted": return "KILLED"
        case "running": return "STARTING"
        case "timedout": return "TIMEDOUT"
        case "failed-with-retry": return "FAILED WITH RETRY"
        default: return "FAILURE"
        }
    }

    /// Sends one webhook (Rundeck's `postDataUrl`: the Rundeck headers, XML or JSON body) with
    /// up to 3 attempts, 1 s then 2 s apart, on no answer, 429 or 5xx; says how it went.
    func sendWebhook(_ url: String, webhook: JobNotifications.Webhook, payload: WebhookPayload, trigger: JobNotifications.Trigger, dryRun: Bool) async -> Bool {
        let shown = OutboundHTTP.shown(url)
        if dryRun {
            log.emit(.note(level: .normal, message: "notification \(trigger.rawValue): would \(webhook.get ? "GET" : "POST") \(shown)"))
            return true
        }
        guard let http = services.get(OutboundHTTP.self) else {
            log.emit(.note(level: .error, message: "notification \(trigger.rawValue): webhook \(shown) not sent: nothing here can send http(s)"))
            return false
        }
        var headers = [
            "X-RunDeck-Notification-Trigger": payload.trigger, "X-RunDeck-Notification-Execution-ID": payload.executionID,
            "X-RunDeck-Notification-Execution-Status": payload.status,
        ]
        var body: [UInt8]?
        if !webhook.get {
            headers["Content-Type"] = webhook.json ? "application/json" : "text/xml"
            body = Array((webhook.json ? payload.json : payload.xml).utf8)
        }
        var problem = ""
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(nanoseconds: UInt64(attempt) * 1_000_000_000) }
            var retryable = true
            switch await http.send(webhook.get ? "GET" : "POST", url, headers, body) {
            case .success(let answer) where (200...300).contains(answer.status):
                log.emit(.note(level: .normal, message: "notification \(trigger.rawValue): webhook \(shown) answered \(answer.status)"))
                return true
            case .success(let answer):
                problem = "HTTP \(answer.status)"
                retryable = answer.status == 429 || answer.status >= 500
            case .failure(let failure):
                problem = failure.message
            }
            if !retryable { break }
        }
        log.emit(.note(level: .error, message: "notification \(trigger.rawValue): webhook \(shown) not delivered (\(problem)), the job's result stands"))
        return false
    }
}

/// How a trigger's notifications went, for the run's closing line.
struct NotificationTally {
    var sent = 0
    var queued = 0
    var failed = 0

    mutating func add(_ other: NotificationTally) {
        sent += other.sent
        queued += other.queued
        failed += other.failed
    }

    /// The closing line when something was not delivered, else nil.
    var summary: String? {
        guard queued + failed > 0 else { return nil }
        return "notifications: \(sent) sent, \(queued) queued in the outbox, \(failed) not sent"
    }
}
