import FoundationEssentials
import StepKit
import Values

/// A job's `notification` block (Rundeck's NotificationService; the job YAML reference): what
/// to do when an execution starts, succeeds, fails, or fails with a retry to follow.
///
/// A `plugin` notification runs a pdstep step (any step type or Enterprise alias, or the
/// open-source `PagerDutyNotification`, mapped onto `pagerduty-send-event`), with the
/// execution's variables. A notification never changes the job's result.
public struct JobNotifications: Sendable, Equatable {
    /// Rundeck's triggers.
    public enum Trigger: String, Sendable, CaseIterable {
        case onstart, onsuccess, onfailure, onretryablefailure, onavgduration
    }

    /// One `plugin` entry: a step type and its configuration.
    public struct Plugin: Sendable, Hashable {
        /// The plugin type as written (`pagerduty-send-event`, `PagerDutyNotification`, ...).
        public var type: String
        /// Its configuration, as written (expanded when it fires).
        public var configuration: [String: String]
    }

    /// A trigger's `urls`: where the execution is sent, and how (Rundeck's webhook notification).
    public struct Webhook: Sendable, Hashable {
        /// The URLs (comma-separated in the file), expanded when it fires.
        public var urls: [String]
        /// `format: json` (else Rundeck's XML).
        public var json: Bool
        /// `httpMethod: get` (else POST with the execution as the body).
        public var get: Bool
    }

    /// `notifyAvgDurationThreshold`: when `onavgduration` fires (see `DurationHistory.threshold`).
    public var averageDurationThreshold: String?

    /// The plugin notifications of each trigger, in file order.
    public var plugins: [Trigger: [Plugin]] = [:]
    /// The webhook of each trigger that has `urls`.
    public var webhooks: [Trigger: Webhook] = [:]
    /// The email of each trigger that has one.
    public var emails: [Trigger: Email] = [:]

    /// A trigger's `email` (Rundeck's mail notification): one message to each recipient.
    public struct Email: Sendable, Hashable {
        /// Comma-separated addresses, expanded when it fires.
        public var recipients: String
        /// The subject as written; nil: Rundeck's default (`defaultSubject`).
        public var subject: String?
        /// `attachLog`: the run's text log goes with it (never on `onstart`, as in Rundeck).
        public var attachLog: Bool
        /// `attachLogInline`: the log goes in the message's text rather than as a file (with
        /// `attachLogInFile` too: both).
        public var inline: Bool
        /// `attachLogInFile`, or `attachLog` with neither: the log is an attached file.
        public var inFile: Bool
    }

    /// Rundeck's default email subject (NotificationService).
    static let defaultSubject = "${notification.eventStatus} [${exec.project}] ${job.group}/${job.name} ${exec.argstring}"

    /// No notifications.
    public init() {}

    /// The type Rundeck's open-source PagerDuty notification plugin registers.
    static let pagerDutyNotification = "PagerDutyNotification"
    /// That plugin's default subject (rundeck-plugins/pagerduty-notification).
    static let pagerDutySubject = #"${job.status} [${job.project}] "${job.name}" run by ${job.user} (#${job.execid}) [${job.href}]"#
    /// Where Rundeck keeps that plugin's integration key in its settings.
    static let serviceKeySettings = [
        "project.plugin.Notification.PagerDutyNotification.service_key",
        "framework.plugin.Notification.PagerDutyNotification.service_key",
    ]

    /// True when an `onavgduration` notification asks for the job's average duration.
    public var watchesAverageDuration: Bool { triggers.contains(.onavgduration) }

    /// The triggers that have something to send.
    public var triggers: [Trigger] {
        Trigger.allCases.filter { !(plugins[$0] ?? []).isEmpty || webhooks[$0] != nil || emails[$0] != nil }
    }

    /// True when an email attaches the run's log, which is then kept while the job runs.
    var attachesLog: Bool { emails.values.contains { $0.attachLog } }

    /// Decodes a `notification` map.
    static func decode(_ value: Value?, label: String) throws(JobDefinitionError) -> JobNotifications {
        var notifications = JobNotifications()
        guard let value, !value.isNull else { return notifications }
        guard case .object(let triggers) = value else {
            throw JobDefinitionError("\(label): 'notification' must be a map of triggers (onsuccess, onfailure, ...)")
        }
        for entry in triggers {
            guard let trigger = Trigger(rawValue: entry.key) else {
                let hint = nearest(to: entry.key, in: Trigger.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? ""
                throw JobDefinitionError("\(label): notification trigger '\(entry.key)' is not one of \(Trigger.allCases.map(\.rawValue).joined(separator: ", "))\(hint)")
            }
            guard case .object(let kinds) = entry.value else {
                throw JobDefinitionError("\(label): notification '\(entry.key)' must be a map of email, urls and plugin")
            }
            for kind in kinds {
                switch kind.key {
                case "plugin":
                    let items: [Value]
                    if case .array(let list) = kind.value { items = list } else { items = [kind.value] }
                    for item in items {
                        guard case .object(let plugin) = item, let type = plugin["type"].flatMap(JobDecoder.scalarText), !type.isEmpty else {
                            throw JobDefinitionError("\(label): each '\(entry.key)' plugin needs a 'type' and its 'configuration'")
                        }
                        var configuration: [String: String] = [:]
                        if case .object(let config)? = plugin["configuration"] {
                            for setting in config where !setting.value.isNull {
                                configuration[setting.key] = setting.value.text
                            }
                        }
                        notifications.plugins[trigger, default: []].append(Plugin(type: type, configuration: configuration))
                    }
                case "urls":
                    let urls = (JobDecoder.scalarText(kind.value) ?? "").split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
                    guard !urls.isEmpty else { throw JobDefinitionError("\(label): notification '\(entry.key)' has empty 'urls'") }
                    let format = kinds["format"].flatMap(JobDecoder.scalarText)?.lowercased() ?? "xml"
                    let method = kinds["httpMethod"].flatMap(JobDecoder.scalarText)?.lowercased() ?? "post"
                    guard ["xml", "json"].contains(format), ["get", "post"].contains(method) else {
                        throw JobDefinitionError("\(label): notification '\(entry.key)': format is xml or json and httpMethod get or post (got \(format), \(method))")
                    }
                    notifications.webhooks[trigger] = Webhook(urls: urls, json: format == "json", get: method == "get")
                case "format", "httpMethod":
                    break  // read with `urls`
                case "email":
                    notifications.emails[trigger] = try decodeEmail(kind.value, label: "\(label): notification '\(entry.key)' email")
                default:
                    throw JobDefinitionError("\(label): notification '\(entry.key)' has no '\(kind.key)' (it takes email, urls and plugin)")
                }
            }
        }
        return notifications
    }

    /// An `email` map: `recipients`, `subject`, `attachLog`, `attachLogInline`, `attachLogInFile`.
    static func decodeEmail(_ value: Value, label: String) throws(JobDefinitionError) -> Email {
        guard case .object(let fields) = value else { throw JobDefinitionError("\(label) must be a map with recipients") }
        let known = ["recipients", "subject", "attachLog", "attachLogInline", "attachLogInFile", "attachType"]
        for key in fields.keys where !known.contains(key) {
            let hint = nearest(to: key, in: known).map { "; did you mean '\($0)'?" } ?? ""
            throw JobDefinitionError("\(label) has no '\(key)' (it takes \(known.joined(separator: ", ")))\(hint)")
        }
        guard let recipients = fields["recipients"].flatMap(JobDecoder.scalarText), !recipients.trimmingSpaces().isEmpty else {
            throw JobDefinitionError("\(label) needs 'recipients'")
        }
        // As Rundeck's EmailNotificationValidator: a literal address must be one; one with
        // ${...} is checked once it is expanded.
        for address in recipients.split(separator: ",").map({ $0.trimmingSpaces() }) where !address.isEmpty && !address.contains("${") {
            guard EmailMessage.isAddress(address) else { throw JobDefinitionError("\(label): '\(address)' is not an email address") }
        }
        func flag(_ key: String) -> Bool { fields[key].flatMap(JobDecoder.scalarText)?.lowercased() == "true" }
        let subject = fields["subject"].flatMap(JobDecoder.scalarText).flatMap { $0.isEmpty ? nil : $0 }
        // The editor's `attachType: inline|file` is the older spelling of the two flags.
        let attachType = fields["attachType"].flatMap(JobDecoder.scalarText)?.lowercased()
        let inline = flag("attachLogInline") || attachType == "inline"
        let inFile = flag("attachLogInFile") || attachType == "file" || !inline
        return Email(recipients: recipients, subject: subject, attachLog: flag("attachLog"), inline: inline, inFile: inFile)
    }
}
