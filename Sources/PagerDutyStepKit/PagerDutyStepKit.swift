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
import Settings
import StepKit
import Synchronization
import Values

/// What every PagerDuty step shares: the common properties (keys, From), building a client
/// from the step's context and settings, and turning PagerDuty errors into step errors. Steps
/// import this module; it is the one place these rules live.
public enum PagerDutyProperties {
    /// Key-storage path of the REST API key (Rundeck Enterprise spells it `api_token` or `apiKey`).
    public static let apiKeyPath = StepProperty(
        "api_key_path", title: "API key (key storage path)",
        description: "Key-storage path of a PagerDuty REST API key (account or user key), e.g. keys/pd/api.",
        kind: .storagePath, aliases: ["api_token", "apiKey", "api_key_storage_path"],
        settingsKeys: [KnownSettings.projectAPIKeyPath.key, KnownSettings.apiKeyPath.key])
    /// The REST API key itself, for step binaries that get it from the environment or stdin.
    public static let apiKey = StepProperty(
        "api_key", title: "API key",
        description: "A PagerDuty REST API key given directly (RD_CONFIG_API_KEY, or JSON on stdin). Prefer api_key_path.",
        secret: true)
    /// An OAuth access token (sent as Bearer).
    public static let oauthToken = StepProperty(
        "oauth_token", title: "OAuth access token",
        description: "A PagerDuty OAuth access token, sent as Authorization: Bearer. Used instead of an API key.",
        secret: true)
    /// The From user for writes that need one.
    public static let fromEmail = StepProperty(
        "from_email", title: "From (user email)",
        description: "Email of the PagerDuty user the change is made as (the From header); required on some writes with an account key.",
        aliases: ["email", "requester_email", "requester"], settingsKeys: [KnownSettings.projectFromEmail.key, KnownSettings.fromEmail.key])
    /// The Events API routing key given directly.
    public static let integrationKey = StepProperty(
        "integration_key", title: "Integration key",
        description: "The service's Events API v2 integration (routing) key given directly. Prefer integration_key_path.",
        secret: true, aliases: ["routing_key"])
    /// Key-storage path of the routing key (Rundeck Enterprise: `service_key`, `routingKey`).
    public static let integrationKeyPath = StepProperty(
        "integration_key_path", title: "Integration key (key storage path)",
        description: "Key-storage path of the service's Events API v2 integration key, e.g. keys/pd/routing_key.",
        kind: .storagePath, aliases: ["service_key", "routingKey", "routing_key_path"],
        settingsKeys: [KnownSettings.projectRoutingKeyPath.key, KnownSettings.routingKeyPath.key])

    /// A scoped OAuth app's client id and secret (key-storage paths), for the
    /// client-credentials grant.
    public static let oauthClientIDPath = StepProperty(
        "oauth_client_id_path", title: "OAuth client id (key storage path)",
        description: "Key-storage path of a scoped OAuth app's client id; with oauth_client_secret_path, pdstep fetches and caches an access token.",
        kind: .storagePath, settingsKeys: [KnownSettings.oauthClientIDPath.key])
    /// Key-storage path of the OAuth app's client secret.
    public static let oauthClientSecretPath = StepProperty(
        "oauth_client_secret_path", title: "OAuth client secret (key storage path)",
        description: "Key-storage path of the OAuth app's client secret.",
        kind: .storagePath, settingsKeys: [KnownSettings.oauthClientSecretPath.key])
    /// The scopes the OAuth token asks for.
    public static let oauthScope = StepProperty(
        "oauth_scope", title: "OAuth scope",
        description: "Scopes to ask for, space-separated, e.g. 'as_account-us.mycompany incidents.write users.read'.",
        settingsKeys: [KnownSettings.oauthScope.key])

    /// The properties of a step that calls the REST API.
    public static let rest: [StepProperty] = [apiKeyPath, apiKey, oauthToken, oauthClientIDPath, oauthClientSecretPath, oauthScope]
    /// The properties of a step that sends events.
    public static let events: [StepProperty] = [integrationKeyPath, integrationKey]
}

extension StepContext {
    /// The run's client factory (from `services`), or, for a context built without one, a
    /// factory for this context's settings alone.
    public func pagerDutyClients() -> PagerDutyClientFactory {
        services.get(PagerDutyClientFactory.self) ?? PagerDutyClientFactory(settings: settings)
    }

    /// A REST client with the step's credentials (`api_key_path`, `api_key` or `oauth_token`)
    /// and From email. Reading the key registers it as a secret.
    public func restClient(_ config: StepConfig) async throws(StepError) -> PagerDutyClient {
        let clients = pagerDutyClients()
        let credentials: Credentials?
        if let sandbox = clients.sandbox {
            credentials = .apiToken(try readSecret(atPath: sandbox.apiKeyPath, property: "api_key_path"))
        } else if let token = config.string("oauth_token"), !token.isEmpty {
            redactor.register(token)
            credentials = .oauth(token)
        } else if let key = config.string("api_key"), !key.isEmpty {
            redactor.register(key)
            credentials = .apiToken(key)
        } else if let idPath = config.string("oauth_client_id_path"), let secretPath = config.string("oauth_client_secret_path") {
            let clientID = try readSecret(atPath: idPath, property: "oauth_client_id_path")
            let secret = try readSecret(atPath: secretPath, property: "oauth_client_secret_path")
            let scope = config.string("oauth_scope") ?? ""
            let tokenClient = try client(clients, credentials: nil, from: nil)
            let host = try clients.configuration().identityBase.absoluteString
            let token = try await clients.tokens.token(clientID: clientID, scope: scope, host: host) { () throws(PagerDutyError) in
                try await tokenClient.fetchOAuthToken(clientID: clientID, clientSecret: secret, scope: scope)
            }
            redactor.register(token)
            credentials = .oauth(token)
        } else if let path = config.string("api_key_path") {
            credentials = .apiToken(try readSecret(atPath: path, property: "api_key_path"))
        } else {
            credentials = nil
        }
        return try client(clients, credentials: credentials, from: config.string("from_email"))
    }

    /// A client for the Events API (no REST credentials).
    public func eventsClient() throws(StepError) -> PagerDutyClient {
        try client(pagerDutyClients(), credentials: nil, from: nil)
    }

    private func client(_ clients: PagerDutyClientFactory, credentials: Credentials?, from: String?) throws(StepError) -> PagerDutyClient {
        let log = self
        return try clients.client(credentials: credentials, fromEmail: from, note: { log.log(.warn, $0) })
    }

    /// The routing key: `integration_key` given directly, else read from `integration_key_path`.
    public func routingKey(_ config: StepConfig) throws(StepError) -> String {
        if let sandbox = pagerDutyClients().sandbox {
            return try readSecret(atPath: sandbox.routingKeyPath, property: "integration_key_path")
        }
        if let key = config.string("integration_key"), !key.isEmpty {
            redactor.register(key)
            return key.trimmingSpacesAndLines()
        }
        guard let path = config.string("integration_key_path") else {
            throw StepError.invalid(
                "\(config.step): no routing key: set integration_key_path (a key-storage path such as keys/pd/routing_key), integration_key, or the setting pagerduty.routing_key_path",
                property: "integration_key_path")
        }
        return try readSecret(atPath: path, property: "integration_key_path")
    }

    /// Writes warnings from the client (a cut summary, ...) to the log.
    public func warn(_ warnings: [String]) {
        for warning in warnings { log(.warn, warning) }
    }
}

extension StepError {
    /// The step error for a PagerDuty error: same message and details, kind mapped.
    public init(_ error: PagerDutyError) {
        let kind: StepError.Kind
        switch error.kind {
        case .invalidRequest: kind = .invalidInput
        case .refused: kind = .remote
        case .unauthorized: kind = .unauthorized
        case .forbidden: kind = .forbidden
        case .notFound: kind = .notFound
        case .rateLimited: kind = .rateLimited
        case .temporary: kind = .temporary
        }
        // What to change, in the step's own terms: its properties and pdstep's settings.
        let hint: String
        switch error.cause {
        case .noCredentials?: hint = "; set api_key_path in the step, or pagerduty.api_key_path in framework.properties (a key-storage path such as keys/pd/api)"
        case .fromRequired?: hint = "; set from_email in the step or pagerduty.from_email in framework.properties"
        case .retryBudget?: hint = " (pagerduty.retry.max_attempts and pagerduty.retry.max_seconds set the budget)"
        case nil: hint = ""
        }
        self.init(kind, error.message + hint, details: error.details, httpStatus: error.httpStatus, remoteCode: error.code)
        // The event fields are the steps' property names, but for the routing key.
        property = error.field.map { $0 == "routing_key" ? "integration_key" : $0 }
    }
}

/// Runs a PagerDuty call, turning its error into a step error.
public func callPagerDuty<T>(_ body: () async throws(PagerDutyError) -> T) async throws(StepError) -> T {
    do {
        return try await body()
    } catch {
        throw StepError(error)
    }
}

/// The same, for calls that do not suspend (request building and validation).
public func checkPagerDuty<T>(_ body: () throws(PagerDutyError) -> T) throws(StepError) -> T {
    do {
        return try body()
    } catch {
        throw StepError(error)
    }
}
