#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

extension Text {
    /// A file or folder operation's error in a few words (`permission denied`, `no space left on
    /// device`), as `strerror` says it, where Foundation's `localizedDescription` (not in
    /// Foundation Essentials) would have; other errors as they describe themselves.
    public static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let cocoa = error as? CocoaError {
            if let posix = cocoa.underlying as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
            switch cocoa.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
            case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
            case .fileWriteOutOfSpace: return "no space left on device"
            case .fileWriteFileExists: return "file exists"
            case .fileWriteVolumeReadOnly: return "read-only file system"
            default: return "error \(cocoa.code.rawValue)"
            }
        }
        return "\(error)"
    }
}
