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
    /// `/incidents` and what hangs off them (notes, status updates, responders, alerts, log), and incident workflows.
    func routeIncidents(_ call: RESTCall, _ state: inout SandboxState) -> HTTPResponse {
        let (method, parts, request, body, actor) = (call.method, call.parts, call.request, call.body, call.actor)
        let notFound = Self.notFound
        switch (method, parts.first ?? "", parts.count) {
        case ("GET", "incidents", 1):
            return listIncidents(request, state)
        case ("PUT", "incidents", 1):
            return bulkUpdate(body, actor: actor, &state)
        case ("GET", "incidents", 2):
            guard let incident = state.findIncident(parts[1]) else { return notFound }
            let include = request.query.filter { $0.name == "include[]" || $0.name == "include" }.map(\.value)
            return Self.json(200, ["incident": state.incident(state.incidents[incident], include: include)])
        case ("PUT", "incidents", 2):
            guard let index = state.findIncident(parts[1]) else { return notFound }
            guard case .object(let fields)? = body["incident"] else {
                return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["incident is required"])
            }
            if let problem = state.update(index, fields, actor: actor) { return problem }
            return Self.json(200, ["incident": state.incident(state.incidents[index])])
        case ("POST", "incidents", 3) where parts[2] == "notes":
            guard let index = state.findIncident(parts[1]) else { return notFound }
            return addNote(index, body, actor: actor, &state)
        case ("GET", "incidents", 3) where parts[2] == "notes":
            guard let index = state.findIncident(parts[1]) else { return notFound }
            return Self.json(200, ["notes": .array(state.incidents[index].notes)])
        case ("POST", "incidents", 3) where parts[2] == "status_updates":
            guard let index = state.findIncident(parts[1]) else { return notFound }
            return addStatusUpdate(index, body, actor: actor, &state)
        case ("POST", "incidents", 3) where parts[2] == "responder_requests":
            guard let index = state.findIncident(parts[1]) else { return notFound }
            return responderRequest(index, body, &state)
        case ("GET", "incidents", 3) where parts[2] == "alerts":
            guard let index = state.findIncident(parts[1]) else { return notFound }
            let id = state.incidents[index].id
            let statuses = request.queryValues("statuses[]")
            let found = state.incidentPositions[id].map { state.alerts(of: state.incidents[$0]) }?.filter { statuses.isEmpty || statuses.contains($0.status) } ?? []
            return Self.page(request, "alerts", found.map(state.alert))
        case ("GET", "incidents", 3) where parts[2] == "log_entries":
            guard let index = state.findIncident(parts[1]) else { return notFound }
            let incident = state.incidents[index]
            let entries = incident.logEntries.enumerated().map { position, entry in state.logEntry(entry, of: incident, at: position) }
            return Self.page(request, "log_entries", entries)
        case ("POST", "incident_workflows", 3) where parts[2] == "instances":
            return startWorkflow(parts[1], body, &state)
        case ("POST", "response_plays", 3) where parts[2] == "run":
            // PagerDuty removed response plays (2025-09-09); the sandbox answers as the API now does.
            return notFound
        default:
            return notFound
        }
    }

    /// `POST /incidents/{id}/notes`.
    func addNote(_ index: Int, _ body: Value, actor: String?, _ state: inout SandboxState) -> HTTPResponse {
        guard let content = body["note"]?["content"]?.stringValue, !content.isEmpty else {
            return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["Note content cannot be empty"])
        }
        guard state.incidents[index].notes.count < 2000 else {
            return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["An incident can have at most 2000 notes"])
        }
        let note: Value = [
            "id": .string(state.nextID("PNOTE")), "user": state.userReference(actor ?? "PUSR001"),
            "channel": ["summary": "The PagerDuty API"], "content": .string(content),
            "created_at": .string(SandboxState.now()), "updated_at": .string(SandboxState.now()),
        ]
        state.incidents[index].notes.append(note)
        state.incidents[index].logEntries.append(SandboxLogEntry(type: "annotate_log_entry", createdAt: SandboxState.now(), summary: "Note added"))
        state.announce("incident.annotated", incidentID: state.incidents[index].id, agent: state.userReference(actor ?? "PUSR001"))
        return Self.json(200, ["note": note])
    }

    /// `POST /incidents/{id}/status_updates`: kept, and sent as an email would be (subject, HTML).
    func addStatusUpdate(_ index: Int, _ body: Value, actor: String?, _ state: inout SandboxState) -> HTTPResponse {
        guard let message = body["message"]?.stringValue, !message.isEmpty else {
            return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["message is required"])
        }
        let update: Value = [
            "id": .string(state.nextID("PSTU")), "message": .string(message), "created_at": .string(SandboxState.now()),
            "sender": state.userReference(actor ?? "PUSR001"),
            // PagerDuty sends the update as an email too: its subject, and the message as HTML.
            "subject": .string("Status update: \(state.incidents[index].title)"), "html_message": .string("<p>" + Self.htmlEscaped(message) + "</p>"),
        ]
        state.incidents[index].statusUpdates.append(update)
        state.incidents[index].logEntries.append(SandboxLogEntry(type: "status_update_log_entry", createdAt: SandboxState.now(), summary: message))
        state.announce("incident.status_update_published", incidentID: state.incidents[index].id, agent: state.userReference(actor ?? "PUSR001"))
        return Self.json(200, ["status_update": update])
    }

    /// `POST /incident_workflows/{id}/instances`.
    func startWorkflow(_ workflow: String, _ body: Value, _ state: inout SandboxState) -> HTTPResponse {
        guard state.abilities.contains("incident_workflows") else { return Self.restError(402, "Account does not have the ability incident_workflows", code: 2014) }
        guard state.workflows.contains(where: { $0.id == workflow }) else { return Self.notFound }
        guard let incidentID = body["incident_workflow_instance"]?["incident"]?["id"]?.stringValue, let index = state.findIncident(incidentID) else {
            return Self.restError(400, "Invalid Input Provided", code: 2001, errors: ["incident_workflow_instance.incident.id must name an incident of this account"])
        }
        let instance: Value = [
            "id": .string(body["incident_workflow_instance"]?["id"]?.stringValue ?? state.nextID("PWFI")), "type": "incident_workflow_instance",
            "incident": state.reference("incident", state.incidents[index].id, summary: state.incidents[index].title, path: "incidents"),
        ]
        state.incidents[index].workflowInstances.append(["workflow": .string(workflow), "instance": instance])
        state.incidents[index].logEntries.append(SandboxLogEntry(type: "workflow_log_entry", createdAt: SandboxState.now(), summary: "Incident workflow \(workflow) started"))
        return Self.json(201, ["incident_workflow_instance": instance])
    }
}
