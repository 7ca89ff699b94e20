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
