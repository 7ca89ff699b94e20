#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Settings
import StepKit
import Values

/// Local commands: `exec` lines, inline scripts and script files, run on this node with their
/// values out of band (`ShellSubstitution`) and their scripts in private folders.
extension JobRunner {
    /// A command as the log and dry runs show it: values in place, quoted as one word each, a
    /// secret value masked whatever its length. Never run; the command that runs carries its
    /// values out of band (`ShellSubstitution`).
    func displayCommand(_ text: String, _ data: DataContext) -> String {
        VariableExpander.expand(text, unresolved: .blankOptionsOnly, resolve: data.resolve) { reference, value, _ in
            if redactor.isSecret(value) { return SecretRedactor.mask }
            return reference.group == "unquotedoption" ? value : ShellSubstitution.shellWord(value)
        }
    }

    func shellChecked<T>(_ body: () throws(ShellSubstitution.Refusal) -> T) throws(StepError) -> T {
        do {
            return try body()
        } catch {
            // A runtime value (an option, data from an earlier step): steps may have run already.
            throw StepError(.failed, error.description)
        }
    }

    func runScript(
        _ body: String, expandTokens: Bool, args: String, interpreter: String?, quoted: Bool, ext: String?, number: String,
        filters: OutputFilters, state: RunState
    ) async throws -> StepOutcome {
        let shebang = Self.shebang(body)
        var values = ShellSubstitution()
        var script = body
        if expandTokens {
            // `@option.x@` tokens: out of band when a POSIX shell runs the script; other
            // interpreters get the text, as Rundeck gives it (see README, Security).
            if Self.runsInShell(interpreter: interpreter, shebang: shebang) {
                script = try shellChecked { () throws(ShellSubstitution.Refusal) in try values.expandShellScript(body, resolve: state.data.resolve) }
            } else {
                script = VariableExpander.expandScriptTokens(body, resolve: state.data.resolve)
            }
        }
        let argsInline = quoted && !(interpreter ?? "").isEmpty
        let expandedArgs = try shellChecked { () throws(ShellSubstitution.Refusal) in
            try values.expandCommand(args, inline: argsInline, resolve: state.data.resolve)
        }
        let displayArgs = displayCommand(args, state.data)
        let display = "script" + (displayArgs.isEmpty ? "" : " " + displayArgs)
        if state.request.dryRun { return StepOutcome(summary: "would run: \(display)") }

        let folder = try PrivateFolder(environment: state.request.environment)
        defer { folder.remove() }
        let file = folder.path + "/step-\(number.replacing("/", with: "-"))-script" + (ext.map { $0.hasPrefix(".") ? $0 : "." + $0 } ?? "")
        if let why = Self.writeScript(Array(script.utf8), to: file) {
            throw StepError(.failed, "cannot write the script to \(file): \(why)")
        }
        let quotedFile = ShellSubstitution.shellWord(file)
        let command: String
        if let interpreter, !interpreter.isEmpty {
            // `${scriptfile}` in the interpreter is the script's path, which is then not added
            // after it (ScriptExecUtil.createScriptArgList). interpreterArgsQuoted: the
            // interpreter gets "file args" as one argument (sudo -c style), and the shell it
            // starts parses them: values are quoted text there.
            let placed = interpreter.contains("${scriptfile}")
            let line = placed ? interpreter.replacing("${scriptfile}", with: quotedFile) : interpreter
            let rest = (placed ? [] : [file]) + (expandedArgs.isEmpty ? [] : [expandedArgs])
            if quoted {
                command = line + (rest.isEmpty ? "" : " " + ShellSubstitution.shellWord(rest.joined(separator: " ")))
            } else {
                command = "\(line) \(placed ? "" : quotedFile) \(expandedArgs)"
            }
        } else if let shebang {
            // The interpreter line is run as the kernel would run it, rather than executing the
            // file: that works where the temporary folder is mounted noexec, and cannot fail
            // with "Text file busy" when another thread forks while the file is being written.
            command = (shebang + [file]).map(ShellSubstitution.shellWord).joined(separator: " ") + " \(expandedArgs)"
        } else {
            command = "/bin/sh \(quotedFile) \(expandedArgs)"
        }
        return try await runCommand(["/bin/sh", "-c", command], display: display, values: values.variables, number: number, filters: filters, state: state)
    }

    /// Whether a POSIX shell reads the script: no interpreter and no `#!` line (`/bin/sh`), or
    /// one naming sh, bash, dash, ksh, zsh or ash (directly or through `env`).
    static func runsInShell(interpreter: String?, shebang: [String]?) -> Bool {
        let words: [String]
        if let interpreter, !interpreter.isEmpty {
            words = interpreter.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        } else if let shebang {
            words = shebang.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        } else {
            return true
        }
        func name(_ word: String) -> String { String(word.split(separator: "/").last ?? "") }
        var program = words.first.map(name) ?? ""
        if program == "env", let next = words.dropFirst().first(where: { !$0.hasPrefix("-") }) { program = name(next) }
        return ["sh", "bash", "dash", "ksh", "zsh", "ash", "mksh"].contains(program)
    }

    /// A script's `#!` line split as Linux splits it: the program, then everything after it
    /// (trimmed) as one argument. nil without one.
    static func shebang(_ body: String) -> [String]? {
        let bytes = Array(body.utf8.prefix { $0 != UInt8(ascii: "\n") })
        guard bytes.starts(with: Array("#!".utf8)) else { return nil }
        let line = String(decoding: bytes.dropFirst(2), as: UTF8.self).trimming { $0 == "\r" || ($0.properties.isWhitespace && $0 != "\n") }
        guard let program = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first else { return nil }
        let argument = line.dropFirst(program.count).trimmingSpaces()
        return [String(program)] + (argument.isEmpty ? [] : [argument])
    }

    /// Writes a script owner-only, through a descriptor closed on exec (a command spawned by
    /// another thread meanwhile does not inherit it). Answers why not, or nil.
    static func writeScript(_ bytes: [UInt8], to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o700)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return String(cString: strerror(errno)) }
            written += count
        }
        return nil
    }

    /// Runs a command; `values` are the out-of-band values its text refers to.
    func runCommand(
        _ argv: [String], display: String, values: [String: String], number: String, filters: OutputFilters, state: RunState
    ) async throws -> StepOutcome {
        if state.request.dryRun {
            return StepOutcome(summary: "would run: \(display)")
        }
        var environment = state.request.environment
        environment.merge(state.data.environment()) { $1 }
        environment.merge(values) { $1 }
        let log = self.log
        let show: @Sendable (String) -> Void = { line in log.emit(.log(context: number, level: .normal, message: line)) }
        // Capture filters match on a thread of their own, within a time budget (FilterWorker).
        let worker = filters.capturesData ? FilterWorker(filters, emit: show) : nil
        let result: LocalCommand.Outcome
        do {
            result = try await LocalCommand.run(
                argv, environment: environment, directory: state.request.directory,
                onStdout: { line in if let worker { worker.take(line) } else { show(line) } },
                onStderr: { line in log.emit(.log(context: number, level: .error, message: line)) })
        } catch {
            if let worker { _ = await Self.finish(worker) }
            throw error
        }
        var data: [(key: String, value: String)] = []
        if let worker {
            let notes: [String]
            switch await Self.finish(worker) {
            case .finished(let captured, let said): (data, notes) = (captured, said)
            case .stopped(let note): notes = [note]
            }
            for note in notes { log.emit(.log(context: number, level: .normal, message: note)) }
        }
        if Task.isCancelled { throw StepError(.timedOut, "interrupted: the job ran out of time") }
        var outcome: StepOutcome
        if result.exitCode == 0 {
            outcome = StepOutcome(summary: "exit 0")
        } else {
            var error = StepError(.failed, result.signalled ? "the command was killed by signal \(result.exitCode)" : "the command exited with code \(result.exitCode)")
            error.reason = "NonZeroResultCode"
            outcome = StepOutcome(error: error)
            outcome.resultCode = result.exitCode
        }
        outcome.data = data
        return outcome
    }

    /// Waits off the cooperative threads for `worker` to finish, giving up early when the job
    /// is cancelled (its timeout).
    static func finish(_ worker: FilterWorker) async -> FilterWorker.Result {
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                startThread { continuation.resume(returning: worker.finish(cancelled: { cancelled.isSet })) }
            }
        } onCancel: {
            cancelled.set()
        }
    }
}
