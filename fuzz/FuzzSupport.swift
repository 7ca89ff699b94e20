import Foundation

/// The read end of a socket pair that holds `size` bytes from `data` and is then closed by the
/// writer, as a connection delivers what a peer sent. The caller closes it; nil if no pair.
func socketFeeding(_ data: UnsafePointer<UInt8>, _ size: Int, nonBlocking: Bool = false) -> Int32? {
    var fds: [Int32] = [0, 0]
    let type = Int32(SOCK_STREAM.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
    guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { return nil }
    var written = 0
    while written < size {
        let n = write(fds[1], data + written, size - written)
        if n <= 0 { break }
        written += n
    }
    close(fds[1])
    return fds[0]
}
