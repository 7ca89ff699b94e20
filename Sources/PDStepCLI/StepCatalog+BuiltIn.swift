import AcknowledgeEvent
import AddResponders
import EscalateIncident
import GetIncident
import IncidentNote
import ListIncidentAlerts
import ListIncidents
import ResolveEvent
import ResolveIncidents
import RunResponsePlay
import SendChangeEvent
import SendEvent
import StartIncidentWorkflow
import UpdateEscalationPolicy
import UpdateIncident
import UpdateStatus
import StepKit

extension StepCatalog {
    /// Every step this binary ships. Adding a step: its module in Package.swift's `stepModules`,
    /// an import here, and its type in this list.
    public static let builtIn = StepCatalog([
        SendEvent.self, AcknowledgeEvent.self, ResolveEvent.self, SendChangeEvent.self,
        IncidentNote.self, EscalateIncident.self, RunResponsePlay.self, StartIncidentWorkflow.self, UpdateStatus.self, UpdateIncident.self,
        GetIncident.self, UpdateEscalationPolicy.self, AddResponders.self, ListIncidents.self, ListIncidentAlerts.self, ResolveIncidents.self,
    ])
}
