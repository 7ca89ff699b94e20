#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Runner
import Settings
import StepKit
import StepLibrary
import Values

/// The `pdstep` command line: a table of commands, dispatched by the first argument.
public enum PDStep {
    /// Runs the process: as `pd-STEP` (a link made by `install-links`) it runs that step.
    public static func main(_ argv: [String], io: CommandIO, catalog: StepCatalog = .builtIn) async -> Int32 {
        if let (step, arguments) = stepCommand(argv, catalog: catalog) {
            return await runStep(step, arguments, io: io, catalog: catalog)
        }
        return await run(Array(argv.dropFirst()), io: io, catalog: catalog)
    }

    /// Runs one step from the command line (what `stepCommand` found).
    public static func runStep(_ step: any JobStep.Type, _ arguments: [String], io: CommandIO, catalog: StepCatalog = .builtIn) async -> Int32 {
        await StepCommand.run(step, arguments, Invocation(io: io, catalog: catalog, redactor: SecretRedactor()))
    }

    /// The step a command line runs on its own, `pd-STEP ARGS` or `pdstep STEP ARGS`, with its
    /// arguments; nil for every other command.
    public static func stepCommand(_ argv: [String], catalog: StepCatalog = .builtIn) -> (any JobStep.Type, [String])? {
        let program = (argv.first.map { Path.lastComponent($0) }) ?? "pdstep"
        if program.hasPrefix("pd-"), let step = catalog.step(named: String(program.dropFirst(3))) {
            return (step, Array(argv.dropFirst()))
        }
        if argv.count > 1, let step = step(named: argv[1], catalog) {
            return (step, Array(argv.dropFirst(2)))
        }
        return nil
    }

    /// The step `name` names, unless a command has that name.
    private static func step(named name: String, _ catalog: StepCatalog) -> (any JobStep.Type)? {
        commands.contains(where: { $0.name == name }) ? nil : catalog.step(named: name)
    }

    /// The output of a command line that needs nothing set up (`pdstep --version`), or nil.
    public static func immediateAnswer(_ argv: [String]) -> String? {
        guard argv.count == 2, argv[1] == "--version" || argv[1] == "version",
            !Path.lastComponent(argv[0]).hasPrefix("pd-")
        else { return nil }
        return "pdstep \(pdstepVersion)\n"
    }

    /// Runs `pdstep` with `arguments` (without the program name) and answers the exit code.
    public static func run(_ arguments: [String], io: CommandIO, catalog: StepCatalog = .builtIn) async -> Int32 {
        let invocation = Invocation(io: io, catalog: catalog, redactor: SecretRedactor())
        guard let first = arguments.first else {
            io.err(overview(catalog))
            return ExitCode.invalidInput.rawValue
        }
        switch first {
        case "--help", "-h", "help":
            if arguments.dropFirst().contains("--man") {
                io.out(ManPage.render(commands, catalog))
            } else if arguments.count > 1, let command = commands.first(where: { $0.name == arguments[1] }) {
                io.out(command.help)
            } else {
                io.out(overview(catalog))
            }
            return ExitCode.success.rawValue
        case "--version", "version":
            io.print("pdstep \(pdstepVersion)")
            return ExitCode.success.rawValue
        default:
            break
        }
        if let step = step(named: first, catalog) {
            return await StepCommand.run(step, Array(arguments.dropFirst()), invocation)
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            var message = "pdstep: unknown command '\(first)'"
            if let hint = nearest(to: first, in: commands.map(\.name) + catalog.allNames) {
                message += "; did you mean '\(hint)'?"
            } else {
                message += "; the commands are \(commands.map(\.name).joined(separator: ", ")), and 'pdstep list' shows the steps"
            }
            io.printError(message)
            return ExitCode.invalidInput.rawValue
        }
        return await execute(command, Array(arguments.dropFirst()), invocation)
    }

    static func execute(_ command: Command, _ arguments: [String], _ invocation: Invocation) async -> Int32 {
        let io = invocation.io
        if arguments.contains("--help") || arguments.contains("-h") {
            io.out(command.help)
            return ExitCode.success.rawValue
        }
        do {
            let parsed = try parseArguments(arguments, options: command.options, maxPositionals: command.maxPositionals)
            return try await command.action(parsed, invocation).rawValue
        } catch let error as UsageError {
            io.printError("pdstep \(command.name): \(error.description) (see pdstep \(command.name) --help)")
            return ExitCode.invalidInput.rawValue
        } catch {
            return report(error, invocation)
        }
    }

    /// Prints an error (secrets masked) and answers its exit code (`ReportableError`).
    static func report(_ error: any Error, _ invocation: Invocation) -> Int32 {
        invocation.io.printError("error: " + invocation.redactor.redact(String(describing: error)))
        return ExitCode.of(error).rawValue
    }

    /// Every command, in the order `--help` lists them.
    static let commands: [Command] = [
        runCommand, validateCommand, listCommand, describeCommand, keysCommand, configCommand, convertCommand, migrateCommand, sandboxCommand,
        installLinksCommand, pluginBundleCommand, outboxCommand, completionCommand, serveCommand, webhooksCommand,
    ]

    static func overview(_ catalog: StepCatalog) -> String {
        var text = """
            pdstep \(pdstepVersion): run PagerDuty job steps from Rundeck-style jobs, orchestrators and scripts.

            usage: pdstep COMMAND [OPTIONS]

            commands:

            """
        let width = commands.map(\.name.count).max() ?? 0
        for command in commands {
            text += "  " + command.name.padded(to: width) + "  " + command.summary + "\n"
        }
        text += "\n  --help, --version\n\nexit codes:\n"
        for code in ExitCode.allCases {
            text += "  \(String(code.rawValue).padded(to: 3))  \(code.meaning)\n"
        }
        text += "\n'pdstep COMMAND --help' describes one command; 'pdstep list' lists the steps; 'pdstep help --man' prints the manual page.\n"
        return text
    }
}
