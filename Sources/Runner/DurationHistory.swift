import FoundationEssentials
import Values

/// The average duration of a job's successful executions, kept between runs for Rundeck's
/// `onavgduration` notification (ExecutionJob.groovy: the notification fires once an execution
/// runs longer than the average, adjusted by `notifyAvgDurationThreshold`). One small JSON file
/// per job under `<folder>/durations/`.
struct DurationHistory {
    let folder: String

    private func file(_ job: Job) -> String {
        let name = job.fullName.unicodeScalars.map { c in
            (c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_")) ? String(c) : "%" + Text.hex(c.value & 0xFF, width: 2)
        }.joined()
        return folder + "/durations/" + String(name.prefix(200)) + ".json"
    }

    /// The average in milliseconds, or 0 without history.
    func average(_ job: Job) -> Double {
        guard let data = FileManager.default.contents(atPath: file(job)), data.count < 4096,
            let value = try? JSONParser.parse(bytes: Array(data)),
            let count = value["count"]?.intValue, let total = value["total_ms"]?.intValue, count > 0, total >= 0
        else { return 0 }
        return Double(total) / Double(count)
    }

    /// Adds a successful execution's duration.
    func record(_ job: Job, milliseconds: Double) {
        guard milliseconds.isFinite, milliseconds >= 0 else { return }
        var count = 0, total = 0
        if let data = FileManager.default.contents(atPath: file(job)), let value = try? JSONParser.parse(bytes: Array(data)) {
            count = value["count"]?.intValue ?? 0
            total = value["total_ms"]?.intValue ?? 0
        }
        let added = Int(min(milliseconds, RundeckDuration.maximumSeconds * 1000))
        guard count < 1_000_000_000, total < Int.max / 2 else { return }
        let text = JSONWriter.write(.object(ValueObject([("count", .int(count + 1)), ("total_ms", .int(total + added))])))
        try? FileManager.default.createDirectory(atPath: folder + "/durations", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        FileManager.default.createFile(atPath: file(job), contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    }

    /// The duration (ms) past which `onavgduration` fires (ExecutionJob.getNotifyAvgDurationThreshold):
    /// `+30%` → the average plus 30%; `+60` or `+1m` → the average plus that duration; `90s` →
    /// that duration; nothing, or a duration of 0 → the average. 0 means it never fires.
    static func threshold(_ text: String?, average: Double) -> Double {
        guard let text, !text.isEmpty else { return average }
        if text.contains("%") {
            let numbers = text.split(whereSeparator: { !($0.isNumber || $0 == "-" || $0 == ".") }).filter { $0.contains(where: \.isNumber) }
            let percent = numbers.count == 1 ? Double(Int(Double(numbers[0]) ?? 0)) : 0
            return average + average * percent / 100
        }
        if text.contains("+") {
            return average + RundeckDuration.seconds(text.replacing("+", with: "")) * 1000
        }
        let absolute = RundeckDuration.seconds(text) * 1000
        return absolute == 0 ? average : absolute
    }
}
