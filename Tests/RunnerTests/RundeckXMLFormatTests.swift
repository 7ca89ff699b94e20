import Testing
import Values

@testable import Runner

/// Rundeck's XML job format, decoded field by field as Rundeck decodes it. Each test ports
/// assertions of rundeck/rundeck `rundeckapp/src/test/groovy/rundeck/JobsXMLCodecTests.groovy`
/// (commit 2f04710; named after the Groovy test), with the same XML.
struct RundeckXMLFormatTests {
    static func decode(_ xml: String) throws -> [Job] {
        try JobDecoder.decode(try JobFormat.xml.read(Array(xml.utf8), "t.xml"), file: "t.xml")
    }

    /// A job around `body` (options, sequence, notification...), as the Groovy tests write them.
    static func job(_ body: String, name: String = "wait1", description: String = "<description></description>") -> String {
        """
        <joblist>
          <job>
            <id>5</id>
            <name>\(name)</name>
            \(description)
            <loglevel>INFO</loglevel>
            \(body)
            <dispatch>
              <threadcount>1</threadcount>
              <keepgoing>false</keepgoing>
            </dispatch>
            <schedule>
              <time hour='11' minute='21' />
              <weekday day='*' />
              <month month='*' />
            </schedule>
          </job>
        </joblist>
        """
    }

    static func failure(_ xml: String) -> String {
        do {
            _ = try decode(xml)
            return "(decoded)"
        } catch {
            return "\(error)"
        }
    }

    // testDecodeBasic_InvalidJoblist, testDecodeBasic_invalid_no_job, testDecodeBasic_invalid_job_no_sequence
    @Test func documentsThatAreNotJobListsAreRefused() {
        #expect(Self.failure("<test><job><name>x</name></job></test>").contains("the root element is <test>"))
        #expect(Self.failure("<joblist><notjob/></joblist>").contains("<joblist> holds no <job> element"))
        #expect(Self.failure("<joblist><job><name>x</name><description/></job></joblist>").contains("'sequence' element not found"))
        #expect(Self.failure("<joblist><job><description/><sequence><command><exec>x</exec></command></sequence></job></joblist>").contains("'name' element not found"))
        #expect(Self.failure("<joblist><job><name>x</name><sequence><command><exec>x</exec></command></sequence></job></joblist>").contains("'description' element not found"))
    }

    // testDecodeBasic, testDecodeBasicOk1
    @Test func basicFields() throws {
        let jobs = try Self.decode("""
            <joblist>
              <job>
                <id>8</id>
                <name>punch2</name>
                <description>dig it potato</description>
                <loglevel>WARN</loglevel>
                <group>simple</group>
                <context>
                  <project>zig</project>
                  <options>
                    <option name='delay' value='60' />
                    <option name='clip' value='true' />
                  </options>
                </context>
                <sequence><command><exec>test</exec></command></sequence>
                <dispatch>
                  <threadcount>2</threadcount>
                  <keepgoing>true</keepgoing>
                </dispatch>
              </job>
            </joblist>
            """)
        #expect(jobs.count == 1)
        #expect(jobs[0].name == "punch2")
        #expect(jobs[0].description == "dig it potato")
        #expect(jobs[0].logLevel == .warn)
        #expect(jobs[0].group == "simple")
        // Without preserveOrder Rundeck keeps options in name order.
        #expect(jobs[0].options.map(\.name) == ["clip", "delay"])
        #expect(jobs[0].options.map(\.defaultValue) == ["true", "60"])
        #expect(jobs[0].workflow.steps.count == 1)
        if case .exec(let line) = jobs[0].workflow.steps[0].kind { #expect(line == "test") } else { Issue.record("not exec") }
    }

    // testDecodeBasic_normalized_group (2, 3, 4), testDecodeBasic__no_group
    @Test(arguments: [("simple/", "simple"), ("/simple", "simple"), ("/simple/", "simple"), ("//a/b//", "a/b"), ("/", ""), ("", "")])
    func groupsLoseLeadingAndTrailingSlashes(written: String, read: String) throws {
        let jobs = try Self.decode(Self.job("<group>\(written)</group><sequence><command><exec>test</exec></command></sequence>"))
        #expect(jobs[0].group == read)
    }

    // testDecodeTimeout
    @Test func timeout() throws {
        let jobs = try Self.decode(Self.job("<timeout>20m</timeout><sequence><command><exec>test</exec></command></sequence>", name: "punch2"))
        #expect(jobs[0].name == "punch2" && jobs[0].timeout == "20m")
    }

    // testDecodeStepDescription (jobref fields as child elements, plugin steps)
    @Test func stepDescriptions() throws {
        let jobs = try Self.decode(Self.job("""
            <context><options><option name='delay' value='60' /></options></context>
            <sequence>
                <command><description>a test1</description><exec>test</exec></command>
                <command>
                    <jobref><name>false</name><group>false</group><arg line="123"/></jobref>
                    <description>a test2</description>
                </command>
                <command>
                    <step-plugin type="blah"><configuration><entry key="elf" value="cheese"/></configuration></step-plugin>
                    <description>a test3</description>
                </command>
                <command>
                    <node-step-plugin type="blah"><configuration><entry key="elf" value="cheese"/></configuration></node-step-plugin>
                    <description>a test4</description>
                </command>
            </sequence>
            """))
        let steps = jobs[0].workflow.steps
        #expect(steps.count == 4)
        #expect(steps.map(\.description) == ["a test1", "a test2", "a test3", "a test4"])
        guard case .jobRef(let reference) = steps[1].kind else { Issue.record("not a jobref"); return }
        #expect(reference.name == "false" && reference.group == "false" && reference.args == "123")
    }

    // testDecodeEmptyOptions, testDecodeInvalidOptions
    @Test func emptyAndInvalidOptions() throws {
        let empty = try Self.decode(Self.job("<context><project>test1</project><options/></context><sequence><command><exec>test</exec></command></sequence>"))
        #expect(empty[0].options.isEmpty)
        #expect(Self.failure(Self.job("<context><options>asdf</options></context><sequence><command><exec>test</exec></command></sequence>"))
            .contains("'context/options' element is not valid"))
    }

    // testShouldFailEmptyWorkflow
    @Test func anEmptyWorkflowIsRefused() {
        #expect(Self.failure(Self.job("<context><project>test1</project></context><sequence>\n    </sequence>")).contains("'sequence' element not found"))
    }

    // testDecodeWorkflowJobref
    @Test func jobReferences() throws {
        let jobs = try Self.decode(Self.job("""
            <sequence>
                <command><jobref name="bob" /></command>
                <command><jobref name="blang"><nodefilters><filter>abc def</filter></nodefilters></jobref></command>
                <command><jobref name="blang2" nodeStep="true"><dispatch><threadcount>2</threadcount></dispatch></jobref></command>
            </sequence>
            """))
        #expect(jobs[0].workflow.strategy == "node-first")
        let references = jobs[0].workflow.steps.compactMap { step -> JobReference? in
            if case .jobRef(let reference) = step.kind { return reference } else { return nil }
        }
        #expect(references.map(\.name) == ["bob", "blang", "blang2"])
        #expect(references.allSatisfy { $0.args.isEmpty && $0.group == nil })
    }

    // testDecodeWorkflowOptions
    @Test func workflowWithOptions() throws {
        let jobs = try Self.decode(Self.job("""
            <context><project>test1</project><options>
              <option name="buildstamp" value="789" values="123,456,789" enforcedvalues="false" regex="abc"/>
            </options></context>
            <sequence><command><jobref name="bob" group="/some/path"/></command></sequence>
            """))
        guard case .jobRef(let reference) = jobs[0].workflow.steps[0].kind else { Issue.record("not a jobref"); return }
        #expect(reference.name == "bob" && reference.group == "/some/path" && reference.args.isEmpty)
        let option = jobs[0].options[0]
        #expect(option.name == "buildstamp" && option.defaultValue == "789" && !option.enforced && !option.required)
        #expect(option.regex == "abc" && option.valuesURL == nil && option.values == ["123", "456", "789"])
    }

    // testDecodePluginNodeStep, ...EmptyConfig, ...MissingConfig, testDecodePluginStep, ...EmptyConfig, ...MissingConfig
    @Test(arguments: ["node-step-plugin", "step-plugin"])
    func pluginSteps(element: String) throws {
        let configurations = [
            ("<configuration><entry key=\"elf\" value=\"monkey\"/><entry key=\"ok\" value=\"howdy\"/></configuration>", ["elf": "monkey", "ok": "howdy"]),
            ("<configuration>\n</configuration>", [:]),
            ("", [:]),
        ]
        for (configuration, expected) in configurations {
            let jobs = try Self.decode(Self.job("<sequence><command><\(element) type=\"blah\">\(configuration)</\(element)></command></sequence>"))
            guard case .plugin(let type, let read, let nodeStep) = jobs[0].workflow.steps[0].kind else { Issue.record("not a plugin step"); return }
            #expect(type == "blah" && read == expected && nodeStep == (element == "node-step-plugin"))
        }
    }

    // testDecodeOptions (values, valuesUrl)
    @Test func optionValuesAndValuesURL() throws {
        let listed = try Self.decode(Self.job("""
            <context><options><option name="buildstamp" value="789" values="123,456,789" enforcedvalues="false" regex="abc"/></options></context>
            <sequence><command><exec>test</exec></command></sequence>
            """))
        #expect(listed[0].options[0].values == ["123", "456", "789"] && listed[0].options[0].valuesURL == nil)
        let remote = try Self.decode(Self.job("""
            <context><options><option name="buildstamp" value="789" valuesUrl="http://monkey/somewhere" enforcedvalues="false" regex="abc"/></options></context>
            <sequence><command><exec>test</exec></command></sequence>
            """))
        #expect(remote[0].options[0].values.isEmpty && remote[0].options[0].valuesURL == "http://monkey/somewhere")
        #expect(remote[0].options[0].defaultValue == "789" && !remote[0].options[0].enforced && remote[0].options[0].regex == "abc")
    }

    // testDecodeOptionSecure, 2, 3, 4, testDecodeOptionSecureDefaultStoragePath
    @Test func secureOptions() throws {
        let cases: [(String, Bool, Bool, String?)] = [
            ("secure=\"true\"", true, false, nil),
            ("secure=\"true\" valueExposed=\"true\"", true, true, nil),
            ("secure=\"true\" valueExposed=\"false\"", true, false, nil),
            ("secure=\"false\" valueExposed=\"false\"", false, false, nil),
            ("secure=\"true\" valueExposed=\"false\" storagePath=\"keys/abc\"", true, false, "keys/abc"),
        ]
        for (attributes, secure, exposed, storagePath) in cases {
            let jobs = try Self.decode(Self.job("""
                <context><options><option name="password" value="789" \(attributes)/></options></context>
                <sequence><command><exec>test</exec></command></sequence>
                """))
            let option = jobs[0].options[0]
            #expect(option.name == "password" && option.defaultValue == "789" && !option.enforced)
            #expect(option.secure == secure && option.valueExposed == exposed && option.storagePath == storagePath, "\(attributes)")
            #expect(option.regex == nil && option.values.isEmpty && option.valuesURL == nil)
        }
    }

    // testDecodeOptionsPreserveOrder
    @Test func preserveOrderKeepsTheFilesOrder() throws {
        let jobs = try Self.decode(Self.job("""
            <context><options preserveOrder="true">
              <option name="zxy" value="789" multivalued="true" delimiter=","/>
              <option name="abc" value="789" multivalued="true" delimiter=","/>
              <option name="wxy" value="789" multivalued="true" delimiter=","/>
            </options></context>
            <sequence><command><exec>test</exec></command></sequence>
            """))
        #expect(jobs[0].options.map(\.name) == ["zxy", "abc", "wxy"])
        #expect(jobs[0].options.allSatisfy { $0.multivalued && $0.delimiter == "," })
    }

    // testDecodeNotification
    @Test func emailNotifications() throws {
        let jobs = try Self.decode(Self.job("""
            <sequence><command><exec>test</exec></command></sequence>
            <notification>
                <onsuccess><email recipients="z@example.com,x@example.com" subject="success1" attachLogInline="true"/></onsuccess>
                <onfailure><email recipients="c@example.com,d@example.com" subject="fail1"/></onfailure>
                <onstart><email recipients="h@example.com,j@example.com" subject="start1"/></onstart>
            </notification>
            """))
        let emails = jobs[0].notifications.emails
        #expect(emails.count == 3)
        #expect(emails[.onfailure]?.recipients == "c@example.com,d@example.com" && emails[.onfailure]?.subject == "fail1")
        #expect(emails[.onsuccess]?.recipients == "z@example.com,x@example.com" && emails[.onsuccess]?.subject == "success1")
        #expect(emails[.onsuccess]?.inline == true)
        #expect(emails[.onstart]?.recipients == "h@example.com,j@example.com" && emails[.onstart]?.subject == "start1")
    }

    // testDecodeNotificationPlugin, testDecodeNotificationPluginMulti
    @Test func pluginNotifications() throws {
        let jobs = try Self.decode(Self.job("""
            <sequence><command><exec>test</exec></command></sequence>
            <notification>
                <onsuccess>
                    <plugin type="test1"><configuration><entry key="name" value="test"/><entry key="key" value="value"/></configuration></plugin>
                    <plugin type="test2"><configuration><entry key="name2" value="test2"/></configuration></plugin>
                </onsuccess>
                <onfailure>
                    <plugin type="test3"><configuration><entry key="name3" value="test3"/><entry key="key3" value="value3"/></configuration></plugin>
                </onfailure>
            </notification>
            """))
        let plugins = jobs[0].notifications.plugins
        #expect(plugins[.onsuccess]?.map(\.type) == ["test1", "test2"])
        #expect(plugins[.onsuccess]?.first?.configuration == ["key": "value", "name": "test"])
        #expect(plugins[.onsuccess]?.last?.configuration == ["name2": "test2"])
        #expect(plugins[.onfailure]?.first?.configuration == ["key3": "value3", "name3": "test3"])
    }

    // testDecodeNotificationFailure
    @Test func brokenNotificationsAreRefusedWithRundecksMessages() {
        let sequence = "<sequence><command><exec>test</exec></command></sequence>"
        let cases = [
            ("<notification>\n</notification>", "notification section had no trigger elements"),
            ("<notification><onsuccess>\n</onsuccess></notification>", "notification 'onsuccess' element had missing 'email' or 'webhook' or 'plugin' element"),
            ("<notification><onsuccess><email /></onsuccess></notification>", "onsuccess email had blank or missing 'recipients' attribute"),
            ("<notification><onsuccess><email recipients=\"\"/></onsuccess></notification>", "onsuccess email had blank or missing 'recipients' attribute"),
            ("<notification><onfailure>\n</onfailure></notification>", "notification 'onfailure' element had missing 'email' or 'webhook' or 'plugin' element"),
            ("<notification><onfailure><email /></onfailure></notification>", "onfailure email had blank or missing 'recipients' attribute"),
            ("<notification><onfailure><webhook /></onfailure></notification>", "onfailure webhook had blank or missing 'urls' attribute"),
            ("<notification><onfailure><plugin /></onfailure></notification>", "onfailure plugin element was empty"),
        ]
        for (notification, message) in cases {
            #expect(Self.failure(Self.job(sequence + notification)).contains(message), "\(notification)")
        }
    }

    // The webhook forms: attributes on <webhook>, and the older format/httpMethod beside it.
    @Test func webhookNotifications() throws {
        let jobs = try Self.decode(Self.job("""
            <sequence><command><exec>test</exec></command></sequence>
            <notification>
                <onsuccess><webhook urls="http://a/1,http://a/2" format="json" httpMethod="get"/></onsuccess>
                <onfailure><webhook urls="http://b/1"/></onfailure>
            </notification>
            """))
        let hooks = jobs[0].notifications.webhooks
        #expect(hooks[.onsuccess]?.urls == ["http://a/1", "http://a/2"] && hooks[.onsuccess]?.json == true && hooks[.onsuccess]?.get == true)
        #expect(hooks[.onfailure]?.urls == ["http://b/1"] && hooks[.onfailure]?.json == false && hooks[.onfailure]?.get == false)
    }

    // Scripts: CDATA bodies (trimmed, as Groovy's XmlParser trims text), scriptargs,
    // scriptinterpreter with argsquoted; error handlers with keepgoingOnSuccess; log filters;
    // retry with delay; keepgoing and strategy.
    @Test func scriptsHandlersFiltersAndRetry() throws {
        let jobs = try Self.decode(Self.job("""
            <retry delay="30s">3</retry>
            <sequence keepgoing="true" strategy="sequential">
              <command>
                <script><![CDATA[
            #!/bin/sh
            echo "$1" & done
            ]]></script>
                <scriptargs>-x ${option.a}</scriptargs>
                <scriptinterpreter argsquoted="true">bash -c</scriptinterpreter>
                <errorhandler keepgoingOnSuccess="true"><exec>echo recovered</exec></errorhandler>
                <plugins><LogFilter type="key-value-data"><config><regex>^(\\w+)=(.*)$</regex></config></LogFilter></plugins>
              </command>
              <command><scriptfile>/opt/run.sh</scriptfile><scriptargs>a b</scriptargs><scriptinterpreter>python3</scriptinterpreter></command>
              <pluginConfig><LogFilter type="mask-passwords"/></pluginConfig>
            </sequence>
            """))
        let workflow = jobs[0].workflow
        #expect(workflow.keepgoing && workflow.strategy == "sequential")
        #expect(jobs[0].retry?.count == "3" && jobs[0].retry?.delay == "30s")
        guard case .script(let body, let args, let interpreter, let quoted, _) = workflow.steps[0].kind else { Issue.record("not a script"); return }
        #expect(body == "#!/bin/sh\necho \"$1\" & done" && args == "-x ${option.a}" && interpreter == "bash -c" && quoted)
        #expect(workflow.steps[0].keepgoingOnSuccess)
        if case .exec(let line)? = workflow.steps[0].errorHandler?.kind { #expect(line == "echo recovered") } else { Issue.record("no handler") }
        #expect(workflow.steps[0].logFilters.map(\.type) == ["key-value-data"] && workflow.steps[0].logFilters[0].config["regex"] == "^(\\w+)=(.*)$")
        guard case .scriptFile(let path, let fileArgs, let fileInterpreter, let fileQuoted, _) = workflow.steps[1].kind else { Issue.record("not a scriptfile"); return }
        #expect(path == "/opt/run.sh" && fileArgs == "a b" && fileInterpreter == "python3" && !fileQuoted)
        #expect(workflow.logFilters.map(\.type) == ["mask-passwords"])
    }

    // What Rundeck keeps but a pdstep run has no use for is listed as ignored, never dropped silently.
    @Test func serverOnlyFieldsAreListedAsIgnored() throws {
        let jobs = try Self.decode(Self.job("<context><project>p</project></context><sequence><command><exec>x</exec></command></sequence>"))
        #expect(Set(jobs[0].ignoredFields).isSuperset(of: ["id", "schedule"]), "\(jobs[0].ignoredFields)")
        // The project it was exported from is not the job's: it runs in this run's project.
        #expect(!jobs[0].ignoredFields.contains("project") && !jobs[0].ignoredFields.contains("context"))
    }

    // Values split as Java's String.split(Pattern.quote(delimiter)) splits them.
    @Test func optionValuesSplitAsJavaSplits() throws {
        let jobs = try Self.decode(Self.job("""
            <context><options><option name="a" values="x| y||z||" valuesListDelimiter="|"/></options></context>
            <sequence><command><exec>test</exec></command></sequence>
            """))
        #expect(jobs[0].options[0].values == ["x", " y", "", "z"])
    }

    // Errors point at the job in the file.
    @Test func errorsNameTheFileLineAndJob() {
        let text = "<joblist>\n  <job>\n    <name>nightly</name>\n    <description/>\n  </job>\n</joblist>"
        #expect(Self.failure(text) == "t.xml:2:3: job 'nightly': 'sequence' element not found")
    }
}
