#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import StepKit
import Values

/// Reads job definition files.
public enum JobFile {
    /// The jobs of one job file, in any of `JobFormat.all`. Errors carry file:line:column for
    /// syntax and the job and step for structure.
    public static func load(_ path: String, directory: String) throws -> [Job] {
        let full = Path.resolve(path, in: directory)
        let bytes = try read(full, shown: path)
        let document = try JobFormat.detect(bytes, path: path).read(bytes, path)
        return try JobDecoder.decode(document, file: path)
    }

    /// The jobs of `path`, followed by those of the other job files in its folder (for job
    /// references); sibling files that do not parse are skipped.
    public static func loadWithSiblings(_ path: String, directory: String) throws -> (jobs: [Job], all: [Job]) {
        let jobs = try load(path, directory: directory)
        let referencesOthers = jobs.contains { job in
            job.workflow.steps.contains { step in
                if case .jobRef = step.kind { return true }
                if let handler = step.errorHandler, case .jobRef = handler.kind { return true }
                return false
            }
        }
        guard referencesOthers else { return (jobs, jobs) }
        let full = Path.resolve(path, in: directory)
        let folder = Path.deletingLastComponent(full)
        var all = jobs
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where JobFormat.fileExtensions.contains(where: name.lowercased().hasSuffix) {
            let sibling = Path.appending(folder, name)
            guard sibling != full, let more = try? load(sibling, directory: directory) else { continue }
            all += more
        }
        return (jobs, all)
    }

    /// The largest job file (or standard input) read: far beyond any real job file, and a bound
    /// on the memory a wrong file can take.
    public static let maxBytes = 64 << 20

    /// The bytes of a job file, at most `maxBytes` (read to that bound, so `/dev/zero` or a
    /// growing file cannot take all memory).
    public static func read(_ full: String, shown: String) throws(JobDefinitionError) -> [UInt8] {
        let descriptor = Glibc.open(full, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw JobDefinitionError(FileManager.default.fileExists(atPath: full) ? "cannot read \(shown)" : "\(shown): no such file")
        }
        defer { close(descriptor) }
        do {
            return try readBounded(descriptor)
        } catch {
            throw JobDefinitionError("\(shown): " + error.description)
        }
    }

    /// Everything `descriptor` has, failing once there is more than `maxBytes`.
    public static func readBounded(_ descriptor: Int32) throws(JobDefinitionError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw JobDefinitionError("cannot be read: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > maxBytes { throw JobDefinitionError("larger than \(maxBytes >> 20) MB; a job file is never that large") }
        }
        return bytes
    }

    /// What `open` found: the jobs the command acts on, every job references may name, the
    /// project settings file that came with them, and the files that could not be read.
    public struct Opened: Sendable {
        /// The jobs of the file, or of the whole project folder.
        public var jobs: [Job]
        /// Every job a reference may name.
        public var all: [Job]
        /// A project folder's `files/etc/project.properties`, when it has one.
        public var projectProperties: String?
        /// Job files of a project folder that could not be read, each with why.
        public var unreadable: [String]
        /// True when a folder was opened.
        public var isProject: Bool
    }

    /// Most job files read from one project folder, and how deep its folders may go.
    public static let maxProjectFiles = 10_000
    static let maxProjectDepth = 8

    /// A job file (with its folder's other job files for references, `loadWithSiblings`), or a
    /// project folder: an unzipped Rundeck project archive (`rundeck-<project>/` with
    /// `jobs/job-<uuid>.xml` and `files/etc/project.properties`, or the folder holding just one
    /// such `rundeck-*` folder), or any folder of job files. A folder with `jobs/` is read from
    /// there down (the archive's executions and reports are XML too, and not jobs); any other
    /// folder from itself down.
    public static func open(_ path: String, directory: String) throws -> Opened {
        let full = Path.resolve(path, in: directory)
        guard isDirectory(full) else {
            let loaded = try loadWithSiblings(path, directory: directory)
            return Opened(jobs: loaded.jobs, all: loaded.all, projectProperties: nil, unreadable: [], isProject: false)
        }
        let (folder, files) = try projectFiles(full, shown: path)
        var jobs: [Job] = []
        var unreadable: [String] = []
        for file in files {
            let shown = file.hasPrefix(directory + "/") ? String(file.dropFirst(directory.count + 1)) : file
            do {
                jobs += try load(shown, directory: directory)
            } catch {
                unreadable.append("\(error)")
            }
        }
        if jobs.isEmpty && unreadable.isEmpty {
            throw JobDefinitionError("\(path) is a folder with no job files (\(JobFormat.fileExtensions.joined(separator: ", ")), under jobs/ when it has one); give a job file or a project folder")
        }
        let properties = folder + "/files/etc/project.properties"
        return Opened(
            jobs: jobs, all: jobs, projectProperties: FileManager.default.fileExists(atPath: properties) ? properties : nil,
            unreadable: unreadable, isProject: true)
    }

    /// A project folder's own folder (the one `rundeck-*` inside, if that is what was given) and
    /// its job files, sorted: under `jobs/` when it has one, else everywhere below it.
    public static func projectFiles(_ full: String, shown: String) throws(JobDefinitionError) -> (folder: String, files: [String]) {
        var folder = full
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let archives = entries.filter { $0.hasPrefix("rundeck-") && isDirectory(folder + "/" + $0) }
        if !entries.contains("jobs"), archives.count == 1 { folder += "/" + archives[0] }
        let root = isDirectory(folder + "/jobs") ? folder + "/jobs" : folder
        var files: [String] = []
        collectJobFiles(in: root, depth: 0, into: &files)
        guard files.count <= maxProjectFiles else {
            throw JobDefinitionError("\(shown) holds more than \(maxProjectFiles) job files; give the folder of one project")
        }
        return (folder, files.sorted())
    }

    static func isDirectory(_ path: String) -> Bool {
        var isFolder = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder
    }

    /// The job files under `folder` (hidden files and folders skipped, symlinks not followed),
    /// stopping once there are more than `maxProjectFiles`.
    private static func collectJobFiles(in folder: String, depth: Int, into files: inout [String]) {
        guard depth <= maxProjectDepth, files.count <= maxProjectFiles else { return }
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() where !name.hasPrefix(".") {
            let path = folder + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let type = attributes[.type] as? FileAttributeType else { continue }
            if type == .typeDirectory {
                collectJobFiles(in: path, depth: depth + 1, into: &files)
            } else if type == .typeRegular, JobFormat.fileExtensions.contains(where: name.lowercased().hasSuffix) {
                files.append(path)
                if files.count > maxProjectFiles { return }
            }
        }
    }

    /// The job named by `selector` (name, group/name or uuid); with no selector, the only job.
    public static func select(_ jobs: [Job], _ selector: String?, file: String) throws(JobDefinitionError) -> Job {
        let listed = jobs.count > 20 ? jobs.prefix(20).map(\.fullName).joined(separator: ", ") + ", ... (\(jobs.count) in all)" : jobs.map(\.fullName).joined(separator: ", ")
        guard let selector else {
            if jobs.count == 1 { return jobs[0] }
            if jobs.isEmpty { throw JobDefinitionError("\(file) holds no jobs") }
            throw JobDefinitionError("\(file) holds \(jobs.count) jobs; choose one with --job: \(listed)")
        }
        let trimmed = selector.hasPrefix("/") ? String(selector.dropFirst()) : selector
        if let job = jobs.first(where: { $0.uuid == trimmed || $0.fullName == trimmed }) {
            return job
        }
        let named = jobs.filter { $0.name == trimmed }
        if named.count == 1 { return named[0] }
        if named.count > 1 {
            throw JobDefinitionError("\(file) has \(named.count) jobs named '\(trimmed)'; name one with its group: \(named.map(\.fullName).joined(separator: ", "))")
        }
        let hint = nearest(to: trimmed, in: jobs.map(\.fullName)).map { "did you mean '\($0)'? " } ?? ""
        throw JobDefinitionError("\(file) has no job '\(selector)'; \(hint)its jobs: \(listed)")
    }
}
