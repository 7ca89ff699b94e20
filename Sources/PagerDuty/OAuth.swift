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

/// An OAuth access token and when it stops working.
public struct OAuthToken: Sendable {
    /// The token, sent as `Authorization: Bearer`.
    public var accessToken: String
    /// When PagerDuty stops accepting it.
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
