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

    /// In a dry run: what each trigger would send, with its configuration resolved (secrets
    /// masked), for success and for failure alike; nothing is sent.
    func planNotifications(job: Job, result: AttemptResult, state: RunState) async {
        for trigger in JobNotifications.Trigger.allCases where !(job.notifications.plugins[trigger] ?? []).isEmpty {
            log.emit(.note(level: .normal, message: "notification \(trigger.rawValue) would send:"))
            await notify(trigger, job: job, status: trigger == .onsuccess ? "succeeded" : trigger == .onstart ? "running" : "failed", result: result, state: state)
        }
    }

    /// Fires `trigger`'s notifications with the execution's variables. A failure is logged (and
    /// counted in the run's notes), never turned into the job's result.
    func notify(
        _ trigger: JobNotifications.Trigger, job: Job, status: String, result: AttemptResult?, state: RunState, abortedBy: String = ""
    ) async {
        let plugins = job.notifications.plugins[trigger] ?? []
        guard !plugins.isEmpty else { return }
        var state = state
        if let result { state.data = result.data }
        var jobGroup = state.data.groups["job"] ?? [:]
        jobGroup["status"] = status
        jobGroup["user"] = jobGroup["username"]
        jobGroup["href"] = jobGroup["url"]
        state.data.groups["job"] = jobGroup
        state.data.groups["execution"] = [
            "id": state.execution.id, "status": status, "user": jobGroup["username"] ?? "", "abortedby": abortedBy,
            "failedStep": result?.failedSteps.first ?? "",
        ]
        for plugin in plugins {
            let (type, configuration) = notificationStep(plugin, job: job)
            do {
                let outcome = try await runPlugin(type, configuration: configuration, number: "notification", state: state)
                log.emit(.note(level: .normal, message: "notification \(trigger.rawValue): \(type) \(outcome.summary.isEmpty ? "done" : outcome.summary)"))
            } catch where error.kind == .queued {
                log.emit(.note(level: .warn, message: "notification \(trigger.rawValue): \(type) queued, not delivered yet: \(error.description)"))
            } catch {
                log.emit(.note(level: .error, message: "notification \(trigger.rawValue): \(type) not sent, the job's result stands: \(error.description)"))
            }
        }
    }
}
