import Settings
import Testing
import Values

@testable import StepKit

/// Every error pdstep throws says its own exit code; nothing maps error types by listing them.
@Suite struct ErrorSeamTests {
    struct Unknown: Error {}

    @Test func eachErrorKnowsItsExitCode() {
        let table: [(any Error, ExitCode)] = [
            (SyntaxError("bad", at: SourceLocation(line: 1, column: 1)), .invalidInput),
            (SettingsError("bad"), .invalidInput),
            (KeyStorageError(.invalidPath, "bad path"), .invalidInput),
            (KeyStorageError(.wrongType, "not a password"), .invalidInput),
            (KeyStorageError(.notFound, "no key"), .failed),
            (KeyStorageError(.writeFailed, "disk full"), .failed),
            (StepError(.queued, "kept"), .temporary),
            (StepError(.timedOut, "late"), .timedOut),
            (Unknown(), .failed),
        ]
        for (error, code) in table {
            #expect(ExitCode.of(error) == code, "\(error)")
        }
    }

    @Test func anyErrorBecomesAStepErrorOfTheMatchingKind() {
        #expect(StepError(SettingsError("x")).kind == .invalidInput)
        #expect(StepError(KeyStorageError(.writeFailed, "x")).kind == .failed)
        #expect(StepError(StepError(.queued, "q")).kind == .queued)
        #expect(StepError(SettingsError("x")).rundeckReason == "ConfigurationFailure")
        #expect(SettingsError("x").rundeckReason == "ConfigurationFailure" && KeyStorageError(.notFound, "x").rundeckReason == "PluginFailed")
    }
}

/// Services the host lends every step, by type.
@Suite struct StepServicesTests {
    final class Factory: Sendable {}

    @Test func aServiceIsFoundByItsTypeAndReplaced() {
        var services = StepServices()
        #expect(services.get(Factory.self) == nil)
        let first = Factory(), second = Factory()
        services.add(first)
        #expect(services.get(Factory.self) === first)
        services.add(second)
        #expect(services.get(Factory.self) === second)
        let context = StepContext(keyStorage: KeyStorage(base: "/nonexistent"), services: services, log: NullSink())
        #expect(context.services.get(Factory.self) === second)
    }

    struct NullSink: StepLogSink {
        func write(_ level: LogLevel, _ message: String) {}
    }
}
