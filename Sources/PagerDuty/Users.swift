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

/// Requests for users: create, update, delete, read, contact methods, the key's own user.
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

    /// `GET /users/me` (user keys only; 400 for account keys).
    public static let currentUser = PagerDutyRequest(method: "GET", path: "/users/me")
}

/// PagerDuty's user roles.
public let pagerDutyRoles = ["admin", "limited_user", "observer", "owner", "read_only_user", "restricted_access", "read_only_limited_user", "user"]
