import FoundationEssentials
import Values
import XML

/// The execution as Rundeck's webhook notifications send it (NotificationService
/// `createXmlNotificationPayload` / `createJsonNotificationPayload`, with the API's execution
/// rendering): what this local run can say of it.
struct WebhookPayload {
    var trigger: String
    var status: String
    var executionID: String
    var href: String
    var project: String
    var user: String
    var started: Date
    var ended: Date?
    var job: Job
    var argstring: String

    /// Rundeck's trigger name for the payload and headers (`failure`, not `onfailure`).
    static func triggerName(_ trigger: JobNotifications.Trigger) -> String { String(trigger.rawValue.dropFirst(2)) }

    private static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    private static func millis(_ date: Date) -> Int { Int(date.timeIntervalSince1970 * 1000) }

    /// `{"trigger", "status", "executionId", "execution": {...}}`.
    var json: String {
        var execution: [(String, Value)] = [
            ("id", .int(Int(executionID) ?? 0)), ("href", .string(href)), ("permalink", .string(href)), ("status", .string(status)),
            ("project", .string(project)), ("executionType", "user"), ("user", .string(user)),
            ("date-started", .object(ValueObject([("unixtime", .int(Self.millis(started))), ("date", .string(Self.iso(started)))]))),
        ]
        if let ended {
            execution.append(("date-ended", .object(ValueObject([("unixtime", .int(Self.millis(ended))), ("date", .string(Self.iso(ended)))]))))
        }
        execution += [
            ("job", .object(ValueObject([
                ("id", .string(job.uuid ?? "")), ("name", .string(job.name)), ("group", .string(job.group)), ("project", .string(project)),
                ("description", .string(job.description)),
            ]))),
            ("description", .string(job.workflow.steps.map(\.label).joined(separator: "; "))), ("argstring", .string(argstring)),
        ]
        execution.append((status == "succeeded" ? "successfulNodes" : "failedNodes", .array(["localhost"])))
        return JSONWriter.write(.object(ValueObject([
            ("trigger", .string(trigger)), ("status", .string(status)), ("executionId", .int(Int(executionID) ?? 0)),
            ("execution", .object(ValueObject(execution))),
        ])))
    }

    /// `<notification trigger= status= executionId=><executions count="1"><execution ...>`.
    var xml: String {
        let e = XMLWriter.escapeAttribute
        var x = "<notification trigger=\"\(e(trigger))\" status=\"\(e(status))\" executionId=\"\(e(executionID))\">"
        x += "<executions count=\"1\"><execution id=\"\(e(executionID))\" href=\"\(e(href))\" permalink=\"\(e(href))\" status=\"\(e(status))\" project=\"\(e(project))\">"
        x += "<user>\(e(user))</user>"
        x += "<date-started unixtime=\"\(Self.millis(started))\">\(Self.iso(started))</date-started>"
        if let ended { x += "<date-ended unixtime=\"\(Self.millis(ended))\">\(Self.iso(ended))</date-ended>" }
        x += "<job id=\"\(e(job.uuid ?? ""))\"><name>\(e(job.name))</name><group>\(e(job.group))</group><project>\(e(project))</project>"
        x += "<description>\(e(job.description))</description></job>"
        x += "<description>\(e(job.workflow.steps.map(\.label).joined(separator: "; ")))</description><argstring>\(e(argstring))</argstring>"
        x += status == "succeeded" ? "<successfulNodes><node name=\"localhost\"/></successfulNodes>" : "<failedNodes><node name=\"localhost\"/></failedNodes>"
        x += "</execution></executions></notification>"
        return x
    }
}
