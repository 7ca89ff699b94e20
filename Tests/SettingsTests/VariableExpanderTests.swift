import Foundation
import Synchronization
import Testing

@testable import Settings
import Values

let context: [String: [String: String]] = [
    "option": ["host": "web1", "empty": ""],
    "job": ["name": "Deploy", "user.name": "alice"],
    "data": ["dedup_key": "abc"],
]

func resolve(_ reference: VariableReference) -> String? {
    context[reference.group == "unquotedoption" ? "option" : reference.group]?[reference.key]
}

@Suite struct VariableExpanderTests {
    @Test func knownReferencesExpandEverywhere() {
        let text = "${option.host} ran ${job.name} by ${job.user.name} key=${data.dedup_key}"
        for mode in [VariableExpander.Unresolved.blank, .blankOptionsOnly, .keep] {
            #expect(VariableExpander.expand(text, unresolved: mode, resolve: resolve) == "web1 ran Deploy by alice key=abc")
        }
    }

    @Test func pluginConfigurationBlanksEveryUnresolvedReference() {
        let text = "a${option.nope}b${data.nope}c${HOME}d"
        #expect(VariableExpander.expand(text, unresolved: .blank, resolve: resolve) == "abcd")
    }

    @Test func commandsBlankUnknownOptionsButKeepOtherReferences() {
        let text = "echo ${option.nope} ${data.nope} ${HOME}"
        #expect(VariableExpander.expand(text, unresolved: .blankOptionsOnly, resolve: resolve) == "echo  ${data.nope} ${HOME}")
    }

    @Test func keepLeavesUnresolvedAsWritten() {
        #expect(VariableExpander.expand("${option.nope}s", unresolved: .keep, resolve: resolve) == "${option.nope}s")
    }

    @Test func whitespaceInsideBracesIsNotAReference() {
        #expect(VariableExpander.expand("${ option.host}", unresolved: .blank, resolve: resolve) == "${ option.host}")
    }

    @Test func referenceGrammar() {
        #expect(VariableReference.parse("2:data.k@web1") == VariableReference(step: "2", group: "data", key: "k", node: "web1"))
        #expect(VariableReference.parse("data.k*;") == VariableReference(group: "data", key: "k", joinDelimiter: ";"))
        #expect(VariableReference.parse("data.k*") == VariableReference(group: "data", key: "k", joinDelimiter: ","))
        #expect(VariableReference.parse("job.user.name") == VariableReference(group: "job", key: "user.name"))
        #expect(VariableReference.parse("HOME") == nil)
    }

    @Test func scriptTokens() {
        func expand(_ s: String) -> String { VariableExpander.expandScriptTokens(s, resolve: resolve) }
        #expect(expand("host=@option.host@") == "host=web1")
        #expect(expand("user@@mail.@option.host@") == "user@mail.web1")
        #expect(expand("@@@option.host@") == "@web1")
        #expect(expand("Hi user@somewhere, @option.host@!") == "Hi user@somewhere, web1!")
        #expect(expand("missing=@option.nope@.") == "missing=.")
        #expect(expand("trailing @") == "trailing @")
        let nodeQualified = VariableExpander.expandScriptTokens("@data.dedup_key/web1@") { ref in
            ref.node == "web1" ? "on-web1" : nil
        }
        #expect(nodeQualified == "on-web1")
    }
}

@Suite struct SecretRedactorTests {
    @Test func registeredSecretsAreMaskedLongestFirst() {
        let redactor = SecretRedactor()
        redactor.register("abcd")
        redactor.register("abcdef\n")
        #expect(redactor.redact("key abcdef and abcd") == "key **** and ****")
        #expect(redactor.redact("nothing here") == "nothing here")
    }

    /// A 3-character secret masks only a whole value, so ordinary words keep their letters,
    /// and registering one says so once.
    @Test func shortSecretsMaskOnlyWholeValues() {
        let notes = Mutex<[String]>([])
        let redactor = SecretRedactor(onShortSecret: { note in notes.withLock { $0.append(note) } })
        redactor.register("duc")
        redactor.register("xyz")
        #expect(redactor.redact("production") == "production")
        #expect(redactor.redact("duc") == "****" && redactor.redact("  xyz\n") == "****")
        #expect(redactor.redact(Value.object(ValueObject([("k", "duc"), ("production", "xyz")]))) == Value.object(ValueObject([("k", "****"), ("production", "****")])))
        #expect(notes.withLock { $0.count } == 1)
    }

    /// Every encoded form of a secret is masked in text: JSON-escaped, \u-escaped, percent-encoded.
    @Test func encodedFormsAreMasked() {
        let redactor = SecretRedactor()
        let secret = #"a"b\c-ü"#
        redactor.register(secret)
        for text in [#"{"k":"a\"b\\c-ü"}"#, #"{"k":"a\"b\\c-\u00fc"}"#, "q=a%22b%5Cc-%C3%BC", Data(secret.utf8).base64EncodedString()] {
            #expect(redactor.redact(text).contains("****"), "\(text)")
            #expect(!redactor.redact(text).contains("b\\") && !redactor.redact(text).contains("%5Cc"), "\(text)")
        }
    }

    /// A secret with spaces is also masked form-encoded (`+` for a space) and percent-encoded.
    @Test func formEncodedSecretsAreMasked() {
        let redactor = SecretRedactor()
        let secret = "pass word é+1!"
        redactor.register(secret)
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let percent = secret.addingPercentEncoding(withAllowedCharacters: unreserved)!
        for text in ["q=" + percent, "q=" + percent.replacingOccurrences(of: "%20", with: "+") + "&x=1", Data(secret.utf8).base64EncodedString()] {
            #expect(redactor.redact(text).contains("****") && !redactor.redact(text).contains("word"), "\(text)")
        }
    }

    @Test func emptySecretsAreIgnored() {
        let redactor = SecretRedactor()
        redactor.register("")
        #expect(redactor.redact("text") == "text")
    }
}
