#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Values

/// Keeps secrets out of everything a person or a log collector sees.
///
/// Every secret value (read from key storage, a secret property, a secure option) is registered
/// once. Values are redacted before they are encoded (`redact(_: Value)` for JSON trees, keys
/// included), and text is redacted of every form a secret takes in the encodings pdstep writes:
/// as is, JSON-escaped (a secret holding `"` or `\`), JSON-escaped to ASCII (`\u00e9`),
/// percent-encoded, and base64.
///
/// A secret shorter than `minimumPatternLength` would turn ordinary words into `p****duction`
/// if masked wherever it appears; such a secret is masked only where it is a whole value, and
/// `register` says so once (through `onShortSecret`).
public final class SecretRedactor: Sendable {
    /// What a secret is replaced with.
    public static let mask = "****"
    /// The shortest secret masked wherever it appears.
    public static let minimumPatternLength = 4

    private struct State {
        /// Every encoded form of every secret, longest first, so a secret inside another is not
        /// half-masked.
        var patterns: [String] = []
        /// Secrets too short to be patterns: masked only as whole values.
        var wholeValues: Set<String> = []
        var warnedShort = false
        /// Secrets registered so far (registering one again is a lookup, not its forms again).
        var registered: Set<String> = []
    }

    private let state = Mutex(State())
    private let onShortSecret: @Sendable (String) -> Void

    /// `onShortSecret` receives the one-time note about short secrets (default: standard error).
    public init(onShortSecret: @escaping @Sendable (String) -> Void = SecretRedactor.writeToStandardError) {
        self.onShortSecret = onShortSecret
    }

    /// Registers a secret. Empty strings are ignored; so is surrounding whitespace (a key file
    /// with a trailing newline still masks the key itself).
    public func register(_ secret: String) {
        guard !state.withLock({ $0.registered.contains(secret) }) else { return }
        let values = [secret, secret.trimmingSpacesAndLines()].filter { !$0.isEmpty }
        let warn = state.withLock { state -> Bool in
            state.registered.insert(secret)
            var warn = false
            for value in values {
                if value.count < Self.minimumPatternLength {
                    state.wholeValues.insert(value)
                    warn = warn || !state.warnedShort
                    state.warnedShort = true
                    continue
                }
                for form in Self.encodedForms(value) where !state.patterns.contains(form) {
                    state.patterns.append(form)
                }
            }
            state.patterns.sort { $0.count > $1.count }
            return warn
        }
        if warn {
            onShortSecret("warning: a secret shorter than \(Self.minimumPatternLength) characters is masked only where it is a whole value; inside other text it cannot be told from ordinary words")
        }
    }

    /// True when `text` is a registered secret.
    public func isSecret(_ text: String) -> Bool {
        state.withLock { $0.wholeValues.contains(text) || $0.patterns.contains(text) }
    }

    /// `text` with every registered secret, in each of its encoded forms, replaced by `****`.
    public func redact(_ text: String) -> String {
        let (patterns, whole) = state.withLock { ($0.patterns, $0.wholeValues) }
        if patterns.isEmpty && whole.isEmpty { return text }
        if !whole.isEmpty && (whole.contains(text) || whole.contains(text.trimmingSpacesAndLines())) { return Self.mask }
        var out = text
        for pattern in patterns where Self.occurs(pattern, in: out) {
            out = out.replacing(pattern, with: Self.mask)
        }
        return out
    }

    /// Whether `pattern` occurs in `text`, byte for byte (memchr for its first byte, then
    /// memcmp: the check runs for every secret form on every line a run writes, and almost
    /// always finds nothing).
    static func occurs(_ pattern: String, in text: String) -> Bool {
        var text = text, pattern = pattern
        return text.withUTF8 { haystack in
            pattern.withUTF8 { needle in
                let (h, n) = (haystack.count, needle.count)
                guard n > 0 else { return true }
                guard n <= h, let base = haystack.baseAddress, let wanted = needle.baseAddress else { return false }
                var start = 0
                while start <= h - n {
                    guard let hit = memchr(base + start, Int32(wanted[0]), h - n - start + 1) else { return false }
                    let offset = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
                    if memcmp(base + offset, wanted, n) == 0 { return true }
                    start = offset + 1
                }
                return false
            }
        }
    }

    /// A JSON tree with every string and every object key redacted, for output that is encoded
    /// afterwards (redacting the encoded text would miss an escaped secret).
    public func redact(_ value: Value) -> Value {
        switch value {
        case .string(let text): return .string(redact(text))
        case .array(let items): return .array(items.map(redact))
        case .object(let object):
            var out = ValueObject()
            for entry in object.entries { out[redact(entry.key)] = redact(entry.value) }
            return .object(out)
        default: return value
        }
    }

    /// The forms a secret takes in the encodings pdstep writes or passes on.
    static func encodedForms(_ secret: String) -> [String] {
        var forms = [secret]
        let json = JSONWriter.write(.string(secret))
        forms.append(String(json.dropFirst().dropLast()))
        var asciiJSON = ""
        for unit in String(json.dropFirst().dropLast()).unicodeScalars {
            if unit.isASCII {
                asciiJSON.unicodeScalars.append(unit)
            } else {
                for code in String(unit).utf16 { asciiJSON += "\\u" + Text.hex(code, width: 4, uppercase: false) }
            }
        }
        forms.append(asciiJSON)
        let percent = Text.percentEncoded(secret)
        forms.append(percent)
        // The form encoding of the same (spaces as `+`).
        forms.append(secret.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            .map { Text.percentEncoded(String(decoding: $0, as: UTF8.self)) }.joined(separator: "+"))
        forms.append(Data(Array(secret.utf8)).base64EncodedString())
        var unique: [String] = []
        for form in forms where !unique.contains(form) && form.count >= minimumPatternLength { unique.append(form) }
        return unique
    }

    /// The default for `onShortSecret`: one line on standard error.
    public static let writeToStandardError: @Sendable (String) -> Void = { text in
        StandardStreams.standardError(text + "\n")
    }
}
