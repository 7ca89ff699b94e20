/// Rundeck's duration syntax (`Sizes.parseTimeDuration`): each number with a unit (`s`, `m`,
/// `h`, `d`, `w`, `y`) right after it is summed; a number at the end counts as seconds; a number
/// followed by anything else counts for nothing. `120`, `6h 30m`, `1h1m1s` are durations;
/// `2 h` is 0 (no timeout), which `surprise` warns about.
public enum RundeckDuration {
    /// The longest duration pdstep accepts (a year): a job timeout or retry delay past it is a
    /// typo, and waiting on it must not overflow.
    public static let maximumSeconds: Double = 31_536_000
    /// The most times a job may be retried.
    public static let maximumRetries = 1_000

    /// Why `text` is not a usable duration, or nil when it is one.
    public static func problem(_ text: String) -> String? {
        read(text).seconds > maximumSeconds ? "is longer than a year, the longest duration pdstep accepts" : nil
    }

    /// A warning when Rundeck's rule makes `text` mean less than it seems to (`2 h` is 0 s, so a
    /// timeout of `2 h` is no timeout), or nil.
    public static func surprise(_ text: String) -> String? {
        let reading = read(text)
        if reading.dropped.isEmpty && reading.counted { return nil }
        let meaning = reading.seconds == 0 ? "0 s" : "\(formatted(reading.seconds))"
        if !reading.counted && reading.dropped.isEmpty {
            return "'\(text)' holds no number, which Rundeck reads as \(meaning)"
        }
        let pieces = reading.dropped.map { "'\($0)'" }.joined(separator: ", ")
        return "Rundeck reads '\(text)' as \(meaning): \(pieces) count\(reading.dropped.count == 1 ? "s" : "") for nothing (a number counts only when a unit letter s, m, h, d, w or y, or the end, follows it at once)"
    }

    /// Why `text` is not a usable retry count, or nil when it is one (empty counts as 0).
    public static func retryCountProblem(_ text: String) -> String? {
        let trimmed = text.trimmingSpaces()
        if trimmed.isEmpty { return nil }
        guard let count = Int(trimmed), (0...maximumRetries).contains(count) else {
            return "is not a whole number from 0 to \(maximumRetries)"
        }
        return nil
    }

    /// Seconds, as Rundeck computes them (0 when nothing counts).
    public static func seconds(_ text: String) -> Double { read(text).seconds }

    /// Rundeck's reading (`Sizes.parseTimeDuration`, Sizes.groovy 63-81): every match of
    /// `(\d+)(.)?` in turn; a number and the one character after it count when that character is
    /// a unit (case matters), or as seconds when nothing follows; any other character drops the
    /// number (`2 h`, `1.5h` reads as 5 h). `5min` is 300 s (`5m`, then `in` holds no number).
    static func read(_ text: String) -> (seconds: Double, counted: Bool, dropped: [String]) {
        var total = 0.0
        var counted = false
        var dropped: [String] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            guard ("0"..."9").contains(scalars[i]) else { i += 1; continue }
            let start = i
            var number = 0.0
            while i < scalars.count, ("0"..."9").contains(scalars[i]) {
                number = min(number * 10 + Double(scalars[i].value - 48), 1e300)
                i += 1
            }
            // Java's `.` takes any character but a line terminator.
            guard i < scalars.count, !["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalars[i]) else {
                total += number
                counted = true
                continue
            }
            let unit = scalars[i]
            i += 1
            if let multiplier = units[unit] {
                total += number * multiplier
                counted = true
            } else {
                dropped.append(String(String.UnicodeScalarView(scalars[start..<i])))
            }
        }
        return (total, counted, dropped)
    }

    private static let units: [Unicode.Scalar: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "y": 31_536_000]

    private static func formatted(_ seconds: Double) -> String {
        seconds < 1e15 ? "\(Int(seconds)) s" : "more than a year"
    }
}
