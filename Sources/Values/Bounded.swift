#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Nanoseconds for a wait of `seconds`, for `Task.sleep`: never traps, whatever the number
/// (negative and NaN are 0; anything over a year, infinity included, is a year). Every wait
/// pdstep computes from input or from a server goes through here.
public func boundedNanoseconds(_ seconds: Double) -> UInt64 {
    guard seconds.isFinite, seconds > 0 else { return seconds == .infinity ? boundedWaitLimit : 0 }
    return seconds >= 31_536_000 ? boundedWaitLimit : UInt64(seconds * 1e9)
}

private let boundedWaitLimit: UInt64 = 31_536_000 * 1_000_000_000

/// Nanoseconds on the monotonic clock (deadlines and elapsed times; never steps back).
public func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
