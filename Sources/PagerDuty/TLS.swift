import CTLS

/// TLS for `SocketTransport`, through OpenSSL's libssl loaded on first use (`Sources/CTLS`).
/// The peer's certificate chain and name are always checked, TLS 1.2 at least.
enum TLS {
    /// Whether libssl 3 can be loaded here (loading it the first time this is asked).
    static var available: Bool { ctls_load() == nil }

    /// The settings every connection of a transport shares: what it trusts.
    final class Context: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer

        private init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

        deinit { ctls_context_free(pointer) }

        /// A context trusting `caBundle` (PEM), or the system's CAs when nil.
        static func make(caBundle: String?) -> Result<Context, TransportFailure> {
            if let why = ctls_load() {
                return .failure(TransportFailure(kind: .notSent, message: "cannot connect securely: \(String(cString: why))"))
            }
            var error = [CChar](repeating: 0, count: 256)
            guard let pointer = ctls_context_new(caBundle, &error, error.count) else {
                let why = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let what = caBundle.map { "the CA file \($0)" } ?? "the system's CA certificates"
                return .failure(TransportFailure(kind: .notSent, message: "cannot connect securely: cannot use \(what) (\(why))"))
            }
            return .success(Context(pointer))
        }
    }

    /// One connection's TLS state, freed with the last reference to it.
    final class Session: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        /// Kept alive as long as a session made from it.
        private let context: Context

        init?(_ context: Context, fd: Int32, host: String) {
            guard let pointer = ctls_new(context.pointer, fd, host) else { return nil }
            self.pointer = pointer
            self.context = context
        }

        deinit { ctls_free(pointer) }

        /// Why the last call on this thread failed (the certificate's verdict, or OpenSSL's
        /// error); to be asked right after the failing call.
        func failure() -> String {
            var text = [CChar](repeating: 0, count: 512)
            ctls_failure(pointer, &text, text.count)
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
