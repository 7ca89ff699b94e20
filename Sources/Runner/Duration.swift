/// Rundeck's duration syntax (`Sizes.parseTimeDuration`): each number with an optional unit
/// (`s`, `m`, `h`, `d`, `w`, `y`) is summed; a bare number counts as seconds; a number followed
/// by any other letter is dropped. `120`, `6h 30m`, `1h1m1s` are all durations.
public enum RundeckDuration {
    /// The longest duration pdstep accepts (a year): a job timeout or retry delay past it is a
    /// typo, and waiting on it must not overflow.
    public static let maximumSeconds: Double = 31_536_000
    /// The most times a job may be retried.
    public static let maximumRetries = 1_000

    /// Why `text` is not a usable duration, or nil when it is one.
    public static func problem(_ text: String) -> String? {
        guard let seconds = seconds(text) else { return "is not a duration (like 30m, 1h30m or 120)" }
        return seconds > maximumSeconds ? "is longer than a year, the longest duration pdstep accepts" : nil
    }

    /// Why `text` is not a usable retry count, or nil when it is one (empty counts as 0).
    public static func retryCountProblem(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        guard let count = Int(trimmed), (0...maximumRetries).contains(count) else {
            return "is not a whole number from 0 to \(maximumRetries)"
        }
        return nil
    }

    /// Seconds, or nil when the text holds no duration at all.
    public static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var found = false
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            guard chars[i].isASCII, chars[i].isNumber else { i += 1; continue }
            var number = 0.0
            while i < chars.count, chars[i].isASCII, let digit = chars[i].wholeNumberValue {
                number = number * 10 + Double(digit)
                i += 1
            }
            var unit = ""
            while i < chars.count, chars[i].isLetter {
                unit.append(chars[i])
                i += 1
            }
            let multiplier: Double?
            switch unit.lowercased() {
            case "", "s": multiplier = 1
            case "m": multiplier = 60
            case "h": multiplier = 3600
            case "d": multiplier = 86_400
            case "w": multiplier = 604_800
            case "y": multiplier = 31_536_000
            default: multiplier = nil
            }
            if let multiplier {
                total += number * multiplier
                found = true
            }
        }
        return found ? total : nil
    }
}
