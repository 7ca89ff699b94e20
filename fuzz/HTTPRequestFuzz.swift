import Foundation

// libFuzzer target: the sandbox's HTTP request parser, fed through a socket pair exactly as a
// connection would feed it; it must never crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return 0 }
    defer { close(fds[0]) }
    var written = 0
    while written < size {
        let n = write(fds[1], data + written, size - written)
        if n <= 0 { break }
        written += n
    }
    close(fds[1])
    var buffer: [UInt8] = []
    for _ in 0..<64 {
        guard case .request = RequestParser.read(fd: fds[0], buffer: &buffer) else { break }
    }
    return 0
}
