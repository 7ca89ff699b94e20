import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-get-contact-methods`: how users are reached (email, phone, SMS, push).
public struct GetContactMethods: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-get-contact-methods", title: "Get Contact Methods", summary: "The contact methods of users, by id or email (SOAR's Get User Contact Methods).",
        properties: PagerDutyProperties.rest + [
            StepProperty("user_ids", title: "Users", description: "Comma-separated user ids or emails.", kind: .list, required: true, aliases: ["user_id", "users"], identifier: .idOrEmail),
        ],
        outputs: [
            StepOutput("emails", "Email addresses, comma-separated."), StepOutput("phones", "Phone and SMS numbers, comma-separated."),
            StepOutput("count", "How many contact methods."),
        ])

    let config: StepConfig
    let users: [String]

    public init(config: StepConfig) throws(StepError) {
        self.config = config
        users = try config.requiredList("user_ids")
    }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let call = try await RESTSession(context, config)
        let ids = try await call.userIDs(users, property: "user_ids")
        var methods: [Value] = []
        var byUser = ValueObject()
        for id in ids {
            guard let response = try await call.send(.contactMethods(id)) else { continue }
            let items = response.body["contact_methods"]?.arrayValue ?? []
            byUser[id] = .array(items)
            methods += items
        }
        if context.dryRun { return call.dryRunResult("read the contact methods of \(ids.joined(separator: ", "))") }
        func addresses(_ types: [String]) -> String {
            methods.filter { types.contains($0["type"]?.stringValue ?? "") }.compactMap { $0["address"]?.stringValue }.joined(separator: ",")
        }
        let outputs = [
            "emails": addresses(["email_contact_method", "email_contact_method_reference"]),
            "phones": addresses(["phone_contact_method", "sms_contact_method", "phone_contact_method_reference", "sms_contact_method_reference"]),
            "count": String(methods.count),
        ]
        return StepResult(outputs: outputs, summary: "\(methods.count) contact method\(methods.count == 1 ? "" : "s") for \(ids.count) user\(ids.count == 1 ? "" : "s")", response: .object(ValueObject([("contact_methods", .object(byUser))])))
    }
}
