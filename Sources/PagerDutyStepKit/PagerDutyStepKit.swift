import Foundation
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
    public static let oauthClientSecretPath = StepProperty(
        "oauth_client_secret_path", title: "OAuth client secret (key storage path)",
        description: "Key-storage path of the OAuth app's client secret.",
        kind: .storagePath, settingsKeys: [KnownSettings.oauthClientSecretPath.key])
    public static let oauthScope = StepProperty(
        "oauth_scope", title: "OAuth scope",
        description: "Scopes to ask for, space-separated, e.g. 'as_account-us.mycompany incidents.write users.read'.",
        settingsKeys: [KnownSettings.oauthScope.key])

    /// The properties of a step that calls the REST API.
    public static let rest: [StepProperty] = [apiKeyPath, apiKey, oauthToken, oauthClientIDPath, oauthClientSecretPath, oauthScope]
    /// The properties of a step that sends events.
    public static let events: [StepProperty] = [integrationKeyPath, integrationKey]
}

/// How `--sandbox` points steps at the embedded sandbox: the setting `pdstep.sandbox=true`, and
/// a fresh key storage holding the demo account's keys at these paths. In sandbox mode every
/// step uses the demo keys, whatever key paths the job names, so any job runs end to end.
public enum SandboxSettings {
    public static let enabled = "pdstep.sandbox"
    public static let apiKeyPath = "keys/pd/api"
    public static let routingKeyPath = "keys/pd/routing_key"
}

/// The process's HTTP transports and pacer, shared by every step so connections are reused and
/// pacing spans steps.
enum ClientCaches {
    static let transports = TransportCache()
    static let pacers = PacerCache()
    static let tokens = TokenCache()
}

/// OAuth access tokens, kept in memory (never on disk, never logged) until shortly before they
/// expire.
final class TokenCache: Sendable {
    private let tokens = Mutex<[String: OAuthToken]>([:])

    func token(clientID: String, scope: String, host: String, fetch: () async throws(PagerDutyError) -> OAuthToken) async throws(StepError) -> String {
        let key = "\(host) \(clientID) \(scope)"
        if let cached = tokens.withLock({ $0[key] }), cached.expires.timeIntervalSinceNow > 60 { return cached.accessToken }
        let fresh = try await callPagerDuty { () throws(PagerDutyError) in try await fetch() }
        tokens.withLock { $0[key] = fresh }
        return fresh.accessToken
    }
}

/// One transport per CA bundle (nearly always just one: the system's CAs).
final class TransportCache: Sendable {
    private let transports = Mutex<[String: StandardTransport]>([:])
    func transport(caBundle: String?) -> StandardTransport {
        transports.withLock { cached in
            if let transport = cached[caBundle ?? ""] { return transport }
            let transport = StandardTransport(caBundle: caBundle)
            cached[caBundle ?? ""] = transport
            return transport
        }
    }
}

final class PacerCache: Sendable {
    private let pacer: Mutex<(key: String, pacer: Pacer)?> = Mutex(nil)
    func pacer(limit: Int, window: Double) -> Pacer {
        pacer.withLock { cached in
            let key = "\(limit)/\(window)"
            if let cached, cached.key == key { return cached.pacer }
            let fresh = Pacer(limit: limit, window: window)
            cached = (key, fresh)
            return fresh
        }
    }
}

extension StepContext {
    /// The client configuration from settings: region, host overrides, timeout, retries, pacing.
    public func pagerDutyConfiguration() throws(StepError) -> PagerDutyConfiguration {
        /// A setting's number, checked against its range (every number from a file is bounded).
        func number(_ setting: KnownSetting, in range: ClosedRange<Double>, whole: Bool = false) throws(StepError) -> Double {
            let text = settings.value(setting.key).flatMap { $0.isEmpty ? nil : $0 } ?? setting.defaultValue
            let where_ = settings.setting(setting.key).map { " (\($0.origin))" } ?? ""
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, !whole || value == value.rounded() else {
                throw StepError.invalid("setting \(setting.key)\(where_) must be a\(whole ? " whole" : "") number, got '\(text)'")
            }
            guard range.contains(value) else {
                throw StepError.invalid("setting \(setting.key)\(where_) must be between \(format(range.lowerBound)) and \(format(range.upperBound)), got '\(text)'")
            }
            return value
        }
        func format(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
        let timeout = try number(KnownSettings.timeout, in: 0.1...3_600)
        let retry = RetryPolicy(
            maxAttempts: Int(try number(KnownSettings.retryMaxAttempts, in: 1...100, whole: true)),
            maxSeconds: try number(KnownSettings.retryMaxSeconds, in: 1...86_400),
            initialDelay: try number(KnownSettings.retryInitialDelay, in: 0.01...600))
        let rateLimit = Int(try number(KnownSettings.eventsRateLimit, in: 1...1_000_000, whole: true))
        let rateWindow = try number(KnownSettings.eventsRateWindow, in: 0.1...86_400)
        let caBundle = settings.value(KnownSettings.caBundle.key).flatMap { $0.isEmpty ? nil : $0 }
        if let caBundle, !FileManager.default.isReadableFile(atPath: caBundle) {
            throw StepError.invalid("setting \(KnownSettings.caBundle.key): cannot read the CA file '\(caBundle)'")
        }
        return try checkPagerDuty { () throws(PagerDutyError) in
            try PagerDutyConfiguration.make(
                region: settings.value(KnownSettings.region.key) ?? KnownSettings.region.defaultValue,
                restURL: settings.value(KnownSettings.apiURL.key), eventsURL: settings.value(KnownSettings.eventsURL.key),
                identityURL: settings.value(KnownSettings.identityURL.key), timeout: timeout, retry: retry,
                eventsRateLimit: rateLimit, eventsRateWindow: rateWindow, userAgent: "pdstep/\(pdstepVersion)", caBundle: caBundle)
        }
    }

    /// A REST client with the step's credentials (`api_key_path`, `api_key` or `oauth_token`)
    /// and From email. Reading the key registers it as a secret.
    public func restClient(_ config: StepConfig) async throws(StepError) -> PagerDutyClient {
        let configuration = try pagerDutyConfiguration()
        let credentials: Credentials?
        if settings.bool(SandboxSettings.enabled, default: false) {
            credentials = .apiToken(try readSecret(atPath: SandboxSettings.apiKeyPath, property: "api_key_path"))
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
            let tokenClient = client(configuration, credentials: nil, from: nil)
            let token = try await ClientCaches.tokens.token(clientID: clientID, scope: scope, host: configuration.identityBase.absoluteString) { () throws(PagerDutyError) in
                try await tokenClient.fetchOAuthToken(clientID: clientID, clientSecret: secret, scope: scope)
            }
            redactor.register(token)
            credentials = .oauth(token)
        } else if let path = config.string("api_key_path") {
            credentials = .apiToken(try readSecret(atPath: path, property: "api_key_path"))
        } else {
            credentials = nil
        }
        return client(configuration, credentials: credentials, from: config.string("from_email"))
    }

    /// A client for the Events API (no REST credentials).
    public func eventsClient() throws(StepError) -> PagerDutyClient {
        client(try pagerDutyConfiguration(), credentials: nil, from: nil)
    }

    private func client(_ configuration: PagerDutyConfiguration, credentials: Credentials?, from: String?) -> PagerDutyClient {
        let log = self
        return PagerDutyClient(
            configuration: configuration, credentials: credentials, fromEmail: from, transport: ClientCaches.transports.transport(caBundle: configuration.caBundle),
            pacer: ClientCaches.pacers.pacer(limit: configuration.eventsRateLimit, window: configuration.eventsRateWindow),
            note: { log.log(.warn, $0) })
    }

    /// The routing key: `integration_key` given directly, else read from `integration_key_path`.
    public func routingKey(_ config: StepConfig) throws(StepError) -> String {
        if settings.bool(SandboxSettings.enabled, default: false) {
            return try readSecret(atPath: SandboxSettings.routingKeyPath, property: "integration_key_path")
        }
        if let key = config.string("integration_key"), !key.isEmpty {
            redactor.register(key)
            return key.trimmingCharacters(in: .whitespacesAndNewlines)
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
        self.init(kind, error.message, details: error.details, httpStatus: error.httpStatus, remoteCode: error.code)
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
