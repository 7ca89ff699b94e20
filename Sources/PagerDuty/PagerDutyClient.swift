#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// How a REST call authenticates.
public enum Credentials: Sendable, Hashable {
    /// An account or user REST API key: `Authorization: Token token=KEY`.
    case apiToken(String)
    /// An OAuth access token: `Authorization: Bearer TOKEN`.
    case oauth(String)

    var header: String {
        switch self {
        case .apiToken(let key): return "Token token=\(key)"
        case .oauth(let token): return "Bearer \(token)"
        }
    }
}

/// One request, built before it is sent (and printed instead in a dry run).
public struct PagerDutyRequest: Sendable {
    /// Which API (host) the request goes to.
    public var api: API
    /// `GET`, `POST`, `PUT` or `DELETE`.
    public var method: String
    /// Path under the API's base (`/incidents/PABC/notes`).
    public var path: String
    /// Query parameters in order (`statuses[]` may repeat).
    public var query: [(String, String)]
    /// The JSON body, encoded afresh for every attempt.
    public var body: Value?
    /// PagerDuty's schema marks the `From` header required on this operation.
    public var requiresFrom: Bool
    /// Safe to send twice (GET, PUT, DELETE, events with a dedup key). Other requests are
    /// retried only when they surely did not take effect.
    public var idempotent: Bool
    /// A form-encoded body instead of JSON (the OAuth token request).
    public var form: [(String, String)]?

    /// A request; POST is taken as not idempotent unless said otherwise.
    public init(api: API = .rest, method: String, path: String, query: [(String, String)] = [], body: Value? = nil, requiresFrom: Bool = false, idempotent: Bool? = nil) {
        self.api = api
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.requiresFrom = requiresFrom
        self.idempotent = idempotent ?? (method != "POST")
    }

    /// `POST /incidents/{id}/notes`, for messages.
    public var operation: String { "\(method) \(path)" }
}

/// A decoded answer.
public struct PagerDutyResponse: Sendable {
    /// The HTTP status (2xx).
    public var status: Int
    /// The answer's headers, names lowercased.
    public var headers: [String: String]
    /// The JSON body (null for 204 and empty bodies).
    public var body: Value
    /// Attempts it took.
    public var attempts: Int
}

/// The PagerDuty client every step uses: REST and Events, regions, retries, pacing, errors.
public struct PagerDutyClient: Sendable {
    /// Hosts, timeouts, retries and pacing.
    public let configuration: PagerDutyConfiguration
    /// How REST requests authenticate (nil for the Events API).
    public let credentials: Credentials?
    /// The email sent as `From` on writes that need one.
    public let fromEmail: String?
    let transport: any HTTPTransport
    let pacer: Pacer
    /// Receives notes about retries and pacing (never secrets).
    let note: @Sendable (String) -> Void

    /// A client; `pacer` defaults to one of the configuration's event rate, `note` receives retry and pacing notes.
    public init(
        configuration: PagerDutyConfiguration, credentials: Credentials?, fromEmail: String?, transport: any HTTPTransport,
        pacer: Pacer? = nil, note: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.fromEmail = fromEmail?.isEmpty == true ? nil : fromEmail
        self.transport = transport
        self.pacer = pacer ?? Pacer(limit: configuration.eventsRateLimit, window: configuration.eventsRateWindow)
        self.note = note
    }

    /// The full URL of a request.
    public func url(for request: PagerDutyRequest) -> URL {
        let base: URL
        switch request.api {
        case .rest: base = configuration.restBase
        case .events: base = configuration.eventsBase
        case .identity: base = configuration.identityBase
        }
        // Paths are built already encoded (`PagerDutyRequest.segment`), so they are appended as
        // they are, not encoded a second time.
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)
        let basePath = components?.percentEncodedPath ?? ""
        components?.percentEncodedPath = basePath.trimmingSuffix("/") + request.path
        if !request.query.isEmpty {
            components?.percentEncodedQuery = request.query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        }
        return components?.url ?? base
    }

    static func encode(_ text: String) -> String {
        Text.percentEncoded(text)
    }

    /// The headers of a request (the key included; never log them as they are).
    func headers(for request: PagerDutyRequest) throws(PagerDutyError) -> [String: String] {
        var headers = ["User-Agent": configuration.userAgent, "Content-Type": request.form == nil ? "application/json" : "application/x-www-form-urlencoded"]
        guard request.api == .rest else { return headers }
        headers["Accept"] = "application/vnd.pagerduty+json;version=2"
        guard let credentials else {
            var error = PagerDutyError(.invalidRequest, "no PagerDuty API key")
            error.cause = .noCredentials
            throw error
        }
        headers["Authorization"] = credentials.header
        if let fromEmail, request.method != "GET" {
            headers["From"] = fromEmail
        } else if request.requiresFrom {
            var error = PagerDutyError(.invalidRequest, "PagerDuty requires a From header (the email of a PagerDuty user) for \(request.operation)")
            error.cause = .fromRequired
            throw error
        }
        return headers
    }

    /// Checks what a real send would check first (a key, the From header), then answers the plan.
    public func checkedPlan(_ request: PagerDutyRequest) throws(PagerDutyError) -> Value {
        _ = try headers(for: request)
        return plan(request)
    }

    /// What a dry run prints for a request: method, URL, headers (key masked) and body.
    public func plan(_ request: PagerDutyRequest) -> Value {
        var headers = ValueObject()
        if let all = try? self.headers(for: request) {
            for (name, value) in all.sorted(by: { $0.key < $1.key }) {
                headers[name] = .string(name == "Authorization" ? (value.hasPrefix("Bearer") ? "Bearer ****" : "Token token=****") : value)
            }
        }
        var object = ValueObject([("method", .string(request.method)), ("url", .string(url(for: request).absoluteString)), ("headers", .object(headers))])
        if var body = request.body?.objectValue {
            if body["routing_key"] != nil { body["routing_key"] = "****" }
            object["body"] = .object(body)
        } else if let body = request.body {
            object["body"] = body
        }
        return .object(object)
    }

    /// Sends a request with retries and pacing; answers the decoded response or throws.
    public func send(_ request: PagerDutyRequest, pacingKey: String? = nil) async throws(PagerDutyError) -> PagerDutyResponse {
        let headers = try headers(for: request)
        let url = url(for: request)
        let policy = configuration.retry
        let started = Pacer.now()
        var attempt = 0
        while true {
            attempt += 1
            var slot: UInt64?
            if let pacingKey {
                slot = await pacer.waitForEvent(key: pacingKey)
            } else if request.api == .rest {
                let pause = pacer.restWait()
                if pause > policy.maxSeconds - (Pacer.now() - started) {
                    var error = PagerDutyError(.rateLimited, "PagerDuty's REST rate limit for this key resets in \(Int(pause)) s, later than the retry budget of \(Int(policy.maxSeconds)) s allows; try again later")
                    error.cause = .retryBudget
                    throw error
                }
                if pause > 0 { try? await Task.sleep(nanoseconds: boundedNanoseconds(pause)) }
            }
            // The body is encoded afresh for every attempt (a consumed stream is never resent).
            let body = request.form.map { Array($0.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&").utf8) }
                ?? request.body.map { Array(JSONWriter.write($0).utf8) }
            let outcome: Result<TransportResponse, TransportFailure>
            do {
                var transportRequest = TransportRequest(method: request.method, url: url, headers: headers, body: body)
                transportRequest.idempotent = request.idempotent
                outcome = .success(try await transport.send(transportRequest, timeout: min(configuration.timeout, max(1, policy.maxSeconds - (Pacer.now() - started)))))
            } catch {
                outcome = .failure(error)
            }
            if let pacingKey, let slot { pacer.completed(key: pacingKey, id: slot) }
            let retryAfter: Double?
            var failure: PagerDutyError
            switch outcome {
            case .success(let response):
                if request.api == .rest { pacer.noteREST(headers: response.headers) }
                if (200..<300).contains(response.status) {
                    let value = response.body.isEmpty ? Value.null : ((try? JSONParser.parse(bytes: response.body)) ?? .string(String(decoding: response.body, as: UTF8.self)))
                    return PagerDutyResponse(status: response.status, headers: response.headers, body: value, attempts: attempt)
                }
                failure = PagerDutyError.decode(status: response.status, body: response.body, url: url.absoluteString)
                let retryable = response.status == 429 || (request.idempotent && (response.status == 408 || response.status >= 500))
                guard retryable else { throw failure }
                retryAfter = response.status == 429 ? Self.rateLimitWait(response.headers) : nil
            case .failure(let transportFailure):
                failure = PagerDutyError(.temporary, transportFailure.message)
                failure.mayHaveTakenEffect = transportFailure.kind == .uncertain
                guard request.idempotent || transportFailure.kind == .notSent else {
                    var uncertain = PagerDutyError(.temporary, transportFailure.message + "; not retried, because \(request.operation) may have taken effect and is not safe to repeat")
                    uncertain.mayHaveTakenEffect = true
                    throw uncertain
                }
                retryAfter = nil
            }
            let wait = retryAfter.map { $0 + Double.random(in: 0...0.25) } ?? policy.backoff(before: attempt + 1)
            let elapsed = Pacer.now() - started
            if attempt >= policy.maxAttempts || elapsed + wait > policy.maxSeconds {
                var final = failure
                final.kind = failure.kind == .rateLimited ? .rateLimited : .temporary
                final.message += " (gave up after \(attempt) attempt\(attempt == 1 ? "" : "s") in \(Text.fixed(elapsed, 1)) s; at most \(policy.maxAttempts) attempt\(policy.maxAttempts == 1 ? "" : "s") in \(Int(policy.maxSeconds)) s)"
                final.cause = .retryBudget
                throw final
            }
            note("\(request.operation): \(failure.httpStatus.map { "HTTP \($0)" } ?? failure.message); retrying in \(Text.fixed(wait, 1)) s (attempt \(attempt + 1) of \(policy.maxAttempts))")
            try? await Task.sleep(nanoseconds: boundedNanoseconds(wait))
            if Task.isCancelled { throw PagerDutyError(.temporary, "cancelled while retrying \(request.operation)") }
        }
    }

    /// Seconds to wait after a 429: `ratelimit-reset`, else `Retry-After`, else nil (backoff).
    /// A value that is not a non-negative number of seconds (NaN, negative) counts as absent; a long
    /// one is bounded by the caller against the request's time budget.
    static func rateLimitWait(_ headers: [String: String]) -> Double? {
        for name in ["ratelimit-reset", "retry-after"] {
            if let seconds = headers[name].flatMap({ Double($0.trimmingSpaces()) }), !seconds.isNaN, seconds >= 0 {
                return seconds
            }
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
