#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Values

/// Keeps request rates under PagerDuty's limits, so a burst slows down instead of collecting
/// 429s: events per routing key by a sliding window (PagerDuty counts events over a sliding
/// window), REST requests by the `ratelimit-*` headers of earlier answers.
public final class Pacer: Sendable {
    private struct State {
        /// Per key: each event's id and when it counts from. That is its send time until the
        /// answer comes, then the answer's time: PagerDuty counts arrivals, which happen
        /// somewhere in between, so the later time is the safe one. An event still in flight
        /// holds its place whatever its age (it may not have arrived yet), up to
        /// `inFlightLimit` seconds, after which it was lost without an answer.
        var sent: [String: [(id: UInt64, time: Double, answered: Bool)]] = [:]
        var nextID: UInt64 = 0
        var restPausedUntil: Double = 0
    }

    private let state = Mutex(State())
    private let limit: Int
    private let window: Double

    private let margin: Double

    /// A pacer allowing `limit` events per routing key in any `window` seconds.
    public init(limit: Int, window: Double) {
        self.limit = max(1, limit)
        self.window = window
        self.margin = max(0.05, window * 0.01)
    }

    static func now() -> Double { Double(monotonicNanoseconds()) / 1e9 }

    /// Seconds an unanswered event may hold its place beyond the window (a request never
    /// outlasts its retry budget by this much; a cancelled one may never report its answer).
    static let inFlightLimit: Double = 600

    /// Waits until one more event for `key` fits in the window, and counts it. Call
    /// `completed(key:id:)` with the answer's id when the answer arrives.
    public func waitForEvent(key: String) async -> UInt64 {
        while true {
            let (id, wait): (UInt64, Double) = state.withLock { state in
                let now = Self.now()
                var times = state.sent[key, default: []]
                times.removeAll { $0.time <= now - window - margin - ($0.answered ? 0 : Self.inFlightLimit) }
                if times.count < limit {
                    state.nextID += 1
                    times.append((state.nextID, now, false))
                    state.sent[key] = times
                    return (state.nextID, 0)
                }
                state.sent[key] = times
                // The first place to free: an answered event's, or failing that an unanswered
                // one's at its limit (an answer, when it comes, frees a place sooner: checked again
                // within a second).
                let free = times.map { $0.time + ($0.answered ? 0 : Self.inFlightLimit) }.min() ?? now
                return (0, min(free + window + margin - now, 1))
            }
            if wait <= 0 { return id }
            try? await Task.sleep(nanoseconds: boundedNanoseconds(wait) + 1_000_000)
        }
    }

    /// The answer to event `id` arrived: it counts from now.
    public func completed(key: String, id: UInt64) {
        state.withLock { state in
            guard let index = state.sent[key]?.firstIndex(where: { $0.id == id }) else { return }
            state.sent[key]?[index].time = Self.now()
            state.sent[key]?[index].answered = true
        }
    }

    /// Seconds until the REST allowance is back (0 when it is not used up).
    public func restWait() -> Double {
        state.withLock { max(0, $0.restPausedUntil - Self.now()) }
    }

    /// Reads `ratelimit-remaining` and `ratelimit-reset` from a REST answer: when nothing is
    /// left, later requests wait for the reset. A reset that is not a finite, non-negative
    /// number is ignored; the client bounds any wait by the request's time budget.
    public func noteREST(headers: [String: String]) {
        guard let remaining = headers["ratelimit-remaining"].flatMap({ Int($0.trimmingSpaces()) }),
            remaining <= 0, let reset = headers["ratelimit-reset"].flatMap({ Double($0.trimmingSpaces()) }),
            reset.isFinite, reset >= 0
        else { return }
        state.withLock { $0.restPausedUntil = max($0.restPausedUntil, Self.now() + min(reset, 86_400)) }
    }
}
