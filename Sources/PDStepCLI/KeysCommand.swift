#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Settings
import StepKit
import Values

extension PDStep {
    static let keysCommand = Command(
        name: "keys",
        summary: "Manage the key storage: put, list, delete (values are never shown).",
        usage: """
            put PATH --password-stdin | list [PATH] [--json] | delete PATH

              put     store the secret read from standard input as a password at PATH (keys/...),
                      writing Rundeck's content and meta files atomically with mode 0600
              list    show the stored paths and their types
              delete  remove the key at PATH
            """,
        options: [
            storageOption, .flag("password-stdin", "read the secret from standard input (put)"),
            .flag("json", "print JSON (list)"),
        ] + settingsOptions,
        maxPositionals: 2, examples: ["printf '%s' \"$PD_API_KEY\" | pdstep keys put keys/pd/api --password-stdin", "pdstep keys list"]
    ) { arguments, invocation in
        guard let action = arguments.positionals.first else { throw UsageError("keys needs an action: put, list or delete") }
        let path = arguments.positionals.dropFirst().first
        let settings = try invocation.settings(arguments)
        let storage = invocation.keyStorage(arguments, settings: settings)
        let io = invocation.io
        switch action {
        case "put":
            guard let path else { throw UsageError("keys put needs a PATH, for example keys/pd/api") }
            guard arguments.has("password-stdin") else {
                throw UsageError("keys put reads the secret from standard input: add --password-stdin (a secret on the command line would be visible to other processes)")
            }
            _ = try KeyStorage.normalize(path)
            var secret = io.readInput()
            if secret.last == 0x0A { secret.removeLast() }
            if secret.last == 0x0D { secret.removeLast() }
            guard !secret.isEmpty else { throw UsageError("standard input was empty: nothing to store at \(path)") }
            try storage.putPassword(path, secret: secret)
            io.printError("stored a password at \(try KeyStorage.normalize(path)) in \(storage.base.path)")
        case "list":
            let entries = try storage.list(path ?? "keys")
            if arguments.has("json") {
                let items = entries.map { Value.object(ValueObject([("path", .string($0.path)), ("type", .string(describeType($0.contentType)))])) }
                io.print(JSONWriter.write(.array(items), options: .pretty))
            } else if entries.isEmpty {
                io.printError("no keys under \(path ?? "keys") in \(storage.base.path)")
            } else {
                let width = entries.map(\.path.count).max() ?? 0
                for entry in entries {
                    io.print(entry.path.padded(to: width) + "  " + describeType(entry.contentType))
                }
            }
        case "delete":
            guard let path else { throw UsageError("keys delete needs a PATH") }
            try storage.delete(path)
            io.printError("deleted \(try KeyStorage.normalize(path))")
        default:
            let hint = nearest(to: action, in: ["put", "list", "delete"]).map { "; did you mean '\($0)'?" } ?? ""
            throw UsageError("unknown keys action '\(action)'\(hint)")
        }
        return .success
    }

    /// `password` for Rundeck's password type, otherwise the content type itself.
    static func describeType(_ contentType: String) -> String {
        switch contentType {
        case KeyStorage.passwordContentType: return "password"
        case "application/octet-stream": return "private key"
        case "application/pgp-keys": return "public key"
        default: return contentType
        }
    }
}
