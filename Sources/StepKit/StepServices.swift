import Synchronization

/// What the host builds once for a whole run and lends to every step through its context (a
/// PagerDuty client factory, with its connections, pacing and tokens), kept by type so that
/// StepKit knows none of them. A context without a service lets the step build its own.
public struct StepServices: Sendable {
    private var items: [ObjectIdentifier: any Sendable] = [:]

    /// No services: each step builds what it needs.
    public init() {}

    /// Lends `service` to every step (one per type; a second replaces the first).
    public mutating func add<Service: Sendable>(_ service: Service) {
        items[ObjectIdentifier(Service.self)] = service
    }

    /// The service of this type, if the host lent one.
    public func get<Service: Sendable>(_ type: Service.Type) -> Service? {
        items[ObjectIdentifier(type)] as? Service
    }
}
