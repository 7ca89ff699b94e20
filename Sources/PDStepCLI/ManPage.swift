import StepKit
import Values

/// `pdstep help --man`: the manual page (troff, section 1), made from the same command table,
/// step catalog and exit codes as `--help`, so it never says something the binary does not do.
enum ManPage {
    static func render(_ commands: [Command], _ catalog: StepCatalog) -> String {
        var page = """
            .TH PDSTEP 1 "" "pdstep \(pdstepVersion)" "pdstep manual"
            .SH NAME
            pdstep \\- run PagerDuty job steps from Rundeck-style jobs, orchestrators and scripts
            .SH SYNOPSIS
            .B pdstep
            .I COMMAND
            [\\fIOPTIONS\\fR]
            .br
            .B pdstep
            .I STEP
            [\\fB\\-\\-PROPERTY\\fR \\fIVALUE\\fR ...]
            .br
            .BI pd\\- STEP
            [\\fB\\-\\-PROPERTY\\fR \\fIVALUE\\fR ...]
            .SH DESCRIPTION
            pdstep runs Rundeck job definitions (YAML, JSON or XML) step by step, runs each PagerDuty
            step on its own for an external orchestrator (configured by flags, RD_CONFIG_* variables
            or JSON on standard input), and takes PagerDuty webhooks to run jobs (\\fBserve\\fR).
            API keys come from a file-based key storage in Rundeck's layout; settings from Java
            \\fI.properties\\fR files.
            .SH COMMANDS

            """
        for command in commands {
            page += ".SS \(escape("pdstep \(command.name)"))\n\(escape(command.summary))\n"
            let usage = command.usage.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if let first = usage.first, !first.isEmpty { page += ".PP\n.B pdstep \(escape(command.name))\n\(escape(first))\n" }
            let rest = usage.dropFirst().map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            if !rest.isEmpty { page += ".PP\n" + rest.map(escape).joined(separator: "\n") + "\n" }
            for option in command.options {
                page += ".TP\n.B \(escape(option.usage))\n\(escape(option.help))\n"
            }
            if !command.examples.isEmpty {
                page += ".PP\nExamples:\n.nf\n" + command.examples.map { "  " + escape($0) }.joined(separator: "\n") + "\n.fi\n"
            }
        }
        page += ".SH STEPS\nEach step runs as \\fBpdstep\\fR \\fISTEP\\fR, as \\fBpd\\-\\fR\\fISTEP\\fR (links made by \\fBinstall\\-links\\fR), or as a job step of that type.\n"
        for step in catalog.steps {
            let d = step.descriptor
            page += ".SS \(escape(d.commandName)) (\(escape(d.name)))\n\(escape(d.summary))\n"
            for property in d.properties {
                let flag = "--" + property.name.replacingUnderscores()
                page += ".TP\n.B \(escape(flag))\(property.required ? " (required)" : "")\n\(escape(property.description.isEmpty ? property.title : property.description))\n"
            }
        }
        page += ".SH EXIT STATUS\n"
        for code in ExitCode.allCases {
            page += ".TP\n.B \(code.rawValue)\n\(escape(code.meaning))\n"
        }
        page += """
            .TP
            .B 128+n
            stopped by signal n
            .SH FILES
            .TP
            .I storage/
            key storage (\\fB\\-\\-storage\\fR, or the setting pdstep.storage.dir): \\fIcontent/keys/...\\fR and \\fImeta/keys/...\\fR
            .TP
            .I framework.properties, project.properties
            settings (\\fBpdstep config show\\fR lists them with where each came from)
            .SH SEE ALSO
            .BR curl (1),
            the README of pdstep, and \\fBpdstep COMMAND \\-\\-help\\fR.

            """
        return page
    }

    /// Text safe in a troff line: backslashes and hyphens escaped, a leading dot or quote
    /// kept from being read as a request.
    static func escape(_ text: String) -> String {
        var out = text.replacing("\\", with: "\\e").replacing("-", with: "\\-")
        if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
        return out
    }
}
