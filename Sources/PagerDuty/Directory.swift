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

/// Requests that list the account's directory (users, schedules, escalation policies) and its
/// abilities.
extension PagerDutyRequest {
    /// `GET /users`, `/schedules` or `/escalation_policies` with a name query and team filter.
    public static func list(_ path: String, query text: String?, teamIDs: [String], include: [String] = []) -> PagerDutyRequest {
        var query: [(String, String)] = []
        if let text, !text.isEmpty { query.append(("query", text)) }
        query += teamIDs.map { ("team_ids[]", $0) }
        query += include.map { ("include[]", $0) }
        return PagerDutyRequest(method: "GET", path: path, query: query)
    }

    /// `GET /abilities`.
    public static let abilities = PagerDutyRequest(method: "GET", path: "/abilities")
}
