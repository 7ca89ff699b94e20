import Foundation
import StepKit
import StepLibrary
import Testing

/// The steps are listed twice, necessarily: as modules in Package.swift and as types in
/// `StepCatalog.builtIn`. This keeps the two (and the folders under steps/) in agreement.
@Suite struct StepListTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The names in Package.swift's `stepModules` array.
    static func packageStepModules() throws -> [String] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        guard let start = manifest.range(of: "let stepModules: [String] = ["), let end = manifest[start.upperBound...].range(of: "]") else { return [] }
        return manifest[start.upperBound..<end.lowerBound].split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }.filter { !$0.isEmpty }
    }

    /// The built-in catalog lists each step under a name (to find one without building every
    /// descriptor): each must find its own step, by type name and by command name.
    @Test func everyStepIsFoundUnderItsOwnName() {
        let catalog = StepCatalog.builtIn
        var wrong: [String] = []
        for step in catalog.steps {
            let d = step.descriptor
            let found: [String?] = [catalog.step(type: d.name)?.descriptor.name, catalog.step(named: d.commandName)?.descriptor.name]
                + d.aliases.map { catalog.step(type: $0)?.descriptor.name }
            for name in found where name != d.name { wrong.append("\(d.name) found as \(name ?? "nothing")") }
        }
        #expect(wrong.isEmpty, "\(wrong)")
        let names = catalog.steps.map { $0.descriptor.name }
        #expect(names == names.sorted())
    }

    @Test func packageCatalogAndFoldersAgree() throws {
        let modules = Set(try Self.packageStepModules())
        var catalogModules = Set<String>()
        var names = Set<String>()
        for step in StepCatalog.builtIn.steps {
            catalogModules.insert(String(String(reflecting: step).split(separator: ".")[0]))
            names.insert(step.descriptor.name)
        }
        let folders = Set(try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("steps").path).filter { !$0.hasPrefix(".") })
        let onlyInPackage = modules.subtracting(catalogModules).sorted()
        let onlyInCatalog = catalogModules.subtracting(modules).sorted()
        #expect(modules.count == 26)
        #expect(onlyInPackage.isEmpty && onlyInCatalog.isEmpty, "in Package.swift only: \(onlyInPackage); in the catalog only: \(onlyInCatalog)")
        #expect(folders == modules)
        #expect(names.count == modules.count, "two steps share a name")
    }
}
