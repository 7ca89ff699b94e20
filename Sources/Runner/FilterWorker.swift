#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Values

/// Runs a step's capture filters over its standard output on a thread of their own, within a
/// budget of matching time.
///
/// A log filter's regex comes from the job and the text from a command: a pattern that
/// backtracks on some output (`(.+?)\s*=` on a long run of spaces, `(a+)+b`) can take minutes
/// or, for ever, and Swift's `Regex` cannot be interrupted. So the lines go through a queue to
/// this thread, and the step waits for it at most `budget` seconds of matching in all. Past the
/// budget, matching stops, every line is still logged as if unfiltered (unless `hideOutput`
/// hides every line: those stay hidden, a value hidden on purpose is never shown), the step
/// keeps no captured data (a partial capture could hold stale values) and a note says why; a
/// match still running is left to end on its own thread. The reader of the pipe never
/// matches, so the command is never held up by a pattern for longer than the budget.
final class FilterWorker: @unchecked Sendable {
    /// Seconds of matching a step's output may take in all.
    static let budget: Double = 30
    /// Output queued ahead of the matching thread before the reader waits for it.
    static let maximumQueuedBytes = 256 << 10

    /// What the filters left when the step's output ended.
    enum Result {
        /// Matched to the end: the data captured and the notes to log.
        case finished(data: [(key: String, value: String)], notes: [String])
        /// The budget ran out: nothing captured, and the note that says so.
        case stopped(note: String)
    }

    private let budget: Double
    private let emit: @Sendable (String) -> Void
    /// Lines are logged once matching stops (false when `hideOutput` hides them all).
    private let showsUnmatched: Bool
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    // Shared state, under `mutex`.
    /// Lines waiting to be matched: `queue[head...]`.
    private var queue: [String] = []
    private var head = 0
    private var queuedBytes = 0
    private var closed = false
    /// The matching thread waits for lines; the reader waits for room in the queue.
    private var workerWaiting = false
    private var readerWaiting = false
    /// The line being matched (logged by whoever gives up on it) and since when.
    private var current: String?
    private var matchingSince: Double?
    private var spent: Double = 0
    /// Set once: finished, or stopped (then lines are logged unmatched, by whichever thread has
    /// them).
    private var result: Result?

    /// Starts the thread. `emit` logs a line that is to be shown.
    init(_ filters: OutputFilters, budget: Double = FilterWorker.budget, emit: @escaping @Sendable (String) -> Void) {
        self.budget = budget
        self.emit = emit
        self.showsUnmatched = !filters.hidesEveryLine
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        startThread { [self] in self.work(filters) }
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        wake.deallocate()
    }

    /// Hands on one line of output (from the pipe's reader). Waits while `maximumQueuedBytes`
    /// are queued, as a full pipe would, but never past the budget.
    func take(_ line: String) {
        pthread_mutex_lock(mutex)
        if queuedBytes >= Self.maximumQueuedBytes {
            // Full: wait until the matching thread has taken half of it (not a wake-up a line).
            readerWaiting = true
            while result == nil && queuedBytes >= Self.maximumQueuedBytes / 2 {
                if overBudget() { giveUp(overBudgetReason) } else { waitBriefly() }
            }
            readerWaiting = false
        }
        if case .stopped = result {
            pthread_mutex_unlock(mutex)
            if showsUnmatched { emit(line) }
            return
        }
        queue.append(line)
        queuedBytes += line.utf8.count
        if workerWaiting { pthread_cond_broadcast(wake) }
        pthread_mutex_unlock(mutex)
    }

    /// The output has ended: waits for the filters to finish (the multi-line match runs now),
    /// at most until the budget is spent or `cancelled` says the job is over. Blocks: call it
    /// off the cooperative threads.
    func finish(cancelled: @Sendable () -> Bool = { false }) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        closed = true
        pthread_cond_broadcast(wake)
        while true {
            if let result { return result }
            if overBudget() {
                giveUp(overBudgetReason)
            } else if cancelled() {
                giveUp("the step ended before matching its output did")
            } else {
                waitBriefly()
            }
        }
    }

    // MARK: The matching thread

    private func work(_ start: OutputFilters) {
        var filters = start
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            while head == queue.count && !closed && result == nil {
                workerWaiting = true
                pthread_cond_wait(wake, mutex)
                workerWaiting = false
            }
            if result != nil { return }
            let started = now()
            matchingSince = started
            guard head < queue.count else {
                // Closed and drained: the end-of-output match, within what is left of the budget.
                pthread_mutex_unlock(mutex)
                let notes = filters.finish()
                pthread_mutex_lock(mutex)
                if result != nil { return }
                matchingSince = nil
                result = .finished(data: filters.data, notes: notes)
                pthread_cond_broadcast(wake)
                return
            }
            let line = pop()
            current = line
            pthread_mutex_unlock(mutex)
            let show = filters.process(line)
            pthread_mutex_lock(mutex)
            // Given up meanwhile: whoever gave up logged this line and the queue.
            if result != nil { return }
            spent += now() - started
            current = nil
            matchingSince = nil
            // Logged under the mutex, so that a line never overtakes one logged by `giveUp`.
            if show { emit(line) }
            if spent > budget {
                giveUp(overBudgetReason)
                return
            }
        }
    }

    /// The next queued line; the queue's storage is compacted as it is read.
    private func pop() -> String {
        let line = queue[head]
        head += 1
        queuedBytes -= line.utf8.count
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= queue.count {
            queue.removeFirst(head)
            head = 0
        }
        if readerWaiting && queuedBytes < Self.maximumQueuedBytes / 2 { pthread_cond_broadcast(wake) }
        return line
    }

    // MARK: Under the mutex

    /// Whether matching has used the budget, counting a match still running.
    private func overBudget() -> Bool {
        spent + (matchingSince.map { now() - $0 } ?? 0) > budget
    }

    /// Stops matching: the line being matched and the queued ones are logged now, in order,
    /// and the step gets no data.
    private func giveUp(_ why: String) {
        let shown = showsUnmatched ? "the output is shown whole" : "the output stays hidden (hideOutput)"
        result = .stopped(note: "log filters: \(why): \(shown) and no data was captured from it")
        let lines = showsUnmatched ? (current.map { [$0] } ?? []) + queue[head...] : []
        current = nil
        queue.removeAll()
        head = 0
        queuedBytes = 0
        for line in lines { emit(line) }
        pthread_cond_broadcast(wake)
    }

    private var overBudgetReason: String {
        "the capture patterns spent more than \(Text.seconds(budget)) s matching this step's output (a pattern that backtracks on it does that), so matching stopped"
    }

    /// Waits up to 50 ms for the other thread.
    private func waitBriefly() {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        deadline.tv_nsec += 50_000_000
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        pthread_cond_timedwait(wake, mutex, &deadline)
    }

    private func now() -> Double { Double(monotonicNanoseconds()) / 1e9 }
}
