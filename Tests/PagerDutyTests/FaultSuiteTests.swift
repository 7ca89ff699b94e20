import Foundation
import Testing
import Values

@testable import PagerDuty
@testable import Sandbox

/// The fault suite: each failure PagerDuty (or the network) can produce, injected by the
/// sandbox into an alert event, with the retries made, the kind the caller sees, and no
/// duplicate alert. Each case runs over both transports: pdstep's own HTTP client (plain http,
/// the sandbox) and libcurl (https, proxies).
@Suite struct FaultSuiteTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var fault: String
        var count: Int
        /// nil when the event finally goes through.
        var kind: PagerDutyError.Kind?
        var attempts: Int
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "429 with ratelimit-reset", fault: #""status": 429, "headers": {"ratelimit-reset": "0"}"#, count: 2, kind: nil, attempts: 3),
        Case(name: "429 without headers", fault: #""status": 429"#, count: 1, kind: nil, attempts: 2),
        Case(name: "500", fault: #""status": 500"#, count: 1, kind: nil, attempts: 2),
        Case(name: "502 with an HTML body", fault: #""status": 502, "body": "<html>bad gateway</html>""#, count: 2, kind: nil, attempts: 3),
        Case(name: "503", fault: #""status": 503"#, count: 3, kind: nil, attempts: 4),
        Case(name: "504", fault: #""status": 504"#, count: 1, kind: nil, attempts: 2),
        Case(name: "connection reset", fault: #""drop": true"#, count: 1, kind: nil, attempts: 1),
        Case(name: "5xx past the retries", fault: #""status": 503"#, count: 9, kind: .temporary, attempts: 4),
        Case(name: "429 past the retries", fault: #""status": 429"#, count: 9, kind: .rateLimited, attempts: 4),
        Case(name: "malformed JSON error body", fault: #""status": 400, "body": "{\"status\": \"invalid""#, count: 1, kind: .refused, attempts: 1),
        Case(name: "401", fault: #""status": 401, "body": "{\"error\":{\"message\":\"Unauthorized\",\"code\":2006}}""#, count: 1, kind: .unauthorized, attempts: 1),
        Case(name: "403", fault: #""status": 403, "body": "{\"error\":{\"message\":\"Access Denied\",\"code\":2010,\"errors\":[\"read-only key\"]}}""#, count: 1, kind: .forbidden, attempts: 1),
        Case(name: "404", fault: #""status": 404"#, count: 1, kind: .notFound, attempts: 1),
    ]

    @Test(arguments: cases, TransportKind.allCases)
    func fault(_ c: Case, _ transport: TransportKind) async throws {
        let f = try ClientFixture(retry: RetryPolicy(maxAttempts: 4, maxSeconds: 60, initialDelay: 0.02, maxDelay: 0.1), transport: transport.make())
        defer { f.sandbox.stop() }
        f.fault(try JSONParser.parse("{\"path\": \"/v2/enqueue\", \"count\": \(c.count), \(c.fault)}"))
        do {
            let (result, _) = try await f.client.send(f.trigger("fault-key"))
            #expect(c.kind == nil, "\(c.name) should have failed")
            #expect(result.response.attempts >= c.attempts, "\(c.name)")
            #expect(result.dedupKey == "fault-key")
        } catch {
            #expect(error.kind == c.kind, "\(c.name): \(error)")
            #expect(f.requests.count == c.attempts, "\(c.name): \(f.requests.count) tries")
            #expect(!error.description.isEmpty && error.httpStatus != nil)
        }
        // Never a duplicate: at most one alert for the key, however many tries.
        let alerts = (f.state["incidents"]?.arrayValue ?? []).flatMap { $0["alerts"]?.arrayValue ?? [] }
        #expect(alerts.count == (c.kind == nil ? 1 : 0), "\(c.name)")
    }

    @Test func aSuccessWithAMalformedBodyStillCounts() async throws {
        let f = try ClientFixture()
        defer { f.sandbox.stop() }
        f.fault(["path": "/v2/enqueue", "count": 1, "status": 202, "body": "not json"])
        let (result, _) = try await f.client.send(f.trigger("k"))
        #expect(result.dedupKey == "k")
    }
}
