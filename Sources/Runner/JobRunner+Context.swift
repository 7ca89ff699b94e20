#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
#if canImport(Glibc)
import Glibc
#endif
import Settings
import StepKit
import Values

/// The variables a run starts with: `${job.*}`, `${globals.*}`, `${node.*}`.
extension JobRunner {
    /// `${job.*}` for one attempt of an execution, the set Rundeck builds
    /// (ExecutionService.exportContextForExecution, ExecutionService.groovy 1135-1175; the
    /// validator uses it with a stand-in execution). The server URL comes from Rundeck's own
    /// `framework.server.url` setting (empty when unset); (`pdstep serve`: its own address when that is unset); the user is `--user`, else the OS user.
    func jobContext(_ job: Job, execution: Execution, attempt: Int, request: RunRequest) -> [String: String] {
        let user = request.user ?? Self.osUser(request.environment)
        let project = settings.value("project.name") ?? "pdstep"
        let server = settings.value("framework.server.url") ?? request.serverURL ?? ""
        var context = [
            "name": job.name, "group": job.group, "id": job.uuid ?? "", "execid": execution.id, "executionUuid": execution.uuid,
            "execIdForLogStore": execution.id, "isRemoteFilePath": "false", "executionType": "user",
            "project": project, "username": user, "user.name": user,
            "loglevel": job.logLevel == .normal ? "INFO" : job.logLevel.description,
            "serverUrl": server,
            "url": server.isEmpty ? "" : Self.withoutTrailingSlash(server) + "/project/\(project)/execution/show/\(execution.id)",
            "retryAttempt": String(attempt), "wasRetry": attempt > 0 ? "true" : "false",
            "retryInitialExecId": execution.retryInitialID ?? "0", "retryPrevExecId": execution.retryPreviousID ?? "0",
            "threadcount": "1", "successOnEmptyNodeFilter": "false",
        ]
        if let filter = job.nodeFilter, !filter.isEmpty { context["filter"] = filter }
        // Rundeck sets it only when the user's profile has an address.
        if let email = request.userEmail, !email.isEmpty { context["user.email"] = email }
        return context
    }

    /// The user running pdstep: `$USER`, else the account's name, else "pdstep".
    static func osUser(_ environment: [String: String]) -> String {
        if let user = environment["USER"], !user.isEmpty { return user }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "pdstep"
    }

    private static func withoutTrailingSlash(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
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
