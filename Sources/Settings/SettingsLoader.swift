#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// Why settings could not be loaded. Each message names the file or flag.
public struct SettingsError: ReportableError, Sendable {
    /// What is wrong, naming the file (and line) or the setting.
    public var description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }

    /// A settings file that cannot be used is invalid input.
    public var exitCode: ExitCode { .invalidInput }
}

/// Finds and reads the settings files.
public enum SettingsLoader {
    /// Loads framework.properties, project.properties and `--property` overrides.
    ///
    /// - `frameworkFile` / `projectFile`: explicit files (must exist); when nil,
    ///   `./framework.properties` and `./project.properties` are read if present.
    /// - `overrides`: `key=value` strings from `--property`.
    public static func load(
        frameworkFile: String? = nil, projectFile: String? = nil, overrides: [String] = [],
        directory: String = FileManager.default.currentDirectoryPath
    ) throws -> Settings {
        var entries: [(origin: SettingOrigin, key: String, value: String)] = []
        for (layer, explicit, fallback) in [
            (SettingOrigin.Layer.framework, frameworkFile, "framework.properties"),
            (.project, projectFile, "project.properties"),
        ] {
            let path: String
            if let explicit {
                path = explicit
            } else {
                let candidate = Path.appending(directory, fallback)
                guard FileManager.default.fileExists(atPath: candidate) else { continue }
                path = fallback
            }
            for entry in try readFile(path, relativeTo: directory) {
                entries.append((SettingOrigin(layer: layer, file: path, line: entry.line), entry.key, entry.value))
            }
        }
        for override in overrides {
            guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
                throw SettingsError("--property expects key=value, got '\(override)'")
            }
            let key = String(override[..<equals])
            let value = String(override[override.index(after: equals)...])
            entries.append((SettingOrigin(layer: .commandLine), key, value))
        }
        let settings = Settings(entries: entries)
        if !settings.problems.isEmpty { throw SettingsError(settings.problems.joined(separator: "\n")) }
        return settings
    }

    /// Reads one .properties file; a missing or unreadable file or a bad escape is an error that
    /// names the file (and line:column).
    public static func readFile(_ path: String, relativeTo directory: String) throws -> [PropertiesParser.Entry] {
        let full = Path.resolve(path, in: directory)
        guard let data = FileManager.default.contents(atPath: full) else {
            let exists = FileManager.default.fileExists(atPath: full)
            throw SettingsError(exists ? "cannot read \(path): permission denied" : "\(path): no such file")
        }
        do {
            return try PropertiesParser.parse(bytes: Array(data), file: path)
        } catch {
            throw SettingsError("\(error)")
        }
    }
}
