import Synchronization

/// The runs `pdstep serve` has to start, and which may start now: at most `limit` at once, and
/// at most each job's own limit for that job. A run whose job is busy waits, and runs behind it
/// for other jobs go ahead; each job's runs start in the order they came. After `stopStarting`,
/// nothing more starts (a stopping server leaves what waits in the spool).
public final class RunQueue<Item: Sendable>: Sendable {
    struct Waiting {
        var job: String
        var jobLimit: Int?
        var item: Item
    }

    struct State {
        var waiting: [Waiting] = []
        var running: [String: Int] = [:]
        var total = 0
        var stopped = false
    }

    private let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) { self.limit = limit }

    /// Adds a run of `job` (limit nil: any number at once); answers the runs to start now.
    public func add(_ item: Item, job: String, jobLimit: Int?) -> [Item] {
        state.withLock { state in
            state.waiting.append(Waiting(job: job, jobLimit: jobLimit, item: item))
            return Self.startable(&state, limit: limit)
        }
    }

    /// A run of `job` ended; answers the runs to start now.
    public func finished(job: String) -> [Item] {
        state.withLock { state in
            state.running[job, default: 1] -= 1
            state.total -= 1
            return Self.startable(&state, limit: limit)
        }
    }

    /// Starts nothing more; answers the runs left waiting.
    public func stopStarting() -> Int {
        state.withLock { state in
            state.stopped = true
            return state.waiting.count
        }
    }

    /// Runs waiting, and running.
    public var counts: (waiting: Int, running: Int) { state.withLock { ($0.waiting.count, $0.total) } }

    private static func startable(_ state: inout State, limit: Int) -> [Item] {
        guard !state.stopped else { return [] }
        var start: [Item] = []
        var index = 0
        while index < state.waiting.count && state.total < limit {
            let run = state.waiting[index]
            if let jobLimit = run.jobLimit, state.running[run.job, default: 0] >= jobLimit {
                index += 1
                continue
            }
            state.waiting.remove(at: index)
            state.running[run.job, default: 0] += 1
            state.total += 1
            start.append(run.item)
        }
        return start
    }
}
