/// Rundeck's duration syntax (`Sizes.parseTimeDuration`): each number with an optional unit
/// (`s`, `m`, `h`, `d`, `w`, `y`) is summed; a bare number counts as seconds; a number followed
/// by any other letter is dropped. `120`, `6h 30m`, `1h1m1s` are all durations.
public enum RundeckDuration {
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
