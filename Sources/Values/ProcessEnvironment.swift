#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's environment, read once, straight from `environ` (Foundation builds a new
/// dictionary on every `ProcessInfo.processInfo.environment`, at a cost a cold step felt: a
/// cold step asked for it three times, and building it once was 4% of the process).
public enum ProcessEnvironment {
    public static let current: [String: String] = {
        var variables: [String: String] = [:]
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        while let current = entry, let text = current.pointee {
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: strlen(text))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")), equals > 0 {
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                // The first definition wins, as getenv(3) finds it.
                if variables[name] == nil { variables[name] = String(decoding: bytes[(equals + 1)...], as: UTF8.self) }
            }
            entry = current + 1
        }
        return variables
    }()
}
