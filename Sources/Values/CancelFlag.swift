import Synchronization

/// Set from a task's cancellation handler, read by a blocking loop between its waits.
public final class CancelFlag: Sendable {
    private let flag = Atomic(false)
    public init() {}
    public func set() { flag.store(true, ordering: .relaxed) }
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}
