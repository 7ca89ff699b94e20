import CCurl
import FoundationEssentials
import Glibc
import Synchronization

/// Email through libcurl's SMTP client (job notifications' `email`). libcurl is already what
/// pdstep loads for https, and it speaks SMTP with STARTTLS and SMTPS, so no mail code of our
/// own talks to the relay: this sends one finished message (RFC 5322 text, CRLF lines) to its
/// recipients.
public enum CurlMail {
    /// Where and how to reach the relay.
    public struct Relay: Sendable {
        /// `smtp://host:port` or `smtps://host:port`.
        public var url: String
        /// Login; nil: none.
        public var user: String?
        /// The password (from key storage); never logged.
        public var password: String?
        /// For `smtp://`: the relay must upgrade with STARTTLS, else nothing is sent.
        public var requireTLS: Bool
        /// CA certificates to trust instead of the system's.
        public var caBundle: String?
        /// Seconds the whole exchange may take.
        public var timeout: Double

        /// A relay.
        public init(url: String, user: String?, password: String?, requireTLS: Bool, caBundle: String?, timeout: Double) {
            self.url = url
            self.user = user
            self.password = password
            self.requireTLS = requireTLS
            self.caBundle = caBundle
            self.timeout = timeout
        }

        /// The relay's host and port, for messages.
        var shown: String {
            let rest = url.split(separator: "://", maxSplits: 1).last.map(String.init) ?? url
            return String(rest.split(separator: "/", maxSplits: 1).first ?? Substring(rest))
        }
    }

    /// Sends `message` from `from` to `recipients` (SMTP envelope: MAIL FROM, one RCPT TO each).
    /// The addresses must already be checked (no spaces, brackets or line breaks).
    public static func send(_ message: [UInt8], from: String, to recipients: [String], relay: Relay) async -> Result<Void, TransportFailure> {
        let upload = Upload(message)
        return await runBlocking {
            if let why = ccurl_load() {
                return .failure(TransportFailure(kind: .notSent, message: "cannot send email through \(relay.shown): \(String(cString: why))"))
            }
            return upload.perform(from: from, to: recipients, relay: relay)
        } onCancel: {
            upload.cancelled.store(true, ordering: .relaxed)
        }
    }
}

/// One message on its way, shared with libcurl's read callback through an unmanaged pointer.
private final class Upload: @unchecked Sendable {
    let bytes: [UInt8]
    var offset = 0
    let cancelled = Atomic(false)

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func perform(from: String, to recipients: [String], relay: CurlMail.Relay) -> Result<Void, TransportFailure> {
        guard let curl = ccurl_easy_init() else {
            return .failure(TransportFailure(kind: .notSent, message: "cannot send email: libcurl could not create a handle"))
        }
        defer { ccurl_easy_cleanup(curl) }
        var recipientList: UnsafeMutableRawPointer?
        for recipient in recipients { recipientList = ccurl_slist_append(recipientList, "<\(recipient)>") }
        defer { ccurl_slist_free_all(recipientList) }
        // libcurl keeps these pointers until the transfer ends.
        let texts: [String] = [relay.url, "<" + from + ">", relay.user ?? "", relay.password ?? "", relay.caBundle ?? ""]
        let strings = texts.map { strdup($0) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CCURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CCURL_ERROR_SIZE))
        defer {
            // The password's copy is wiped before it is freed.
            if let password = strings[3] { memset(password, 0, strlen(password)) }
            strings.forEach { free($0) }
            errorBuffer.deallocate()
        }
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_URL), strings[0])
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_MAIL_FROM), strings[1])
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_MAIL_RCPT), recipientList)
        if relay.user != nil {
            _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_USERNAME), strings[2])
            _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_PASSWORD), strings[3])
        }
        if relay.requireTLS { _ = ccurl_setopt_long(curl, Int32(CCURLOPT_USE_SSL), Int(CCURLUSESSL_ALL)) }
        if relay.caBundle != nil { _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_CAINFO), strings[4]) }
        _ = ccurl_setopt_long(curl, Int32(CCURLOPT_NOSIGNAL), 1)
        _ = ccurl_setopt_long(curl, Int32(CCURLOPT_TIMEOUT_MS), max(1, Int(min(max(relay.timeout, 0), 86_400) * 1000)))
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_ERRORBUFFER), errorBuffer)
        _ = ccurl_setopt_long(curl, Int32(CCURLOPT_UPLOAD), 1)
        _ = ccurl_setopt_int64(curl, Int32(CCURLOPT_INFILESIZE_LARGE), Int64(bytes.count))
        _ = ccurl_setopt_data_callback(curl, Int32(CCURLOPT_READFUNCTION), mailRead)
        _ = ccurl_setopt_pointer(curl, Int32(CCURLOPT_READDATA), Unmanaged.passUnretained(self).toOpaque())
        let code = ccurl_easy_perform(curl)
        if code == 0 { return .success(()) }
        let detail = String(cString: errorBuffer)
        let reason = detail.isEmpty ? String(cString: ccurl_easy_strerror(code)) : detail
        switch code {
        case 1, 3, 5, 6, 7, 35, 53, 54, 58, 59, 60, 64, 66, 67, 77, 80, 83, 90, 91:
            // Unsupported or malformed URL, no connection, TLS refused or untrusted, login refused:
            // the message was not handed over.
            return .failure(TransportFailure(kind: .notSent, message: "email not sent through \(relay.shown): \(reason)"))
        default:
            return .failure(TransportFailure(kind: .uncertain, message: "email through \(relay.shown) may not have been delivered: \(reason)"))
        }
    }
}

/// Hands libcurl the next piece of the message; 0 at the end. Aborts (CURL_READFUNC_ABORT)
/// when the send was cancelled.
private let mailRead: ccurl_data_callback = { buffer, size, count, context in
    let upload = Unmanaged<Upload>.fromOpaque(context!).takeUnretainedValue()
    if upload.cancelled.load(ordering: .relaxed) { return 0x1000_0000 }
    let length = min(size * count, upload.bytes.count - upload.offset)
    guard length > 0, let buffer else { return 0 }
    upload.bytes.withUnsafeBytes { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: length)
    }
    upload.offset += length
    return length
}
