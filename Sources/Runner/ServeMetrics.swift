import Synchronization

/// What `pdstep serve` counts, for `GET /metrics` in the Prometheus text format (version 0.0.4):
/// webhooks received, refused by reason, accepted, seen before and matching no route;
/// executions by result, running, and waiting; how long executions took and how long an event
/// waited from its 202 to its job's start.
public final class ServeMetrics: Sendable {
    /// Why a webhook was refused (the `reason` label).
    public enum Refusal: String, Sendable, CaseIterable {
        case missingSignature = "missing_signature", malformedSignature = "malformed_signature", invalidSignature = "invalid_signature"
        case notAWebhook = "not_a_webhook", tooLarge = "too_large", spoolUnavailable = "spool_unavailable", stopping
    }

    /// A histogram's counts (cumulative per bucket when written).
    struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0
        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }
        mutating func observe(_ value: Double) {
            for (index, bound) in bounds.enumerated() where value <= bound { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    struct State {
        var received = 0
        var refused: [Refusal: Int] = [:]
        var accepted = 0
        var duplicates = 0
        var unrouted = 0
        var executions: [String: Int] = [:]
        var running = 0
        var waiting = 0
        var durations = Histogram(bounds: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600])
        var startDelays = Histogram(bounds: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300])
    }

    private let state = Mutex(State())

    public init() {}

    public func received() { state.withLock { $0.received += 1 } }
    public func refused(_ reason: Refusal) { state.withLock { $0.refused[reason, default: 0] += 1 } }
    public func accepted() { state.withLock { $0.accepted += 1 } }
    public func duplicate() { state.withLock { $0.duplicates += 1 } }
    public func unrouted() { state.withLock { $0.unrouted += 1 } }

    /// An execution started, `delay` seconds after its event was accepted.
    public func started(after delay: Double) {
        state.withLock {
            $0.running += 1
            $0.startDelays.observe(max(0, delay))
        }
    }

    /// An execution ended with `result` (succeeded, failed, timedout, other, aborted) after `seconds`.
    public func ended(_ result: String, seconds: Double) {
        state.withLock {
            $0.running -= 1
            $0.executions[result, default: 0] += 1
            $0.durations.observe(max(0, seconds))
        }
    }

    /// Runs waiting for a free slot (the overall or the job's own limit).
    public func setWaiting(_ count: Int) { state.withLock { $0.waiting = count } }

    /// Everything, in the Prometheus text format.
    public func text() -> String {
        let s = state.withLock { $0 }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { out += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        func histogram(_ name: String, _ help: String, _ h: Histogram) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (bound, count) in zip(h.bounds, h.counts) { out += "\(name)_bucket{le=\"\(Self.number(bound))\"} \(count)\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(h.count)\n\(name)_sum \(Self.number(h.sum))\n\(name)_count \(h.count)\n"
        }
        metric("pdstep_webhooks_received_total", "counter", "Webhook requests received on the webhook path.", [("", "\(s.received)")])
        metric(
            "pdstep_webhooks_refused_total", "counter", "Webhook requests refused, by reason.",
            Refusal.allCases.map { ("{reason=\"\($0.rawValue)\"}", "\(s.refused[$0] ?? 0)") })
        metric("pdstep_webhooks_accepted_total", "counter", "Webhook events accepted (kept in the spool) for the first time.", [("", "\(s.accepted)")])
        metric("pdstep_webhooks_duplicate_total", "counter", "Webhook events accepted again and not run (an id seen before).", [("", "\(s.duplicates)")])
        metric("pdstep_webhooks_unrouted_total", "counter", "Accepted events that no route matched.", [("", "\(s.unrouted)")])
        metric(
            "pdstep_executions_total", "counter", "Job executions ended, by result.",
            ["succeeded", "failed", "timedout", "aborted", "other"].map { ("{result=\"\($0)\"}", "\(s.executions[$0] ?? 0)") })
        metric("pdstep_executions_running", "gauge", "Job executions running now.", [("", "\(s.running)")])
        metric("pdstep_queue_depth", "gauge", "Job executions waiting for a free slot (overall or the job's own limit).", [("", "\(s.waiting)")])
        histogram("pdstep_execution_duration_seconds", "How long job executions took.", s.durations)
        histogram("pdstep_webhook_to_start_seconds", "From an event's acceptance to its job's start.", s.startDelays)
        return out
    }

    /// A number as Prometheus writes it (no exponent for the usual magnitudes).
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
