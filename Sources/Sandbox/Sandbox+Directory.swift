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
    /// The account's directory: abilities, teams, services, schedules, escalation policies.
    func routeDirectory(_ call: RESTCall, _ state: inout SandboxState) -> HTTPResponse {
        let (method, parts, request) = (call.method, call.parts, call.request)
        let notFound = Self.notFound
        switch (method, parts.first ?? "", parts.count) {
        case ("GET", "abilities", 1):
            return Self.json(200, ["abilities": .array(state.abilities.map(Value.string))])
        case ("GET", "abilities", 2):
            return state.abilities.contains(parts[1]) ? HTTPResponse(status: 204) : Self.restError(402, "Account does not have the ability \(parts[1])", code: 2014)
        case ("GET", "teams", 1):
            return Self.page(request, "teams", state.teams.map { ["id": .string($0.id), "type": "team", "name": .string($0.name), "summary": .string($0.name)] })
        case ("GET", "services", 1):
            return Self.page(request, "services", state.services.map {
                ["id": .string($0.id), "type": "service", "name": .string($0.name), "summary": .string($0.name),
                 "escalation_policy": state.reference("escalation_policy", $0.escalationPolicyID, summary: "", path: "escalation_policies")]
            })
        case ("GET", "schedules", 1):
            let query = request.queryValue("query")?.lowercased() ?? ""
            let teams = request.queryValues("team_ids[]")
            let found = state.schedules.filter { (query.isEmpty || $0.name.lowercased().contains(query)) && (teams.isEmpty || $0.teamIDs.contains(where: teams.contains)) }
            return Self.page(request, "schedules", found.map(state.schedule))
        case ("GET", "escalation_policies", 1):
            let query = request.queryValue("query")?.lowercased() ?? ""
            let teams = request.queryValues("team_ids[]")
            let found = state.policies.filter { (query.isEmpty || $0.name.lowercased().contains(query)) && (teams.isEmpty || $0.teamIDs.contains(where: teams.contains)) }
            return Self.page(request, "escalation_policies", found.map(state.escalationPolicy))
        default:
            return notFound
        }
    }
}
