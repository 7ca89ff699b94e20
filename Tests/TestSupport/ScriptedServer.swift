import Foundation

/// `scripted-server.py` in a process: it answers each request with the next raw answer
/// of its script and logs what it read.
public final class ScriptedServer: @unchecked Sendable {
    public let process = Process()
    let lifeline = Pipe()
    public let port: Int
    let logPath: String

    public init(_ script: [[[String: Any]]], tls: (certificate: String, key: String)? = nil, ipv6: Bool = false) async throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("scripted-server.py").path
        logPath = makeTemporaryDirectory() + "/requests.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let scriptText = String(decoding: try JSONSerialization.data(withJSONObject: script), as: UTF8.self)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", fixture, scriptText, logPath] + (tls.map { ["--tls", $0.certificate, $0.key] } ?? []) + (ipv6 ? ["--ipv6"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        // The server exits when this pipe closes, so it never outlives the tests.
        process.standardInput = lifeline
        try process.run()
        let handle = output.fileHandleForReading
        port = try await offload { () throws -> Int in
            var line = Data()
            while let byte = try handle.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
            guard let port = Int(String(decoding: line, as: UTF8.self)) else { throw CocoaError(.fileReadCorruptFile) }
            return port
        }
    }

    deinit {
        process.terminate()
        try? lifeline.fileHandleForWriting.close()
    }

    /// "<connection number> <request line> <body>" per request read.
    public var requests: [String] {
        (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }

    public func url(_ path: String = "/v2/enqueue", scheme: String = "http", host: String = "127.0.0.1") -> URL {
        URL(string: "\(scheme)://\(host):\(port)\(path)")!
    }
}

/// True when a TLS test server can run: Python's ssl module and the openssl command.
public let tlsServerAvailable = pythonHas("ssl") && onPath("openssl")

/// A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM files).
public func selfSignedCertificate() async throws -> (certificate: String, key: String) {
    let folder = makeTemporaryDirectory()
    let (status, _) = try await runTool([
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem",
    ])
    guard status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl req failed"]) }
    return (folder + "/cert.pem", folder + "/key.pem")
}

