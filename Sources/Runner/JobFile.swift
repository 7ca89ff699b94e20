import Foundation
import Values

/// Reads job definition files.
public enum JobFile {
    /// The jobs of one job file, in any of `JobFormat.all`. Errors carry file:line:column for
    /// syntax and the job and step for structure.
    public static func load(_ path: String, directory: String) throws -> [Job] {
        let full = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: full) else {
            throw JobDefinitionError(FileManager.default.fileExists(atPath: full) ? "cannot read \(path)" : "\(path): no such file")
        }
        let bytes = Array(data)
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
        let full = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
        let folder = (full as NSString).deletingLastPathComponent
        var all = jobs
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where JobFormat.fileExtensions.contains(where: name.lowercased().hasSuffix) {
            let sibling = (folder as NSString).appendingPathComponent(name)
            guard sibling != full, let more = try? load(sibling, directory: directory) else { continue }
            all += more
        }
        return (jobs, all)
    }

    /// The job named by `selector` (name, group/name or uuid); with no selector, the only job.
    public static func select(_ jobs: [Job], _ selector: String?, file: String) throws(JobDefinitionError) -> Job {
        guard let selector else {
            if jobs.count == 1 { return jobs[0] }
            if jobs.isEmpty { throw JobDefinitionError("\(file) holds no jobs") }
            throw JobDefinitionError("\(file) holds \(jobs.count) jobs; choose one with --job: \(jobs.map(\.fullName).joined(separator: ", "))")
        }
        if let job = jobs.first(where: { $0.uuid == selector || $0.fullName == selector }) ?? jobs.first(where: { $0.name == selector }) {
            return job
        }
        throw JobDefinitionError("\(file) has no job '\(selector)'; its jobs: \(jobs.map(\.fullName).joined(separator: ", "))")
    }
}
