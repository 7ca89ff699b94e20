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
    /// Every step pdstep ships. Adding a step: its module in Package.swift's `stepModules`, an
    /// import here, and its type in this list (`StepListTests` checks the two agree).
    public static let builtIn = StepCatalog([
        SendEvent.self, AcknowledgeEvent.self, ResolveEvent.self, SendChangeEvent.self,
        IncidentNote.self, EscalateIncident.self, RunResponsePlay.self, StartIncidentWorkflow.self, UpdateStatus.self, UpdateIncident.self,
        GetIncident.self, UpdateEscalationPolicy.self, AddResponders.self, ListIncidents.self, ListIncidentAlerts.self, ResolveIncidents.self,
        CreateUser.self, UpdateUser.self, DeleteUser.self, GetUser.self, ListUsers.self,
        GetContactMethods.self, ListSchedules.self, ListEscalationPolicies.self, TestConnection.self, ExportDirectory.self,
    ])
}
