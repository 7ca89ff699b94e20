#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import PDStepCLI
import StepKit
import Values

// What needs no setup is answered before any: no signal thread, no task executor.
if let answer = PDStep.immediateAnswer(CommandLine.arguments) {
    StandardStreams.standardOutput(answer)
    exit(0)
}

// SIGTERM, SIGINT and SIGHUP end running commands, remove temporary files and report any event
// in flight (README, "Security").
ProcessTermination.install()

/// Exits with `code`, unless a signal stopped pdstep meanwhile: its handler reports and exits.
func finish(_ code: Int32) -> Never {
    ProcessTermination.waitIfStopping()
    exit(code)
}

if let (step, arguments) = PDStep.stepCommand(CommandLine.arguments) {
    // One step does one thing at a time: it runs on this thread, which starts no other.
    finish(CallingThreadExecutor.run { await PDStep.runStep(step, arguments, io: .process) })
}
Task { finish(await PDStep.main(CommandLine.arguments, io: .process)) }
dispatchMain()
