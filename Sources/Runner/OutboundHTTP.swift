/// HTTP requests the runner itself makes (an option's `valuesUrl`, notification webhooks),
/// sent through the host's transport, which the host lends through `StepServices` (the PagerDuty
/// client's, with its timeout and TLS settings). Without one, such requests fail, saying so.
public struct OutboundHTTP: Sendable {
    /// Why a request got no answer.
    public struct Failure: Error, Sendable {
        /// What went wrong, naming the host.
        public var message: String
        /// A failure with this message.
        public init(_ message: String) { self.message = message }
    }

    /// An answer, whatever its status.
    public struct Answer: Sendable {
        /// The HTTP status.
        public var status: Int
        /// The body.
        public var body: [UInt8]
        /// An answer.
        public init(status: Int, body: [UInt8]) {
            self.status = status
            self.body = body
        }
    }

    /// Sends one request.
    public typealias Send = @Sendable (_ method: String, _ url: String, _ headers: [String: String], _ body: [UInt8]?) async -> Result<Answer, Failure>

    let send: Send

    /// A sender.
    public init(send: @escaping Send) { self.send = send }

    /// `url` for messages: without a user or password it may carry.
    static func shown(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
            !url[scheme.upperBound..<at].contains("/")
        else { return url }
        return String(url[..<scheme.upperBound]) + "****@" + String(url[url.index(after: at)...])
    }
}
