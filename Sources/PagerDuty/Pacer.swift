import Foundation
import Synchronization

/// Keeps request rates under PagerDuty's limits, so a burst slows down instead of collecting
/// 429s: events per routing key by a sliding window (PagerDuty counts events over a sliding
/// window), REST requests by the `ratelimit-*` headers of earlier answers.
public final class Pacer: Sendable {
    private struct State {
        var sent: [String: [Double]] = [:]
        var restPausedUntil: Double = 0
    }

    private let state = Mutex(State())
    private let limit: Int
    private let window: Double

    private let margin: Double

    public init(limit: Int, window: Double) {
        self.limit = max(1, limit)
        self.window = window
        self.margin = max(0.05, window * 0.02)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Waits until one more event for `key` fits in the window, and counts it.
    public func waitForEvent(key: String) async {
        while true {
            let wait: Double = state.withLock { state in
                let now = Self.now()
                var times = state.sent[key, default: []]
                times.removeAll { $0 <= now - window - margin }
                if times.count < limit {
                    times.append(now)
                    state.sent[key] = times
                    return 0
                }
                state.sent[key] = times
                // A small margin, because PagerDuty counts arrivals and ours are sends.
                return (times.first ?? now) + window + margin - now
            }
            if wait <= 0 { return }
            try? await Task.sleep(nanoseconds: UInt64(wait * 1e9) + 1_000_000)
        }
    }

    /// Waits while the REST allowance is used up.
    public func waitForREST() async {
        let wait = state.withLock { $0.restPausedUntil - Self.now() }
        if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
    }

    /// Reads `ratelimit-remaining` and `ratelimit-reset` from a REST answer: when nothing is
    /// left, later requests wait for the reset.
    public func noteREST(headers: [String: String]) {
        guard let remaining = headers["ratelimit-remaining"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
            remaining <= 0, let reset = headers["ratelimit-reset"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) })
        else { return }
        state.withLock { $0.restPausedUntil = max($0.restPausedUntil, Self.now() + reset) }
    }
}
