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

/// The PagerDuty clients of one run. Built once by the host (`pdstep run`, a step binary,
/// `outbox flush`) from the settings and lent to every step through `StepContext.services`:
/// the client configuration (hosts, timeouts, retries, pacing) is read from the settings once,
/// and one transport, one pacer and one OAuth token cache serve every step, so connections are
/// reused and pacing spans the whole run. Against the sandbox it is simply a factory pointed at
/// it, with the sandbox's key paths in place of the steps' own.
public final class PagerDutyClientFactory: Sendable {
    /// Where the sandbox keeps its demo keys; every step uses them, whatever paths the job names.
    public struct SandboxKeys: Sendable {
        /// The demo account's REST key.
        public var apiKeyPath: String
        /// The demo service's routing key.
        public var routingKeyPath: String

        /// The sandbox's key paths.
        public init(apiKeyPath: String, routingKeyPath: String) {
            self.apiKeyPath = apiKeyPath
            self.routingKeyPath = routingKeyPath
        }
    }

    /// The settings the configuration is read from.
    public let settings: Settings
    /// Set when the run is against the embedded sandbox.
    public let sandbox: SandboxKeys?
    private let built = Mutex<Result<(PagerDutyConfiguration, StandardTransport, Pacer), StepError>?>(nil)
    let tokens = TokenCache()

    /// A factory for these settings; nothing is read until the first client is asked for.
    public init(settings: Settings, sandbox: SandboxKeys? = nil) {
        self.settings = settings
        self.sandbox = sandbox
    }

    /// The client configuration, read from the settings on first use and kept (a setting out of
    /// range is an error naming it and where it was set, every time it is asked for).
    public func configuration() throws(StepError) -> PagerDutyConfiguration {
        try parts().0
    }

    /// A client with these credentials; `note` receives the client's retry and pacing notes.
    public func client(credentials: Credentials?, fromEmail: String?, note: @escaping @Sendable (String) -> Void) throws(StepError) -> PagerDutyClient {
        let (configuration, transport, pacer) = try parts()
        return PagerDutyClient(configuration: configuration, credentials: credentials, fromEmail: fromEmail, transport: transport, pacer: pacer, note: note)
    }

    /// Sends one request through the run's transport with the client's timeout (for an
    /// option's `valuesUrl`, a notification webhook): the answer, whatever its status.
    public func send(method: String, url: String, headers: [String: String], body: [UInt8]?) async throws(StepError) -> (status: Int, body: [UInt8]) {
        guard let target = URL(string: url), ["http", "https"].contains(target.scheme ?? "") else {
            throw StepError(.invalidInput, "not an http(s) URL")
        }
        let (configuration, transport, _) = try parts()
        do {
            let response = try await transport.send(
                TransportRequest(method: method, url: target, headers: headers, body: body, idempotent: method == "GET"), timeout: configuration.timeout)
            return (response.status, response.body)
        } catch {
            throw StepError(.temporary, error.message)
        }
    }

    private func parts() throws(StepError) -> (PagerDutyConfiguration, StandardTransport, Pacer) {
        let result = built.withLock { built in
            if let built { return built }
            let made: Result<(PagerDutyConfiguration, StandardTransport, Pacer), StepError>
            do {
                let configuration = try Self.configuration(from: settings)
                made = .success((
                    configuration, StandardTransport(caBundle: configuration.caBundle),
                    Pacer(limit: configuration.eventsRateLimit, window: configuration.eventsRateWindow)))
            } catch let error as StepError {
                made = .failure(error)
            } catch {
                made = .failure(StepError(error))
            }
            built = made
            return made
        }
        return try result.get()
    }

    /// The client configuration from settings: region, host overrides, timeout, retries, pacing;
    /// every number range-checked.
    static func configuration(from settings: Settings) throws(StepError) -> PagerDutyConfiguration {
        func number(_ setting: KnownSetting, in range: ClosedRange<Double>, whole: Bool = false) throws(StepError) -> Double {
            let text = settings.value(setting.key).flatMap { $0.isEmpty ? nil : $0 } ?? setting.defaultValue
            let origin = settings.setting(setting.key).map { " (\($0.origin))" } ?? ""
            guard let value = Double(text.trimmingSpaces()), value.isFinite, !whole || value == value.rounded() else {
                throw StepError.invalid("setting \(setting.key)\(origin) must be a\(whole ? " whole" : "") number, got '\(text)'")
            }
            guard range.contains(value) else {
                throw StepError.invalid("setting \(setting.key)\(origin) must be between \(format(range.lowerBound)) and \(format(range.upperBound)), got '\(text)'")
            }
            return value
        }
        func format(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
        let timeout = try number(KnownSettings.timeout, in: 0.1...3_600)
        let retry = RetryPolicy(
            maxAttempts: Int(try number(KnownSettings.retryMaxAttempts, in: 1...100, whole: true)),
            maxSeconds: try number(KnownSettings.retryMaxSeconds, in: 1...86_400),
            initialDelay: try number(KnownSettings.retryInitialDelay, in: 0.01...600))
        let rateLimit = Int(try number(KnownSettings.eventsRateLimit, in: 1...1_000_000_000, whole: true))
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
