#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Values

extension Sandbox {
    /// `/users`: list, read, create, update, delete, contact methods, and `/users/me`.
    func routeUsers(_ call: RESTCall, _ state: inout SandboxState) -> HTTPResponse {
        let (method, parts, request, body, identity) = (call.method, call.parts, call.request, call.body, call.identity)
        let notFound = Self.notFound
        switch (method, parts.first ?? "", parts.count) {
        case ("GET", "users", 2) where parts[1] == "me":
            guard case .user(let id) = identity, let user = state.users.first(where: { $0.id == id }) else {
                return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["This endpoint needs a user-level API key or user OAuth token; it was called with an account-level access token"])
            }
            return Self.json(200, ["user": state.user(user)])
        case ("GET", "users", 1):
            let query = request.queryValue("query")?.lowercased() ?? ""
            let teams = request.queryValues("team_ids[]")
            let include = request.queryValues("include[]")
            let users = state.users.filter { user in
                (query.isEmpty || user.name.lowercased().contains(query) || user.email.lowercased().contains(query))
                    && (teams.isEmpty || user.teamIDs.contains(where: teams.contains))
            }
            return Self.page(request, "users", users.map { state.user($0, include: include) })
        case ("POST", "users", 1):
            return createUser(body, &state)
        case ("GET", "users", 2):
            guard let user = state.users.first(where: { $0.id == parts[1] }) else { return notFound }
            return Self.json(200, ["user": state.user(user, include: request.queryValues("include[]"))])
        case ("PUT", "users", 2):
            return updateUser(parts[1], body, &state)
        case ("DELETE", "users", 2):
            guard let index = state.users.firstIndex(where: { $0.id == parts[1] }) else { return notFound }
            let open = state.incidents.filter { $0.status != "resolved" && $0.assigneeIDs.contains(parts[1]) }
            if !open.isEmpty {
                return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["The user cannot be deleted as they have \(open.count) open incident\(open.count == 1 ? "" : "s") assigned (\(open.map { "#\($0.number)" }.joined(separator: ", "))). Resolve or reassign them first."])
            }
            state.users.remove(at: index)
            return HTTPResponse(status: 204)
        case ("GET", "users", 3) where parts[2] == "contact_methods":
            guard let user = state.users.first(where: { $0.id == parts[1] }) else { return notFound }
            return Self.json(200, ["contact_methods": .array(user.contactMethods)])
        default:
            return notFound
        }
    }
}
