#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Synchronization
import Values

/// The embedded PagerDuty emulator: an HTTP server on 127.0.0.1 that answers the Events API
/// and the REST endpoints pdstep's steps use, with a seeded demo account, PagerDuty's status
/// codes and error shapes, rate limits, fault injection and a request log.
///
/// Admin paths (not PagerDuty's): `GET /_sandbox/state`, `GET|DELETE /_sandbox/requests`,
/// `POST /_sandbox/faults`, `POST /_sandbox/limits`, `POST /_sandbox/reset`; `GET /` is a
/// read-only HTML page of the incidents.
public final class Sandbox: Sendable {
    /// The demo account's credentials, for scripts and `--sandbox`.
    public struct Demo: Sendable {
        public var apiKey = SandboxState.accountAPIKey
        public var userAPIKey = SandboxState.userAPIKey
        public var routingKey = SandboxState.integrationKey
        public var secondRoutingKey = SandboxState.secondIntegrationKey
        public var fromEmail = SandboxState.fromEmail
        public var oauthClientID = SandboxState.oauthClientID
        public var oauthClientSecret = SandboxState.oauthClientSecret
    }

    public static let demo = Demo()

    /// One injected fault: the next `count` requests whose path starts with `path` (and whose
    /// method matches, if given) get `status` (and `body`), a delay, or a dropped connection.
    struct Fault {
        var path: String
        var method: String?
        var remaining: Int
        var status: Int?
        var body: String?
        var headers: [(String, String)]
        var delay: Double
        var drop: Bool
    }

    struct Limits {
        var restLimit = 960
        var eventsLimit = 120
        var window = 60.0
    }

    struct Shared {
        var state = SandboxState()
        var faults: [Fault] = []
        var log: [Value] = []
        /// The encoded size of each log entry, and their sum (the log is bounded by bytes).
        var logSizes: [Int] = []
        var logBytes = 0
        var logByteLimit = Sandbox.maxLogBytes
        var limits = Limits()
        var restHits: [String: [Double]] = [:]
        var eventHits: [String: [Double]] = [:]
        /// Counts the requests that may have changed something, for the pages' reload.
        var version = 0
    }

    let shared = Mutex(Shared())
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    /// `http://127.0.0.1:PORT` once started.
    public let url = Mutex("")

    public init() {}

    /// Starts listening (0 picks a free port) and answers the base URL.
    @discardableResult
    public func start(port: UInt16 = 0) throws -> String {
        let http = HTTPServer { [self] request in handle(request) }
        let chosen = try http.start(port: port)
        let base = "http://127.0.0.1:\(chosen)"
        shared.withLock { $0.state.baseURL = base }
        url.withLock { $0 = base }
        server.withLock { $0 = http }
        return base
    }

    public func stop() {
        server.withLock { $0?.stop(); $0 = nil }
    }

    // MARK: Dispatch

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.path.hasPrefix("/_sandbox/") || request.path == "/" || request.path == "/index.html" {
            return admin(request)
        }
        // Faults first: they stand for a broken network or an unhappy PagerDuty.
        let fault: Fault? = shared.withLock { shared in
            guard let index = shared.faults.firstIndex(where: { request.path.hasPrefix($0.path) && ($0.method == nil || $0.method == request.method) }) else {
                return nil
            }
            let fault = shared.faults[index]
            shared.faults[index].remaining -= 1
            if shared.faults[index].remaining <= 0 { shared.faults.remove(at: index) }
            return fault
        }
        var response: HTTPResponse
        if let fault {
            if fault.delay > 0 { usleep(UInt32(min(fault.delay, 3600) * 1_000_000)) }
            if fault.drop {
                record(request, status: 0, note: "connection dropped (fault)")
                return .dropped
            }
            if let status = fault.status {
                response = HTTPResponse(status: status, headers: fault.headers, body: Array((fault.body ?? "").utf8))
                record(request, status: status, note: "injected fault")
                return response
            }
        }
        // A browser opening an incident's html_url gets the page, not a 401.
        if Self.wantsPage(request), request.path.hasPrefix("/incidents/") {
            let id = String(request.path.dropFirst("/incidents/".count))
            guard let index = shared.withLock({ $0.state.findIncident(id) }) else {
                return .text(404, pageDocument(title: "Not found", body: "<h1>No incident \(Self.htmlEscaped(id))</h1>"), contentType: "text/html; charset=utf-8")
            }
            return .text(200, incidentPage(index), contentType: "text/html; charset=utf-8")
        }
        if request.method != "GET" { shared.withLock { $0.version += 1 } }
        if request.path == "/v2/enqueue" || request.path == "/v2/change/enqueue" {
            response = events(request)
        } else if request.path == "/oauth/token" {
            response = oauthToken(request)
        } else {
            response = rest(request)
        }
        record(request, status: response.status, note: nil, response: response.body)
        deliverWebhooks()
        return response
    }

    /// Keeps a line per request (never a key: only which kind of credential was used).
    func record(_ request: HTTPRequest, status: Int, note: String?, response: [UInt8] = []) {
        let auth: String
        switch request.header("Authorization") {
        case "Token token=\(SandboxState.accountAPIKey)"?: auth = "account-key"
        case "Token token=\(SandboxState.userAPIKey)"?: auth = "user-key"
        case let value? where value.hasPrefix("Bearer "): auth = "oauth"
        case .some: auth = "invalid"
        case nil: auth = "none"
        }
        var entry = ValueObject([
            ("time", .string(SandboxState.now())), ("method", .string(request.method)), ("path", .string(request.path)),
            ("status", .int(status)), ("auth", .string(auth)),
        ])
        if !request.query.isEmpty {
            entry["query"] = .string(request.target.split(separator: "?", maxSplits: 1).last.map(String.init) ?? "")
            entry["query_names"] = .array(request.query.map { .string($0.name) })
        }
        // The headers that PagerDuty's spec talks about (never Authorization).
        var headers = ValueObject()
        for name in ["Accept", "Content-Type", "From", "User-Agent"] {
            if let value = request.header(name) { headers[name] = .string(value) }
        }
        entry["headers"] = .object(headers)
        if let from = request.header("From") { entry["from"] = .string(from) }
        if let agent = request.header("User-Agent") { entry["user_agent"] = .string(agent) }
        if let note { entry["note"] = .string(note) }
        // Bodies are logged up to a size; a bigger one is noted, not kept.
        if request.body.count > Self.maxLoggedBody {
            entry["body_bytes"] = .int(request.body.count)
            entry["body_omitted"] = .string("larger than \(Self.maxLoggedBody >> 10) KB")
        } else if !request.body.isEmpty, let body = try? JSONParser.parse(bytes: request.body) {
            entry["body"] = Self.maskKeys(body)
        }
        // The answer, as the request log's readers (and the schema test) see it.
        if !response.isEmpty, response.count <= Self.maxLoggedBody, let body = try? JSONParser.parse(bytes: response) {
            entry["response"] = Self.maskKeys(body)
        }
        let record = Value.object(entry)
        let size = JSONWriter.write(record).utf8.count
        shared.withLock { shared in
            shared.log.append(record)
            shared.logSizes.append(size)
            shared.logBytes += size
            // Bounded by count and by bytes: the oldest entries go first.
            var drop = 0
            while drop < shared.log.count - 1 && (shared.log.count - drop > Self.maxLogEntries || shared.logBytes > shared.logByteLimit) {
                shared.logBytes -= shared.logSizes[drop]
                drop += 1
            }
            if drop > 0 {
                shared.log.removeFirst(drop)
                shared.logSizes.removeFirst(drop)
            }
        }
    }

    /// Request log bounds: entries, bytes in all, and the largest body kept.
    static let maxLogEntries = 10_000
    static let maxLogBytes = 32 << 20
    static let maxLoggedBody = 256 << 10

    /// A body with every secret-looking field masked, at any depth, for the request log: the
    /// routing key as 32 asterisks (so the logged body keeps the shape PagerDuty's schema asks
    /// for), other fields whose names look secret (`password`, `token`, `api_key`, ...) as `****`.
    static func maskKeys(_ value: Value) -> Value {
        switch value {
        case .object(var object):
            for entry in object.entries {
                let (key, field) = (entry.key, entry.value)
                if key == "routing_key" || key == "service_key" || key == "integration_key" {
                    object[key] = field.stringValue != nil ? .string(String(repeating: "*", count: 32)) : field
                } else if Self.looksSecret(key), field.stringValue != nil {
                    object[key] = .string("****")
                } else {
                    object[key] = maskKeys(field)
                }
            }
            return .object(object)
        case .array(let items):
            return .array(items.map(maskKeys))
        default:
            return value
        }
    }

    private static func looksSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        return ["password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "authorization", "credential", "private_key"].contains { lower.contains($0) }
    }

    // MARK: Helpers

    static func json(_ status: Int, _ value: Value, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(JSONWriter.write(value).utf8))
    }

    /// PagerDuty's REST error shape.
    static func restError(_ status: Int, _ message: String, code: Int, errors: [String] = []) -> HTTPResponse {
        var error = ValueObject([("message", .string(message)), ("code", .int(code))])
        if !errors.isEmpty { error["errors"] = .array(errors.map(Value.string)) }
        return json(status, ["error": .object(error)])
    }

    /// A sliding-window limit: answers the headers, and whether this request is over.
    func rateLimit(_ key: String, events: Bool) -> (over: Bool, headers: [(name: String, value: String)]) {
        shared.withLock { shared in
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            let limit = events ? shared.limits.eventsLimit : shared.limits.restLimit
            let window = shared.limits.window
            var hits = (events ? shared.eventHits[key] : shared.restHits[key]) ?? []
            hits.removeAll { $0 <= now - window }
            let over = hits.count >= limit
            if !over { hits.append(now) }
            if events { shared.eventHits[key] = hits } else { shared.restHits[key] = hits }
            let reset = max(1, Int(((hits.first ?? now) + window - now).rounded(.up)))
            return (over, [("ratelimit-limit", String(limit)), ("ratelimit-remaining", String(max(0, limit - hits.count))), ("ratelimit-reset", String(reset))])
        }
    }
}
