import Values

/// Why a PagerDuty call failed: a kind (which decides retries and exit codes), a message a
/// person reads, and every detail string PagerDuty sent.
public struct PagerDutyError: ReportableError, Sendable, Hashable {
    /// What kind of failure (decides retries and exit codes).
    public enum Kind: String, Sendable, Hashable {
        /// Found wrong before anything was sent (bad routing key, missing From, ...).
        case invalidRequest
        /// 400, 413, 422 and other refusals.
        case refused
        case unauthorized
        /// 402 (missing ability) and 403.
        case forbidden
        /// 404 and 410.
        case notFound
        /// 429 after the retries.
        case rateLimited
        /// 5xx, 408, network trouble, after the retries.
        case temporary
    }

    /// What kind of failure.
    public var kind: Kind
    /// What went wrong, for a person; PagerDuty's own message included.
    public var message: String
    /// PagerDuty's `error.errors[]` (REST) or `errors[]` (Events), or the raw body when it was
    /// not JSON.
    public var details: [String]
    /// The HTTP status, when an answer came.
    public var httpStatus: Int?
    /// PagerDuty's `error.code`.
    public var code: Int?
    /// Why, where the caller can say what to change in its own terms (the client knows no
    /// step properties or settings).
    public enum Cause: Sendable, Hashable {
        /// A REST request with no credentials.
        case noCredentials
        /// PagerDuty requires a From header here and none was given.
        case fromRequired
        /// The retry budget (attempts or seconds) ran out, or a rate-limit wait would pass it.
        case retryBudget
    }

    /// Why, where the caller can say what to change.
    public var cause: Cause?

    /// The request field at fault, for errors found before sending (`dedup_key`, `images`,
    /// `routing_key`, ...), so a caller can name its own setting for it.
    public var field: String?
    /// The answer's body was PagerDuty's own error shape (REST `error` object, Events `status`
    /// and `message`), not a proxy's page or an empty body.
    public var fromPagerDuty = false
    /// The request went out and no clear answer came back (a timeout, a broken connection, a
    /// 5xx): it may have taken effect.
    public var mayHaveTakenEffect = false

    /// A request found invalid before sending, naming the field at fault.
    public static func invalid(_ field: String?, _ message: String) -> PagerDutyError {
        var error = PagerDutyError(.invalidRequest, message)
        error.field = field
        return error
    }

    /// PagerDuty itself refused the request as invalid (HTTP 400 with its own error body): the
    /// same request will never succeed, so it is not worth keeping.
    public var isPagerDutyRefusal: Bool { httpStatus == 400 && fromPagerDuty }

    /// An error of this kind.
    public init(_ kind: Kind, _ message: String, details: [String] = [], httpStatus: Int? = nil, code: Int? = nil) {
        self.kind = kind
        self.message = message
        self.details = details
        self.httpStatus = httpStatus
        self.code = code
    }

    /// Found wrong before sending: invalid input; refused: failed; temporary: worth a retry.
    public var exitCode: ExitCode {
        switch kind {
        case .invalidRequest: return .invalidInput
        case .refused, .unauthorized, .forbidden, .notFound: return .failed
        case .rateLimited, .temporary: return .temporary
        }
    }

    /// The message, then each detail on its own line.
    public var description: String {
        var text = message
        for detail in details { text += "\n  - \(detail)" }
        return text
    }

    /// Decodes an error answer. REST errors are `{"error": {"code", "message", "errors"}}`,
    /// Events errors `{"status", "message", "errors"}`; anything else (a proxy's HTML, an empty
    /// 429) is kept as text.
    static func decode(status: Int, body: [UInt8], url: String) -> PagerDutyError {
        let kind = kind(for: status)
        var message = "PagerDuty answered HTTP \(status) to \(url)"
        var details: [String] = []
        var code: Int?
        var fromPagerDuty = false
        let json = try? JSONParser.parse(bytes: body)
        if let error = json?["error"]?.objectValue {
            fromPagerDuty = error["message"]?.stringValue != nil || error["code"]?.intValue != nil
            code = error["code"]?.intValue
            if let text = error["message"]?.stringValue { message += ": \(text)" }
            details = errorStrings(error["errors"])
            if code != nil { message += " (code \(code ?? 0))" }
        } else if let object = json?.objectValue, object["status"] != nil || object["message"] != nil {
            fromPagerDuty = object["status"]?.stringValue != nil && object["message"]?.stringValue != nil
            let statusText = object["status"]?.text ?? ""
            let text = object["message"]?.text ?? ""
            message += ": " + [statusText, text].filter { !$0.isEmpty }.joined(separator: ", ")
            details = errorStrings(object["errors"])
        } else if !body.isEmpty {
            let text = String(decoding: body.prefix(600), as: UTF8.self).trimmingSpacesAndLines()
            if !text.isEmpty { details = [text + (body.count > 600 ? " ..." : "")] }
        }
        switch status {
        case 401:
            details.append(
                "PagerDuty did not accept the key. The two usual causes: the wrong kind of key (a REST API key where an integration key belongs, or the reverse; user and account keys are both REST keys), or the wrong service region: this request went to \(url); EU accounts set pagerduty.region=eu.")
        case 402:
            details.append("HTTP 402 means the PagerDuty account lacks the ability or plan feature this call needs.")
        case 429 where details.isEmpty:
            details.append("rate limited by PagerDuty")
        default: break
        }
        var error = PagerDutyError(kind, message, details: details, httpStatus: status, code: code)
        error.fromPagerDuty = fromPagerDuty
        error.mayHaveTakenEffect = status == 408 || status >= 500
        return error
    }

    /// PagerDuty's `errors`: a list of strings, or (its own BadRequest example) an object of
    /// field → strings, each kept as `field: text`.
    static func errorStrings(_ value: Value?) -> [String] {
        switch value {
        case .array(let items)?: return items.map(\.text)
        case .object(let fields)?:
            return fields.entries.flatMap { entry -> [String] in
                if case .array(let texts) = entry.value { return texts.map { "\(entry.key): \($0.text)" } }
                return ["\(entry.key): \(entry.value.text)"]
            }
        case .string(let text)?: return [text]
        default: return []
        }
    }

    static func kind(for status: Int) -> Kind {
        switch status {
        case 401: return .unauthorized
        case 402, 403: return .forbidden
        case 404, 410: return .notFound
        case 429: return .rateLimited
        case 408, 500...599: return .temporary
        default: return .refused
        }
    }
}

/// Which PagerDuty API a request goes to.
public enum API: String, Sendable, Hashable {
    case rest, events, identity
}
