import AcknowledgeEvent
import ResolveEvent
import SendChangeEvent
import SendEvent
import StepKit

extension StepCatalog {
    /// Every step this binary ships. Adding a step: its module in Package.swift's `stepModules`,
    /// an import here, and its type in this list.
    public static let builtIn = StepCatalog([
        SendEvent.self, AcknowledgeEvent.self, ResolveEvent.self, SendChangeEvent.self,
    ])
}
