import Foundation

/// `scripted-server.py` in a process: it answers each request with the next raw answer
/// of its script and logs what it read.
public final class ScriptedServer: @unchecked Sendable {
    public let process = Process()
    let lifeline = Pipe()
    public let port: Int
    let logPath: String

    public init(_ script: [[[String: Any]]], tls: (certificate: String, key: String)? = nil, ipv6: Bool = false) async throws {
        logPath = makeTemporaryDirectory() + "/requests.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let scriptText = String(decoding: try JSONSerialization.data(withJSONObject: script), as: UTF8.self)
        port = try await startPythonServer(
            "scripted-server.py", [scriptText, logPath] + (tls.map { ["--tls", $0.certificate, $0.key] } ?? []) + (ipv6 ? ["--ipv6"] : []),
            process: process, lifeline: lifeline)
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

/// Starts one of the Python servers next to this file in `process` and returns the port it
/// printed. The server exits when `lifeline` closes, so it never outlives the tests.
func startPythonServer(_ script: String, _ arguments: [String], process: Process, lifeline: Pipe) async throws -> Int {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(script).path
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", fixture] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    process.standardInput = lifeline
    try process.run()
    let handle = output.fileHandleForReading
    return try await offload { () throws -> Int in
        var line = Data()
        while let byte = try handle.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else { throw CocoaError(.fileReadCorruptFile) }
        return port
    }
}

/// `smtp-catcher.py` in a process: an SMTP relay that accepts mail and records it.
public final class SMTPCatcher: @unchecked Sendable {
    /// One message it accepted.
    public struct Message: Sendable {
        public var from: String
        public var to: [String]
        /// The message as sent (headers, CRLF lines, dot-stuffing undone).
        public var data: String
        /// Whether it came over TLS (STARTTLS or smtps).
        public var tls: Bool
        /// Who logged in, if anyone.
        public var user: String?

        /// The decoded text of each base64 MIME part, in order.
        public var parts: [String] {
            var texts: [String] = []
            let sections = data.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").dropFirst()
            for section in sections {
                let encoded = section.components(separatedBy: "\r\n").prefix { !$0.isEmpty && !$0.hasPrefix("--") }.joined()
                texts.append(Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? "")
            }
            return texts
        }

        /// A header's value as sent.
        public func header(_ name: String) -> String? {
            data.components(separatedBy: "\r\n\r\n").first?.components(separatedBy: "\r\n")
                .first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
    }

    let process = Process()
    let lifeline = Pipe()
    public let port: Int
    let logPath: String

    /// A catcher offering STARTTLS (or TLS from the start, `smtps`) with `tls`, requiring a
    /// login with `password` when given, and refusing `rejecting` as a recipient.
    public init(tls: (certificate: String, key: String)? = nil, smtps: Bool = false, password: String? = nil, rejecting: String? = nil) async throws {
        logPath = makeTemporaryDirectory() + "/mail.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        var arguments = [logPath] + (tls.map { ["--tls", $0.certificate, $0.key] } ?? [])
        if smtps { arguments.append("--smtps") }
        if let password { arguments += ["--password", password] }
        if let rejecting { arguments += ["--reject-rcpt", rejecting] }
        port = try await startPythonServer("smtp-catcher.py", arguments, process: process, lifeline: lifeline)
    }

    deinit {
        process.terminate()
        try? lifeline.fileHandleForWriting.close()
    }

    private var records: [[String: Any]] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The messages accepted so far.
    public var messages: [Message] {
        records.compactMap { record in
            guard let data = record["data"] as? String else { return nil }
            return Message(
                from: record["from"] as? String ?? "", to: record["to"] as? [String] ?? [], data: data, tls: record["tls"] as? Bool ?? false,
                user: record["user"] as? String)
        }
    }

    /// How many logins it refused.
    public var refusedLogins: Int { records.filter { $0["event"] as? String == "auth-failed" }.count }
}

/// True when a TLS test server can run: Python's ssl module and the openssl command.
public let tlsServerAvailable = pythonHas("ssl") && onPath("openssl")

/// A self-signed certificate for 127.0.0.1 and localhost (or for `name` alone), and its key
/// (PEM files).
public func selfSignedCertificate(for name: String? = nil) async throws -> (certificate: String, key: String) {
    let folder = makeTemporaryDirectory()
    let (status, _) = try await runTool([
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=\(name ?? "localhost")",
        "-addext", "subjectAltName=\(name.map { "DNS:\($0)" } ?? "DNS:localhost,IP:127.0.0.1")", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem",
    ])
    guard status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl req failed"]) }
    return (folder + "/cert.pem", folder + "/key.pem")
}

