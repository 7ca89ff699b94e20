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

/// Lent by a host that supplies the steps' keys itself (the sandbox): the key-storage paths a
/// job names are not what the steps will read, so they are not checked before the run.
public struct KeysSuppliedByHost: Sendable {
    /// What supplies them, for messages (`the sandbox`).
    public var supplier: String
    /// A marker.
    public init(supplier: String) { self.supplier = supplier }
}
