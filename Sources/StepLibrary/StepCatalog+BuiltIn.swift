import AcknowledgeEvent
import AddResponders
import CreateUser
import DeleteUser
import EscalateIncident
import ExportDirectory
import GetContactMethods
import GetIncident
import GetUser
import IncidentNote
import ListEscalationPolicies
import ListIncidentAlerts
import ListIncidents
import ListSchedules
import ListUsers
import ResolveEvent
import ResolveIncidents
import RunResponsePlay
import SendChangeEvent
import SendEvent
import StartIncidentWorkflow
import StepKit
import TestConnection
import UpdateEscalationPolicy
import UpdateIncident
import UpdateStatus
import UpdateUser

extension StepCatalog {
    /// Every step pdstep ships, under its type name (so that finding one does not build every
    /// step's descriptor; `StepListTests` and debug builds check each name is its step's).
    /// Adding a step: its module in Package.swift's `stepModules`, an import here, and its type
    /// in this list (`StepListTests` checks the two agree).
    public static let builtIn = StepCatalog(named: [
        ("pagerduty-send-event", SendEvent.self), ("pagerduty-acknowledge-event", AcknowledgeEvent.self),
        ("pagerduty-resolve-event", ResolveEvent.self), ("pagerduty-send-change-event", SendChangeEvent.self),
        ("pagerduty-incident-note", IncidentNote.self), ("pagerduty-escalate-incident", EscalateIncident.self),
        ("pagerduty-run-response-play", RunResponsePlay.self), ("pagerduty-start-incident-workflow", StartIncidentWorkflow.self),
        ("pagerduty-update-status", UpdateStatus.self), ("pagerduty-update-incident", UpdateIncident.self),
        ("pagerduty-get-incident", GetIncident.self), ("pagerduty-update-escalation-policy", UpdateEscalationPolicy.self),
        ("pagerduty-add-responders", AddResponders.self), ("pagerduty-list-incidents", ListIncidents.self),
        ("pagerduty-list-incident-alerts", ListIncidentAlerts.self), ("pagerduty-resolve-incidents", ResolveIncidents.self),
        ("pagerduty-create-user", CreateUser.self), ("pagerduty-update-user", UpdateUser.self), ("pagerduty-delete-user", DeleteUser.self),
        ("pagerduty-get-user", GetUser.self), ("pagerduty-list-users", ListUsers.self), ("pagerduty-get-contact-methods", GetContactMethods.self),
        ("pagerduty-list-schedules", ListSchedules.self), ("pagerduty-list-escalation-policies", ListEscalationPolicies.self),
        ("pagerduty-test-connection", TestConnection.self), ("pagerduty-export-directory", ExportDirectory.self),
    ])
}
