import FoundationEssentials
import Synchronization

/// Execution ids. `${job.execid}` is a number, as in Rundeck: the time in milliseconds, made
/// strictly increasing within the process, so that two jobs started in the same millisecond
/// (a long-running receiver starts many) never share one. `${job.executionUuid}` is a random
/// UUID, unique across processes too.
public enum ExecutionID {
    private static let last = Mutex<Int64>(0)

    /// The next id: the current time in milliseconds, or one more than the last id given.
    public static func next(now: Date = Date()) -> String {
        let millis = Int64(max(0, now.timeIntervalSince1970) * 1000)
        return String(last.withLock { last in
            last = max(last + 1, millis)
            return last
        })
    }

    /// A new random UUID, lowercased as Rundeck writes them.
    static func uuid() -> String { UUID().uuidString.lowercased() }
}
