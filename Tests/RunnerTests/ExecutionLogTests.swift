import Settings
import Testing

@testable import Runner

/// One execution, any number of observers, each seeing the same masked events in order.
@Suite struct ExecutionLogTests {
    @Test func everyObserverSeesTheSameMaskedStream() {
        let first = EventRecorder(), second = EventRecorder(), late = EventRecorder()
        let redactor = SecretRedactor()
        redactor.register("hunter2-secret")
        let log = ExecutionLog(observers: [first, second], redactor: redactor)
        log.emit(.note(level: .normal, message: "one hunter2-secret"))
        log.add(late)
        log.emit(.log(context: "1", level: .normal, message: "two"))
        log.emit(.log(context: "1", level: .debug, message: "below the level"))
        #expect(first.text == second.text)
        #expect(first.text.contains("one ****") && !first.text.contains("hunter2") && first.text.contains("two"))
        #expect(!first.text.contains("below the level"))
        #expect(late.lines == ["two"] && late.notes.isEmpty)
    }
}
