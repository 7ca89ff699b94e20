import Foundation
import Synchronization

/// Keeps secrets out of everything a person or a log collector sees.
///
/// Every secret value (read from key storage, a secret property, a secure option) is registered
/// once; every log line, error message and dry-run output passes through `redact` before it is
/// written.
public final class SecretRedactor: Sendable {
    /// What a secret is replaced with.
    public static let mask = "****"

    /// Longest first, so a secret inside another is not half-masked.
    private let secrets = Mutex<[String]>([])

    public init() {}

    /// Registers a secret. Empty strings are ignored; so is surrounding whitespace (a key file
    /// with a trailing newline still masks the key itself).
    public func register(_ secret: String) {
        let values = [secret, secret.trimmingCharacters(in: .whitespacesAndNewlines)]
        secrets.withLock { secrets in
            for value in values where !value.isEmpty && !secrets.contains(value) {
                secrets.append(value)
            }
            secrets.sort { $0.count > $1.count }
        }
    }

    /// True when `text` is a registered secret.
    public func isSecret(_ text: String) -> Bool {
        secrets.withLock { $0.contains(text) }
    }

    /// `text` with every registered secret replaced by `****`.
    public func redact(_ text: String) -> String {
        let current = secrets.withLock { $0 }
        var out = text
        for secret in current where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: Self.mask)
        }
        return out
    }
}
