#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `host` is this machine: an IPv4 literal in 127.0.0.0/8, the IPv6 literal ::1 (or
/// ::ffff:127.x.y.z), or exactly the name `localhost`. Decided from the parsed address, never
/// by prefix: `127.attacker.example` is a name like any other. Plain http to PagerDuty and plain
/// SMTP with a password are allowed only to such a host.
public func isLoopbackHost(_ host: String) -> Bool {
    var h = host.lowercased()
    if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
    if h == "localhost" { return true }
    var v4 = in_addr()
    if inet_pton(AF_INET, h, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
    var v6 = in6_addr()
    guard inet_pton(AF_INET6, h, &v6) == 1 else { return false }
    let bytes = withUnsafeBytes(of: &v6) { Array($0) }
    if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
    return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
}
