import Foundation

// libFuzzer target: the answer reader of pdstep's own HTTP client (SocketTransport), fed through
// a socket pair exactly as a server's answer arrives; it must never crash or hang, whatever the
// framing (status line, headers, Content-Length, chunks).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else { return 0 }
    defer { close(fds[0]) }
    var written = 0
    while written < size {
        let n = write(fds[1], data + written, size - written)
        if n <= 0 { break }
        written += n
    }
    close(fds[1])
    _ = SocketTransport.readAnswer(fd: fds[0], method: size % 2 == 0 ? "POST" : "HEAD", timeout: 5)
    return 0
}
