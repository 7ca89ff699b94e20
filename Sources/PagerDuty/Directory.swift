import Foundation
import Values

/// Requests for users, schedules, escalation policies and abilities.
extension PagerDutyRequest {
    /// `POST /users` (From; 201).
    public static func createUser(_ fields: ValueObject) -> PagerDutyRequest {
        var user = ValueObject([("type", "user")])
        for entry in fields { user[entry.key] = entry.value }
        return PagerDutyRequest(method: "POST", path: "/users", body: ["user": .object(user)], requiresFrom: true)
    }

    /// `PUT /users/{id}` with only the given fields (200).
    public static func updateUser(_ id: String, fields: ValueObject) -> PagerDutyRequest {
        var user = ValueObject([("type", "user")])
        for entry in fields { user[entry.key] = entry.value }
        return PagerDutyRequest(method: "PUT", path: "/users/\(segment(id))", body: ["user": .object(user)])
    }

    /// `DELETE /users/{id}` (204).
    public static func deleteUser(_ id: String) -> PagerDutyRequest {
        PagerDutyRequest(method: "DELETE", path: "/users/\(segment(id))")
    }

    /// `GET /users/{id}`.
    public static func getUser(_ id: String, include: [String] = []) -> PagerDutyRequest {
        PagerDutyRequest(method: "GET", path: "/users/\(segment(id))", query: include.map { ("include[]", $0) })
    }

    /// `GET /users/{id}/contact_methods`.
    public static func contactMethods(_ id: String) -> PagerDutyRequest {
        PagerDutyRequest(method: "GET", path: "/users/\(segment(id))/contact_methods")
    }

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
    /// `GET /users/me` (user keys only; 400 for account keys).
    public static let currentUser = PagerDutyRequest(method: "GET", path: "/users/me")
}

/// PagerDuty's user roles.
public let pagerDutyRoles = ["admin", "limited_user", "observer", "owner", "read_only_user", "restricted_access", "read_only_limited_user", "user"]

/// An OAuth access token and when it stops working.
public struct OAuthToken: Sendable {
    public var accessToken: String
    public var expires: Date
}

extension PagerDutyClient {
    /// The client-credentials grant: `POST {identity}/oauth/token` with the app's id and secret.
    public func fetchOAuthToken(clientID: String, clientSecret: String, scope: String) async throws(PagerDutyError) -> OAuthToken {
        let form = [("grant_type", "client_credentials"), ("client_id", clientID), ("client_secret", clientSecret), ("scope", scope)]
        var request = PagerDutyRequest(api: .identity, method: "POST", path: "/oauth/token", idempotent: true)
        request.form = form
        let response = try await send(request)
        guard let token = response.body["access_token"]?.stringValue, !token.isEmpty else {
            throw PagerDutyError(.refused, "the OAuth token answer had no access_token")
        }
        let lifetime = Double(response.body["expires_in"]?.intValue ?? 3600)
        return OAuthToken(accessToken: token, expires: Date().addingTimeInterval(lifetime))
    }
}
