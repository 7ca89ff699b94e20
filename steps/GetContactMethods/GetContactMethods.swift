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
            StepOutput("emails", "Email addresses, comma-separated."), StepOutput("phones", "Phone, SMS and WhatsApp numbers, comma-separated."),
            StepOutput("phone_types", "What each of those numbers is (phone, sms or whatsapp), comma-separated, in the same order."),
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
        // Every phone-like type of the spec (ContactMethod: phone, sms, whatsapp), with which it is.
        let phoneKinds = ["phone", "sms", "whatsapp"]
        let phones = methods.compactMap { method -> (String, String)? in
            let type = (method["type"]?.stringValue ?? "").replacing("_reference", with: "")
            guard let kind = phoneKinds.first(where: { type == "\($0)_contact_method" }), let address = method["address"]?.stringValue else { return nil }
            return (address, kind)
        }
        let outputs = [
            "emails": addresses(["email_contact_method", "email_contact_method_reference"]),
            "phones": phones.map(\.0).joined(separator: ","),
            "phone_types": phones.map(\.1).joined(separator: ","),
            "count": String(methods.count),
        ]
        return StepResult(outputs: outputs, summary: "\(methods.count) contact method\(methods.count == 1 ? "" : "s") for \(ids.count) user\(ids.count == 1 ? "" : "s")", response: .object(ValueObject([("contact_methods", .object(byUser))])))
    }
}
