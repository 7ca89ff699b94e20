#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import PagerDuty
import PagerDutyStepKit
import Settings
import StepKit
import Values

extension PDStep {
    static let webhooksCommand = Command(
        name: "webhooks",
        summary: "Manage PagerDuty v3 webhook subscriptions for `pdstep serve`: subscribe (keeping the secret in key storage), list, delete, ping.",
        usage: """
            subscribe --url URL [--service ID | --team ID | --account] [--events TYPE,...] | list | delete ID | ping ID

              subscribe creates the subscription (POST /webhook_subscriptions) and stores the secret PagerDuty
              returns (shown only once) at pagerduty.webhook.secret_path (default keys/pd/webhook), where
              `pdstep serve` reads it. The REST key is the usual one (pagerduty.api_key_path, keys/pd/api).
            """,
        options: [
            .value("url", "URL", "where PagerDuty delivers (pdstep serve's webhook_url, through your proxy)"),
            .value("service", "ID", "only this service's incidents"),
            .value("team", "ID", "only this team's incidents"),
            .flag("account", "every incident of the account (the default)"),
            .value("events", "TYPES", "comma-separated event types (default: incident.triggered,incident.acknowledged,incident.resolved)"),
            .flag("json", "print the answer as JSON"),
            .flag("sandbox", "against the embedded sandbox"),
            storageOption,
        ] + settingsOptions,
        maxPositionals: 2,
        examples: ["pdstep webhooks subscribe --url https://hooks.example.com/webhooks/pagerduty --service PSVC001", "pdstep webhooks list"]
    ) { arguments, invocation in
        var arguments = arguments
        guard let action = arguments.positionals.first, ["subscribe", "list", "delete", "ping"].contains(action) else {
            throw UsageError("webhooks takes subscribe, list, delete ID or ping ID")
        }
        let session = try SandboxSession.startIfAsked(&arguments)
        defer { session?.stop() }
        let settings = try invocation.settings(arguments)
        let keyStorage = invocation.keyStorage(arguments, settings: settings)
        let keyPath = settings.value(KnownSettings.apiKeyPath.key).flatMap { $0.isEmpty ? nil : $0 } ?? KnownSettings.apiKeyPath.defaultValue
        let key = try keyStorage.readPassword(keyPath)
        invocation.redactor.register(key)
        let client = try PagerDutyClientFactory(settings: settings).client(credentials: .apiToken(key), fromEmail: nil) { invocation.io.printError("warning: \($0)") }
        func send(_ request: PagerDutyRequest) async throws -> PagerDutyResponse {
            try await callPagerDuty { () throws(PagerDutyError) in try await client.send(request) }
        }
        switch action {
        case "subscribe":
            guard let url = arguments.value("url") else { throw UsageError("subscribe needs --url URL") }
            var filter: Value = ["type": "account_reference"]
            if let service = arguments.value("service") { filter = ["type": "service_reference", "id": .string(service)] }
            if let team = arguments.value("team") { filter = ["type": "team_reference", "id": .string(team)] }
            let events = (arguments.value("events") ?? "incident.triggered,incident.acknowledged,incident.resolved")
                .split(separator: ",").map { Value.string($0.trimmingSpaces()) }
            let body: Value = ["webhook_subscription": [
                "type": "webhook_subscription", "delivery_method": ["type": "http_delivery_method", "url": .string(url)],
                "events": .array(events), "filter": filter, "description": "pdstep serve",
            ]]
            let answer = try await send(PagerDutyRequest(method: "POST", path: "/webhook_subscriptions", body: body))
            let subscription = answer.body["webhook_subscription"]
            guard let secret = subscription?["delivery_method"]?["secret"]?.stringValue, let id = subscription?["id"]?.stringValue else {
                throw StepError(.remote, "PagerDuty's answer has no subscription secret; the subscription may exist: pdstep webhooks list")
            }
            invocation.redactor.register(secret)
            let secretPath = (settings.value(KnownSettings.webhookSecretPath.key) ?? KnownSettings.webhookSecretPath.defaultValue)
                .split(separator: ",").first.map { $0.trimmingSpaces() } ?? KnownSettings.webhookSecretPath.defaultValue
            try keyStorage.putPassword(secretPath, secret: Array(secret.utf8))
            invocation.io.print("subscribed \(id): \(url) gets \(events.map(\.text).joined(separator: ", ")); its secret is in key storage at \(secretPath), where pdstep serve reads it")
        case "list":
            let answer = try await send(PagerDutyRequest(method: "GET", path: "/webhook_subscriptions"))
            let items = answer.body["webhook_subscriptions"]?.arrayValue ?? []
            if arguments.has("json") {
                invocation.io.print(JSONWriter.write(invocation.redactor.redact(.array(items)), options: .pretty))
            } else if items.isEmpty {
                invocation.io.print("no webhook subscriptions")
            } else {
                for item in items {
                    let filter = item["filter"].map { "\($0["type"]?.text ?? "")\($0["id"].map { " " + $0.text } ?? "")" } ?? ""
                    invocation.io.print("\(item["id"]?.text ?? "?")  \(item["delivery_method"]?["url"]?.text ?? "")  \(filter)  \((item["events"]?.arrayValue ?? []).map(\.text).joined(separator: ","))")
                }
            }
        default:
            guard arguments.positionals.count == 2 else { throw UsageError("\(action) needs the subscription's id") }
            let id = arguments.positionals[1]
            guard id.allSatisfy({ $0.isLetter || $0.isNumber }) else { throw UsageError("'\(id)' is not a subscription id") }
            if action == "delete" {
                _ = try await send(PagerDutyRequest(method: "DELETE", path: "/webhook_subscriptions/\(id)"))
                invocation.io.print("deleted \(id)")
            } else {
                _ = try await send(PagerDutyRequest(method: "POST", path: "/webhook_subscriptions/\(id)/ping"))
                invocation.io.print("asked PagerDuty to send a ping to \(id)")
            }
        }
        return .success
    }
}
