// swift-tools-version: 6.0
//
// pdstep: a job-step plugin host for PagerDuty steps. One package, no dependencies beyond the
// Swift toolchain (see README.md, "Zero third-party packages").
import PackageDescription

/// The job steps. Each name is a folder under `steps/` holding one module that conforms to
/// `JobStep`; adding a step is one line here plus its type in `StepCatalog.builtIn`
/// (`Sources/StepLibrary/StepCatalog+BuiltIn.swift`); a test checks that the two lists agree.
let stepModules: [String] = [
    "SendEvent",
    "AcknowledgeEvent",
    "ResolveEvent",
    "SendChangeEvent",
    "IncidentNote",
    "EscalateIncident",
    "RunResponsePlay",
    "StartIncidentWorkflow",
    "UpdateStatus",
    "UpdateIncident",
    "GetIncident",
    "UpdateEscalationPolicy",
    "AddResponders",
    "ListIncidents",
    "ListIncidentAlerts",
    "ResolveIncidents",
    "CreateUser",
    "UpdateUser",
    "DeleteUser",
    "GetUser",
    "ListUsers",
    "GetContactMethods",
    "ListSchedules",
    "ListEscalationPolicies",
    "TestConnection",
    "ExportDirectory",
]

/// What every step module may import. A step never imports another step, the runner or the CLI.
let stepDependencies: [Target.Dependency] = ["Values", "Settings", "StepKit", "PagerDuty", "PagerDutyStepKit"]

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// Modules where size matters more than speed (the command line, the embedded sandbox and its
/// server, the XML reader, the steps, their kit and catalog, and the PagerDuty client, whose time
/// is the network's) are optimized for size in release builds; the runner, settings, key storage,
/// JSON and YAML stay optimized for speed. (Not the library product's modules: a package that
/// depends on PDStepKit may not inherit unsafe flags.) the binary is what every user copies
/// and starts, and these are most of pdstep's own code (bench/README.md has the figures).
let compactSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-Osize"], .when(configuration: .release))]

let coreTargets: [Target] = [
    .target(name: "Values", swiftSettings: swiftSettings),
    .target(name: "YAML", dependencies: ["Values"], swiftSettings: swiftSettings),
    // The XML subset Rundeck's job files are written in (no DTDs, no entities but XML's five).
    .target(name: "XML", dependencies: ["Values"], swiftSettings: compactSettings),
    .target(name: "Settings", dependencies: ["Values"], swiftSettings: swiftSettings),
    .target(name: "StepKit", dependencies: ["Values", "Settings"], swiftSettings: swiftSettings),
    // libcurl's easy interface, loaded on first use (see Sources/CCurl/include/CCurl.h).
    .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),
    // OpenSSL's TLS client for pdstep's own HTTP client, loaded on first use (Sources/CTLS/include/CTLS.h).
    .target(name: "CTLS", linkerSettings: [.linkedLibrary("dl")]),
    .target(name: "PagerDuty", dependencies: ["Values", "CCurl", "CTLS"], swiftSettings: compactSettings),
    // The HTTP/1.1 server the sandbox (and the coming webhook receiver) answer through.
    .target(name: "HTTPServer", dependencies: ["Values"], swiftSettings: compactSettings),
    .target(name: "Sandbox", dependencies: ["Values", "HTTPServer"], swiftSettings: compactSettings),
    .target(name: "PagerDutyStepKit", dependencies: ["Values", "Settings", "StepKit", "PagerDuty"], swiftSettings: compactSettings),
    .target(name: "Runner", dependencies: ["Values", "YAML", "XML", "Settings", "StepKit"], swiftSettings: swiftSettings),
    // Every step this binary ships, as one catalog (the only list of step types).
    .target(name: "StepLibrary", dependencies: ["StepKit"] + stepModules.map { .target(name: $0) }, swiftSettings: compactSettings),
    .target(
        name: "PDStepCLI",
        dependencies: ["Values", "YAML", "Settings", "StepKit", "Runner", "Sandbox", "HTTPServer", "PagerDuty", "PagerDutyStepKit", "StepLibrary"],
        swiftSettings: compactSettings
    ),
    .executableTarget(name: "pdstep", dependencies: ["PDStepCLI"], swiftSettings: swiftSettings),
]

let stepTargets: [Target] = stepModules.map {
    .target(name: $0, dependencies: stepDependencies, path: "steps/\($0)", swiftSettings: compactSettings)
}

let testTargets: [Target] = [
    .target(name: "TestSupport", path: "Tests/TestSupport", exclude: ["scripted-server.py", "smtp-catcher.py"]),
    .testTarget(name: "ValuesTests", dependencies: ["TestSupport", "Values"]),
    .testTarget(name: "YAMLTests", dependencies: ["TestSupport", "YAML", "Values"], exclude: ["Corpus", "regenerate-golden.py", "Suite", "Suite-LICENSE", "import-suite.py", "suite-differences.txt", "differential.py"]),
    .testTarget(name: "XMLTests", dependencies: ["TestSupport", "XML", "Values"], exclude: ["expat-tree.py"]),
    .testTarget(name: "SettingsTests", dependencies: ["TestSupport", "Settings", "Values"], exclude: ["Fixtures"]),
    .testTarget(name: "StepKitTests", dependencies: ["TestSupport", "StepKit", "Settings", "Values"]),
    .testTarget(name: "SandboxTests", dependencies: ["TestSupport", "HTTPServer", "Sandbox", "Values"]),
    .testTarget(name: "PagerDutyTests", dependencies: ["TestSupport", "PagerDuty", "HTTPServer", "Sandbox", "Values"]),
    .testTarget(
        name: "StepTests",
        dependencies: ["TestSupport", "Runner", "HTTPServer", "Sandbox", "PagerDuty", "PagerDutyStepKit", "StepKit", "Settings", "Values", "YAML", "StepLibrary"] + stepModules.map { .target(name: $0) }),
    .testTarget(name: "RunnerTests", dependencies: ["TestSupport", "Runner", "StepKit", "Settings", "Values", "YAML"], exclude: ["Oracles"]),
    .testTarget(
        name: "CLITests", dependencies: ["TestSupport", "PDStepCLI", "StepLibrary", "pdstep", "StepKit", "Settings", "Values", "YAML", "Runner", "HTTPServer", "Sandbox", "PagerDuty"],
        exclude: ["RundeckJobs", "RundeckXMLJobs"]),
]

let package = Package(
    name: "pdstep",
    products: [
        .executable(name: "pdstep", targets: ["pdstep"]),
        .library(name: "PDStepKit", targets: ["Values", "Settings", "StepKit"]),
    ],
    targets: coreTargets + stepTargets + testTargets
)
