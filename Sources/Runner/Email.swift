import FoundationEssentials
import Settings
import Synchronization
import Values

/// Where email notifications go: the relay named by the `pdstep.mail.*` settings, checked
/// before anything is sent (`read`).
public struct MailRelay: Sendable {
    /// `smtp://host:port` or `smtps://host:port`.
    public var url: String
    /// The sender address.
    public var from: String
    /// The login, if a password is set.
    public var user: String?
    /// The password from key storage (registered with the run's redactor).
    public var password: String?
    /// For `smtp://`: STARTTLS is required.
    public var requireTLS: Bool
    /// CA certificates to trust instead of the system's.
    public var caBundle: String?

    /// The relay the settings name; nil when `pdstep.mail.url` is not set. A setting that is
    /// set wrong, or a password that cannot be read, is an error naming it.
    static func read(_ settings: Settings, keyStorage: KeyStorage) throws(JobDefinitionError) -> MailRelay? {
        func value(_ setting: KnownSetting) -> String? {
            settings.value(setting.key).map { $0.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let url = value(KnownSettings.mailURL) else { return nil }
        let lowered = url.lowercased()
        guard lowered.hasPrefix("smtp://") || lowered.hasPrefix("smtps://"), let host = Self.host(url), !host.isEmpty else {
            throw JobDefinitionError("setting \(KnownSettings.mailURL.key): '\(url)' is not an smtp://host:port or smtps://host:port URL")
        }
        guard let from = value(KnownSettings.mailFrom) else {
            throw JobDefinitionError("setting \(KnownSettings.mailFrom.key) is needed with \(KnownSettings.mailURL.key): the sender of email notifications")
        }
        guard EmailMessage.isAddress(from) else {
            throw JobDefinitionError("setting \(KnownSettings.mailFrom.key): '\(from)' is not an email address")
        }
        let tls = value(KnownSettings.mailTLS)?.lowercased() ?? KnownSettings.mailTLS.defaultValue
        guard ["required", "none"].contains(tls) else {
            throw JobDefinitionError("setting \(KnownSettings.mailTLS.key) is required or none, not '\(tls)'")
        }
        var relay = MailRelay(url: url, from: from, requireTLS: tls == "required", caBundle: value(KnownSettings.mailCABundle))
        if let path = value(KnownSettings.mailPasswordPath) {
            if lowered.hasPrefix("smtp://") && !relay.requireTLS && !isLoopbackHost(host) {
                throw JobDefinitionError(
                    "setting \(KnownSettings.mailTLS.key)=none with \(KnownSettings.mailPasswordPath.key) would send the relay password unencrypted to \(host); use STARTTLS or smtps://")
            }
            do {
                relay.password = try keyStorage.readPassword(path)
            } catch {
                throw JobDefinitionError("setting \(KnownSettings.mailPasswordPath.key): \(error.description)")
            }
            relay.user = value(KnownSettings.mailUser) ?? from
        }
        return relay
    }

    /// The host of an smtp(s) URL (brackets kept for IPv6).
    static func host(_ url: String) -> String? {
        guard let scheme = url.firstRange(of: "://") else { return nil }
        var authority = url[scheme.upperBound...].prefix { $0 != "/" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") { return authority.firstIndex(of: "]").map { String(authority[...$0]) } }
        return String(authority.prefix { $0 != ":" })
    }
}

/// Sends email through a relay. The host lends one (`pdstep` sends through libcurl's SMTP);
/// without one, email notifications are reported as not sent.
public struct OutboundMail: Sendable {
    /// Sends a finished message to its recipients (one SMTP transaction).
    public typealias Send = @Sendable (_ relay: MailRelay, _ recipients: [String], _ message: [UInt8]) async -> Result<Void, OutboundHTTP.Failure>

    let send: Send

    /// A sender.
    public init(send: @escaping Send) { self.send = send }
}

/// One email as sent: RFC 5322 headers and a MIME body, every line CRLF-terminated. Text goes
/// base64-encoded, so no line of a job's log can end the SMTP data early or grow past the line
/// limit, and header values are encoded (RFC 2047) so a value cannot add a header.
struct EmailMessage {
    var from: String
    var to: String
    var subject: String
    var body: String
    /// A file attached to the message (`attachLog`): its name and text.
    var attachment: (name: String, text: String)?
    var date: Date
    var messageID: String

    /// The message's bytes.
    var bytes: [UInt8] {
        var lines = [
            "From: \(from)", "To: \(to)", "Subject: \(Self.encodedHeader(subject))", "Date: \(Self.rfc5322(date))",
            "Message-ID: <\(messageID)>", "MIME-Version: 1.0", "X-Mailer: pdstep",
        ]
        let text = ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64", ""] + Self.base64Lines(Self.crlf(body))
        if let attachment {
            let boundary = "pdstep-" + messageID.filter { $0.isLetter || $0.isNumber }
            lines += ["Content-Type: multipart/mixed; boundary=\"\(boundary)\"", "", "--\(boundary)"] + text
            lines += [
                "--\(boundary)", "Content-Type: text/plain; charset=UTF-8; name=\"\(attachment.name)\"",
                "Content-Disposition: attachment; filename=\"\(attachment.name)\"", "Content-Transfer-Encoding: base64", "",
            ]
            lines += Self.base64Lines(Self.crlf(attachment.text)) + ["--\(boundary)--"]
        } else {
            lines += text
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// True for a plain `local@domain` address: no spaces, quotes, brackets, commas or line
    /// breaks, so it can stand in a header and an SMTP command as it is.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard text.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        return text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && !"<>()[],;:\"\\".unicodeScalars.contains($0) }
    }

    /// A file name that needs no quoting or encoding: letters, digits, `.`, `-` and `_`.
    static func fileName(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar in
            let safe = ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar)
            return safe ? Character(scalar) : "_"
        })
    }

    /// A header value as printable ASCII: as it is when it is, else RFC 2047 base64 words. Line
    /// breaks become spaces either way.
    static func encodedHeader(_ text: String) -> String {
        let flat = text.replacing("\r\n", with: " ").map { $0 == "\n" || $0 == "\r" ? " " : $0 }.reduce(into: "") { $0.append($1) }
        if flat.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && !flat.contains("=?") && flat.utf8.count <= 900 { return flat }
        // Words of at most 45 bytes of UTF-8, cut between characters.
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in flat {
            let encoded = Array(String(character).utf8)
            if chunk.count + encoded.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += encoded
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Text with CRLF line breaks (MIME's canonical form for text), as UTF-8.
    static func crlf(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == 0x0A && previous != 0x0D { bytes.append(0x0D) }
            bytes.append(byte)
            previous = byte
        }
        return bytes
    }

    /// Base64 in lines of 76 characters.
    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let text = Data(bytes).base64EncodedString()
        var lines: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let end = text.index(index, offsetBy: 76, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(String(text[index..<end]))
            index = end
        }
        return lines
    }

    /// `Sun, 29 Nov 2026 11:54:03 +0000`.
    static func rfc5322(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let time = seconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((days % 7) + 7) % 7]
        let monthName = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][month - 1]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(weekday), \(day) \(monthName) \(year) \(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60)) +0000"
    }
}

/// The text log of the attempt running now, kept for email notifications that attach it
/// (`attachLog`); at most `limit` bytes, the rest replaced by a line saying so. It sees events
/// with secrets already masked, like every observer.
final class LogCapture: ExecutionRenderer {
    static let limit = 4 << 20
    private let text = Mutex((log: "", truncated: false))
    private let attached = Atomic(false)

    /// Starts keeping `log`'s text (once), or starts over for a new attempt.
    func capture(_ log: ExecutionLog) {
        text.withLock { $0 = ("", false) }
        if !attached.exchange(true, ordering: .relaxed) { log.add(self) }
    }

    func render(_ event: ExecutionEvent) {
        TextRenderer { line in
            self.text.withLock { kept in
                guard !kept.truncated else { return }
                if kept.log.utf8.count + line.utf8.count > Self.limit {
                    kept.log += "[pdstep: the rest of the log is left out; it is longer than \(Self.limit >> 20) MB]\n"
                    kept.truncated = true
                } else {
                    kept.log += line
                }
            }
        }.render(event)
    }

    /// The text kept so far.
    var log: String { text.withLock { $0.log } }
}
