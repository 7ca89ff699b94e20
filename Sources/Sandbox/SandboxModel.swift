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

/// The emulated account's records. Each renders itself in PagerDuty's official JSON shape.
struct SandboxUser {
    var id: String
    var name: String
    var email: String
    var role: String
    var color: String
    var timeZone: String
    var jobTitle: String
    var description: String
    var teamIDs: [String]
    var contactMethods: [Value]
}

struct SandboxTeam {
    var id: String
    var name: String
}

struct SandboxService {
    var id: String
    var name: String
    var integrationKey: String
    var escalationPolicyID: String
    var teamIDs: [String]
}

struct SandboxEscalationPolicy {
    var id: String
    var name: String
    var description: String
    var numLoops: Int
    var onCallHandoffNotifications: String
    /// Each rule: delay in minutes and targets (`user_reference` / `schedule_reference` ids).
    var rules: [(delay: Int, targets: [(type: String, id: String)])]
    var teamIDs: [String]
}

struct SandboxSchedule {
    var id: String
    var name: String
    var description: String
    var timeZone: String
    /// Each layer: name, rotation length in seconds, start, users in order.
    var layers: [(name: String, turnSeconds: Int, start: String, users: [String])]
    var teamIDs: [String]
}

struct SandboxAlert {
    var id: String
    var incidentID: String
    var status: String
    var dedupKey: String
    var routingKey: String
    var severity: String
    var summary: String
    var createdAt: String
    var resolvedAt: String?
    var payload: Value
    /// Trigger events folded into this alert.
    var eventCount: Int
}

struct SandboxLogEntry {
    var type: String
    var createdAt: String
    var summary: String
}

struct SandboxIncident {
    var id: String
    var number: Int
    var title: String
    var status: String
    var urgency: String
    var serviceID: String
    var escalationPolicyID: String
    var escalationLevel: Int
    var assigneeIDs: [String]
    var incidentKey: String?
    var createdAt: String
    var updatedAt: String
    var resolvedAt: String?
    var resolution: String?
    var notes: [Value] = []
    var statusUpdates: [Value] = []
    var responderRequests: [Value] = []
    var workflowInstances: [Value] = []
    var logEntries: [SandboxLogEntry] = []
    var alertIDs: [String] = []
}
