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
import Values

/// Webhooks, as PagerDuty sends them: `/webhook_subscriptions` (create, with a secret shown
/// once; list; delete; ping), and v3 webhook deliveries of incident events to every subscribed
/// URL, signed with `X-PagerDuty-Signature: v1=<HMAC-SHA256 of the body>`, tried again on
/// failure as PagerDuty does (here: 3 attempts, 1 s then 2 s apart). Deliveries go to http URLs
/// (the sandbox talks to receivers on this machine, such as `pdstep serve`).
extension Sandbox {
    func routeWebhooks(_ call: RESTCall, _ state: inout SandboxState) -> HTTPResponse {
        let (method, parts, body) = (call.method, call.parts, call.body)
        switch (method, parts.count) {
        case ("POST", 1):
            guard case .object(let given)? = body["webhook_subscription"], let url = given["delivery_method"]?["url"]?.stringValue,
                url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://")
            else {
                return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["webhook_subscription.delivery_method.url must be an http(s) URL"])
            }
            let id = state.nextID("PSUB")
            let secret = "sandbox-whsec-" + UUID().uuidString.lowercased()
            var subscription = given
            subscription["id"] = .string(id)
            subscription["type"] = "webhook_subscription"
            subscription["active"] = true
            subscription["events"] = given["events"] ?? .array(Self.webhookEventTypes.map(Value.string))
            subscription["filter"] = given["filter"] ?? ["type": "account_reference"]
            subscription["delivery_method"] = ["type": "http_delivery_method", "url": .string(url), "custom_headers": .array([]), "temporarily_disabled": false]
            state.webhookSubscriptions.append((subscription, secret))
            // The secret is shown once, in the answer to the create.
            var shown = subscription
            shown["delivery_method"] = ["type": "http_delivery_method", "url": .string(url), "secret": .string(secret), "custom_headers": .array([]), "temporarily_disabled": false]
            return Self.json(200, ["webhook_subscription": .object(shown)])
        case ("GET", 1):
            return Self.page(call.request, "webhook_subscriptions", state.webhookSubscriptions.map { .object($0.subscription) })
        case ("DELETE", 2):
            guard let index = state.webhookSubscriptions.firstIndex(where: { $0.subscription["id"]?.stringValue == parts[1] }) else { return Self.notFound }
            state.webhookSubscriptions.remove(at: index)
            return HTTPResponse(status: 204)
        case ("POST", 3) where parts[2] == "ping":
            guard let index = state.webhookSubscriptions.firstIndex(where: { $0.subscription["id"]?.stringValue == parts[1] }) else { return Self.notFound }
            state.webhookOutbox.append(WebhookEvent(type: "pagey.ping", incidentID: nil, agent: nil, only: index))
            return HTTPResponse(status: 202)
        default:
            return Self.notFound
        }
    }

    /// The incident events the sandbox sends.
    static let webhookEventTypes = [
        "incident.triggered", "incident.acknowledged", "incident.resolved", "incident.annotated", "incident.escalated",
        "incident.reassigned", "incident.responder.added", "incident.status_update_published",
    ]

    /// Sends what the last request queued, each to the subscriptions that want it, off the
    /// request's thread.
    func deliverWebhooks() {
        let (events, subscriptions, payloads) = shared.withLock { shared -> ([WebhookEvent], [(subscription: ValueObject, secret: String)], [Value]) in
            let events = shared.state.webhookOutbox
            shared.state.webhookOutbox = []
            let payloads = events.map { shared.state.webhookPayload($0, id: shared.state.nextID("01WH")) }
            return (events, shared.state.webhookSubscriptions, payloads)
        }
        guard !events.isEmpty else { return }
        for (event, payload) in zip(events, payloads) {
            for (index, entry) in subscriptions.enumerated() {
                if let only = event.only, only != index { continue }
                let wanted = entry.subscription["events"]?.arrayValue?.compactMap(\.stringValue) ?? []
                guard event.type == "pagey.ping" || wanted.contains(event.type) else { continue }
                if let filter = entry.subscription["filter"], filter["type"]?.stringValue == "service_reference",
                    payload["event"]?["data"]?["service"]?["id"]?.stringValue != filter["id"]?.stringValue
                {
                    continue
                }
                guard let url = entry.subscription["delivery_method"]?["url"]?.stringValue else { continue }
                let body = Array(JSONWriter.write(payload).utf8)
                let signature = "v1=" + Text.hex(bytes: SHA256.hmac(key: Array(entry.secret.utf8), message: body))
                DispatchQueue.global().async { Self.post(url, body: body, signature: signature) }
            }
        }
    }

    /// One delivery, with PagerDuty's retries (here 3 attempts, 1 s then 2 s apart).
    static func post(_ url: String, body: [UInt8], signature: String) {
        for attempt in 0..<3 {
            if attempt > 0 { usleep(UInt32(attempt) * 1_000_000) }
            if let status = HTTPClient.post(url, body: body, headers: [("Content-Type", "application/json"), ("X-PagerDuty-Signature", signature), ("User-Agent", "PagerDuty-Webhook/V3.0")]),
                (200..<300).contains(status)
            {
                return
            }
        }
    }
}

/// An incident event waiting to be delivered.
struct WebhookEvent {
    var type: String
    var incidentID: String?
    /// Who did it (a user or service reference).
    var agent: Value?
    /// For a ping: the one subscription it goes to.
    var only: Int?
}

extension SandboxState {
    /// Queues an incident event for the subscriptions.
    mutating func announce(_ type: String, incidentID: String, agent: Value? = nil) {
        guard !webhookSubscriptions.isEmpty else { return }
        webhookOutbox.append(WebhookEvent(type: type, incidentID: incidentID, agent: agent))
    }

    /// A v3 webhook payload: `{"event": {id, event_type, resource_type, occurred_at, agent,
    /// client, data}}`, the data the incident as the REST API returns it.
    func webhookPayload(_ event: WebhookEvent, id: String) -> Value {
        var object = ValueObject([
            ("id", .string(id)), ("event_type", .string(event.type)), ("resource_type", .string(event.type == "pagey.ping" ? "pagey" : "incident")),
            ("occurred_at", .string(Self.now())), ("agent", event.agent ?? .null), ("client", .null),
        ])
        if let incidentID = event.incidentID, let position = incidentPositions[incidentID] {
            object["data"] = incident(incidents[position])
        } else {
            object["data"] = ["message": "Hello from your friend Pagey!", "type": "ping"]
        }
        return ["event": .object(object)]
    }
}

/// A minimal HTTP/1.1 client for the sandbox's own deliveries: one POST to an http URL, the
/// answer's status or nil; bounded in time (5 s to connect and answer).
enum HTTPClient {
    static func post(_ url: String, body: [UInt8], headers: [(String, String)]) -> Int? {
        guard let parsed = URL(string: url), parsed.scheme?.lowercased() == "http", let host = parsed.host else { return nil }
        let port = parsed.port ?? 80
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else { return nil }
        defer { freeaddrinfo(info) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else { return nil }
        let path = parsed.path.isEmpty ? "/" : parsed.path + (parsed.query.map { "?" + $0 } ?? "")
        var head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return nil }
            sent += count
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < 65536 {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[0..<count]
            if answer.contains(0x0A) { break }
        }
        let line = String(decoding: answer.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}
