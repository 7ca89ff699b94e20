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

let code = await PDStep.main(CommandLine.arguments, io: .process)
// Stopped by a signal meanwhile: the signal's handler reports and exits.
ProcessTermination.waitIfStopping()
exit(code)
