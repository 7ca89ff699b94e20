#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs async code on the thread that asks, to its end: for a process that does one thing (one
/// step from the command line), so that it starts no thread and hops between none.
///
/// Swift's async `main` parks the main thread and runs everything on the concurrency runtime's
/// threads, and a blocking call (a socket, libcurl) hops once more, to a Dispatch thread: about
/// 1.2 ms of a 5 ms cold step went to starting and waking those threads (`bench/cold-step.py`).
/// Here the calling thread runs every job of the task and its children; work that other threads
/// hand back (a `Task.sleep` ending, a continuation resumed elsewhere) is queued to it.
/// `BlockingCalls.inline` tells blocking calls that they may block this thread, as nothing else
/// needs it.
public final class CallingThreadExecutor: TaskExecutor, @unchecked Sendable {
    private var jobs: [UnownedJob] = []
    private var finished = false
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init() {
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(lock)
        wake.deallocate()
        lock.deallocate()
    }

    /// Runs `operation` on this thread and answers its result once it and everything it awaits
    /// are done.
    public static func run<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
        let executor = CallingThreadExecutor()
        let result = ResultBox<T>()
        Task(executorPreference: executor) {
            let value = await BlockingCalls.$inline.withValue(true) { await operation() }
            executor.finish(result, value)
        }
        while let job = executor.next() {
            job.runSynchronously(on: executor.asUnownedTaskExecutor())
        }
        return result.value!
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(lock)
        jobs.append(job)
        pthread_cond_signal(wake)
        pthread_mutex_unlock(lock)
    }

    private func finish<T>(_ box: ResultBox<T>, _ value: T) {
        pthread_mutex_lock(lock)
        box.value = value
        finished = true
        pthread_cond_signal(wake)
        pthread_mutex_unlock(lock)
    }

    /// The next job, waiting for one; nil once the operation has finished.
    private func next() -> UnownedJob? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while jobs.isEmpty && !finished { pthread_cond_wait(wake, lock) }
        return jobs.isEmpty ? nil : jobs.removeFirst()
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var value: T?
    }
}

/// Where a blocking call (a socket's, libcurl's) runs.
public enum BlockingCalls {
    /// True where the task may block its own thread: under `CallingThreadExecutor.run`, whose
    /// thread has nothing else to do. Otherwise a blocking call goes to a Dispatch thread, never
    /// blocking the concurrency runtime's few shared threads.
    @TaskLocal public static var inline = false
}
