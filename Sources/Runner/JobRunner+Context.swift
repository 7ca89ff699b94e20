import Foundation
import Settings
import StepKit
import Values

/// The variables a run starts with: `${job.*}`, `${globals.*}`, `${node.*}`.
extension JobRunner {
    /// `${job.*}` for one attempt of an execution (the validator uses it with a stand-in execution).
    func jobContext(_ job: Job, execution: Execution, attempt: Int) -> [String: String] {
        let user = ProcessInfo.processInfo.environment["USER"] ?? "pdstep"
        return [
            "name": job.name, "group": job.group, "id": job.uuid ?? "", "execid": execution.id, "executionUuid": execution.uuid,
            "project": settings.value("project.name") ?? "pdstep", "username": user, "user.name": user,
            "loglevel": job.logLevel == .normal ? "INFO" : job.logLevel.description,
            "retryAttempt": String(attempt), "wasRetry": attempt > 0 ? "true" : "false",
        ]
    }

    /// `framework.globals.X`, overridden by `project.globals.X`.
    func globals() -> [String: String] {
        var globals: [String: String] = [:]
        for prefix in ["framework.globals.", "project.globals."] {
            for setting in settings.all where setting.key.hasPrefix(prefix) {
                globals[String(setting.key.dropFirst(prefix.count))] = setting.value
            }
        }
        return globals
    }

    /// `${node.*}`: the local node, the only one pdstep runs on.
    func nodeContext(_ environment: [String: String]) -> [String: String] {
        [
            "name": "localhost", "hostname": "localhost", "username": environment["USER"] ?? "",
            "os-family": "unix", "os-name": "Linux", "description": "the local node", "tags": "",
        ]
    }
}
