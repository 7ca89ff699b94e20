import Foundation
import PDStepCLI

let code = await PDStep.run(Array(CommandLine.arguments.dropFirst()), io: .process)
exit(code)
