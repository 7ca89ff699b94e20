import Foundation
import PDStepCLI

let code = await PDStep.main(CommandLine.arguments, io: .process)
exit(code)
