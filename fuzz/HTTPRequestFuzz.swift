import Foundation

// libFuzzer target: the sandbox's HTTP request parser, fed through a socket pair exactly as a
// connection would feed it; it must never crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let fd = socketFeeding(data, size) else { return 0 }
    defer { close(fd) }
    var buffer: [UInt8] = []
    for _ in 0..<64 {
        guard case .request = RequestParser.read(fd: fd, buffer: &buffer) else { break }
    }
    return 0
}
