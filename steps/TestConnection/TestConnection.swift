import PagerDuty
import PagerDutyStepKit
import StepKit
import Values

/// `pagerduty-test-connection`: prove the configured key and region work.
public struct TestConnection: JobStep {
    public static let descriptor = StepDescriptor(
        name: "pagerduty-test-connection", title: "Test Connection",
        summary: "Check that the API key and region work, what kind of key it is, and the routing key's shape.",
        details: "Calls GET /abilities (key and region) and GET /users/me (a user key answers; an account key is refused, which tells them apart), warns when writes will need from_email, and checks a configured routing key's shape. Exits 0 only when every check passed.",
        properties: PagerDutyProperties.rest + PagerDutyProperties.events + [PagerDutyProperties.fromEmail],
        outputs: [
            StepOutput("key_type", "account, user or oauth."), StepOutput("region", "us or eu."),
            StepOutput("abilities", "How many abilities the account has."), StepOutput("user_email", "The key's user, for a user key."),
        ])

    let config: StepConfig

    public init(config: StepConfig) throws(StepError) { self.config = config }

    public func run(_ context: StepContext) async throws(StepError) -> StepResult {
        let configuration = try context.pagerDutyClients().configuration()
        var outputs = ["region": configuration.region]
        var failures: [String] = []
        func pass(_ text: String) { context.log(.normal, "ok: " + text) }
        // A failed check is said once, in the error the step ends with (each as a detail line).
        func fail(_ text: String) { failures.append(text) }
        // The routing key, when one is configured (not merely pdstep's default path).
        let routingPathGiven = config.string("integration_key_path") != nil && config.origins["integration_key_path"]?.hasPrefix("the default of") != true
        if config.string("integration_key") != nil || routingPathGiven {
            do {
                let key = try context.routingKey(config)
                if let problem = EventLimits.routingKeyProblem(key) { fail("the routing key \(problem)") } else { pass("the routing key looks like an Events API v2 integration key") }
            } catch {
                fail(error.message)
            }
        }
        let call: RESTSession
        do {
            call = try await RESTSession(context, config)
        } catch {
            fail(error.message)
            throw StepError(.failed, "the connection test failed", details: failures)
        }
        if context.dryRun {
            _ = try await call.send(.abilities)
            _ = try await call.send(.currentUser)
            return call.dryRunResult("check the key against \(configuration.restBase.absoluteString)")
        }
        let client = call.client
        do {
            let abilities = try await client.send(.abilities)
            let count = abilities.body["abilities"]?.arrayValue?.count ?? 0
            outputs["abilities"] = String(count)
            pass("the key works with the \(configuration.region.uppercased()) REST API at \(configuration.restBase.absoluteString) (\(count) abilities)")
        } catch {
            if error.kind == .unauthorized {
                // The hint, then PagerDuty's own words (its message and errors[]).
                fail("PagerDuty refused the key at \(configuration.restBase.absoluteString) (region \(configuration.region)). If the account is in the \(configuration.region == "us" ? "EU" : "US") region, set pagerduty.region=\(configuration.region == "us" ? "eu" : "us"); otherwise check that this is a REST API key, not an integration key")
                fail("PagerDuty said: " + StepError(error).message + (error.details.isEmpty ? "" : " (" + error.details.filter { !$0.hasPrefix("PagerDuty did not accept the key") }.joined(separator: "; ") + ")"))
            } else {
                fail(StepError(error).description)
            }
            throw StepError(error.kind == .unauthorized ? .unauthorized : StepError(error).kind, "the connection test failed", details: failures)
        }
        if case .oauth? = client.credentials {
            outputs["key_type"] = "oauth"
            pass("the credentials are an OAuth token")
        } else {
            do {
                let me = try await client.send(.currentUser)
                outputs["key_type"] = "user"
                outputs["user_email"] = me.body["user"]?["email"]?.text ?? ""
                pass("this is a user-level key (\(outputs["user_email"] ?? "")); writes are made as that user")
            } catch where error.httpStatus == 400 {
                outputs["key_type"] = "account"
                pass("this is an account-level key")
                if client.fromEmail == nil {
                    context.log(.warn, "warning: with an account-level key, notes, incident updates and user creation need a From user: set from_email, or pagerduty.from_email")
                }
            } catch {
                fail("GET /users/me: " + StepError(error).description)
            }
        }
        if !failures.isEmpty { throw StepError(.failed, "the connection test failed", details: failures) }
        return StepResult(outputs: outputs, summary: "connection OK (\(outputs["key_type"] ?? "") key, region \(configuration.region))")
    }
}
