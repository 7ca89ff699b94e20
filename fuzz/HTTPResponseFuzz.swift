import Foundation

// libFuzzer target: the answer reader of pdstep's own HTTP client (SocketTransport), fed through
// a socket pair exactly as a server's answer arrives; it must never crash or hang, whatever the
// framing (status line, headers, Content-Length, chunks).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let fd = socketFeeding(data, size, nonBlocking: true) else { return 0 }
    defer { close(fd) }
    _ = SocketTransport.readAnswer(fd: fd, method: size % 2 == 0 ? "POST" : "HEAD", timeout: 5)
    return 0
}
