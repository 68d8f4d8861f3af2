@testable import Homelab
import Testing

// Issue 13, finding 4: generated files cannot be injected. The loader refuses
// control characters in inventory text and names that are no host names,
// with the field's path; and each generator escapes its text anyway, so a
// model built some other way cannot inject either. (Tests/lua/
// gen_injection_spec.lua runs the generators through labsh and the real
// validators.)

private func s(_ t: String) -> InventoryValue { .string(t) }
private func i(_ n: Int64) -> InventoryValue { .integer(n) }

/// The sample inventory with a gateway, an alert and receivers, so that
/// every generator has something to write.
private func fullInventory() -> InventoryFields {
    var top = sampleInventory()
    guard case .list(var nodes)? = top["nodes"] else { fatalError("sample nodes") }
    nodes.append(.map(["name": s("gw1"), "kind": s("gateway"), "address": s("192.168.10.1"), "vlans": .list([i(10), i(30)])]))
    top["nodes"] = .list(nodes)
    top["alerts"] = .list([.map([
        "name": s("node-down"), "severity": s("P1"), "expr": s("up == 0"), "summary": s("A node is down"),
        "runbook": s("https://runbooks.example.org/node-down"), "labels": .map(["team": s("ops")]),
    ])])
    top["alerting"] = .map([
        "receivers": .list([.map(["name": s("pager"), "webhook": s("https://hooks.example.org/x")]),
                            .map(["name": s("mail"), "email": s("ops@example.org")])]),
        "route": .map(["default": s("pager"), "P1": s("pager"), "P2": s("pager"), "P3": s("mail"), "P4": s("mail")]),
        "email": .map(["smarthost": s("smtp.example.org:587"), "from": s("am@example.org")]),
    ])
    return top
}

/// `top` with the field at `path` (keys and 0-based list indices) set to `value`.
private func setting(_ top: InventoryFields, _ path: [Any], to value: InventoryValue) -> InventoryFields {
    func set(_ current: InventoryValue, _ rest: ArraySlice<Any>) -> InventoryValue {
        guard let step = rest.first else { return value }
        switch (current, step) {
        case (.map(var fields), let key as String):
            fields[key] = set(fields[key] ?? .map([:]), rest.dropFirst())
            return .map(fields)
        case (.list(var items), let index as Int):
            items[index] = set(items[index], rest.dropFirst())
            return .list(items)
        default:
            fatalError("no \(step) in \(current)")
        }
    }
    guard case .map(let fields) = set(.map(top), path[...]) else { fatalError() }
    return fields
}

@Suite struct InventoryTextRefusalTests {
    @Test func everyKindOfControlCharacterIsRefusedWithItsField() {
        let cases: [(String, String)] = [
            ("a\nb", "a newline"), ("a\rb", "a carriage return"), ("a\0b", "a NUL byte"), ("a\tb", "a tab"),
            ("\u{1B}[2J", "an escape character"), ("a\u{7F}", "the control character U+007F"),
            ("a\u{85}b", "the control character U+0085"), ("a\u{2028}b", "a line separator (U+2028)"),
            ("a\u{2029}b", "a paragraph separator (U+2029)"), ("\u{01}", "the control character U+0001"),
        ]
        for (text, name) in cases {
            let top = setting(fullInventory(), ["nodes", 0, "notes"], to: s(text))
            #expect(loadErrors(top) == ["nodes[1].notes: contains \(name) (control characters are not allowed)"], "\(name)")
        }
    }

    @Test func textInListsMapsAndFiguresIsCheckedToo() {
        let top = setting(setting(setting(fullInventory(),
            ["nodes", 0, "tags"], to: .list([s("ok"), s("x\ny")])),
            ["alerts", 0, "labels", "team"], to: s("ops\n  evil: 1")),
            ["services", 1, "probe", "expect"], to: s("200\r\n"))
        #expect(loadErrors(top) == [
            "nodes[1].tags[2]: contains a newline (control characters are not allowed)",
            "services[2].probe.expect: contains a carriage return (control characters are not allowed)",
            "alerts[1].labels.team: contains a newline (control characters are not allowed)",
        ])
    }

    @Test func printableTextLoads() {
        let text = "naïve ☃ 'quoted' \"double\" \\ 100% $HOME {{ x }} # - : &a *a !!python/object \u{A0}"
        let top = setting(setting(fullInventory(), ["nodes", 0, "notes"], to: s(text)), ["site", "name"], to: s(text))
        #expect(loadErrors(top) == [])
    }

    @Test func anExpressionMaySpanLines() {
        let multi = setting(fullInventory(), ["alerts", 0, "expr"], to: s("sum(up)\n\t== 0"))
        #expect(loadErrors(multi) == [])
        let nul = setting(fullInventory(), ["alerts", 0, "expr"], to: s("up\0"))
        #expect(loadErrors(nul) == [
            "alerts[1].expr: contains a NUL byte (control characters other than newline and tab are not allowed)",
        ])
    }

    @Test func nodeAndGuestNamesAreHostNames() {
        for name in ["web[1:3]", "pve1:22", "a b", "-a", "a_b", "a..b", "", String(repeating: "a", count: 64)] {
            let top = setting(fullInventory(), ["guests", 0, "name"], to: s(name))
            #expect(loadErrors(top) == ["guests[1].name: '\(name)' is not a host name (\(InventoryText.hostNameRule))"])
        }
        for name in ["pve9", "PVE-1", "k8s-w1.lab", String(repeating: "a", count: 63)] {
            #expect(loadErrors(setting(fullInventory(), ["guests", 0, "name"], to: s(name))) == [], "\(name)")
        }
    }

    @Test func theDomainIsADNSDomain() {
        #expect(loadErrors(setting(fullInventory(), ["site", "domain"], to: s("lab.local IN NS x"))) == [
            "site.domain: 'lab.local IN NS x' is not a DNS domain (\(InventoryText.hostNameRule))",
        ])
        #expect(loadErrors(setting(fullInventory(), ["site", "domain"], to: s("lab.local."))) == [])
    }

    @Test func emailAddressesAreSingleMailboxes() {
        #expect(InventoryText.isMailbox("ops@example.org"))
        #expect(InventoryText.isMailbox("first.last+tag@mail.example.org"))
        for bad in ["a@x.org, b@y.org", "a@x.org;b@y.org", "{{ template \"x\" }}@x.org", "Ops <ops@x.org>",
                    "a b@x.org", "@x.org", "a@", "a@b@c", "a@x_y.org"] {
            #expect(!InventoryText.isMailbox(bad), "\(bad)")
        }
    }

    @Test func anUnknownKeyIsEchoedEscaped() {
        let top = setting(fullInventory(), ["nodes", 0, "vendor\n\u{1B}[2J"], to: s("x"))
        let errors = loadErrors(top)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("unknown key 'vendor\\n\\u{1B}[2J'") == true, "\(errors)")
        #expect(errors.first?.contains("\u{1B}") == false)
    }
}

@Suite struct GeneratorEscapingTests {
    /// A loaded model, then hostile text put straight into it: what the
    /// generators do if text ever got past the loader.
    private func hostileModel(_ h: String) throws -> Inventory {
        var model = try Inventory.load(.map(fullInventory()), file: "test.lua").0
        model.site.name = h
        model.nodes[0].vendor = h
        model.nodes[0].model = h
        model.nodes[0].tags = [h]
        model.nodes[2].model = h
        model.vlans[0].purpose = h
        model.services[0].name = h
        model.alerts[0].summary = h
        model.alerts[0].labels["team"] = h
        model.alerting.receivers[0].name = h
        model.alerting.route["default"] = h
        return model
    }

    static let attacks = [
        "x\n$INCLUDE /etc/passwd", "x\r\nevil IN A 192.0.2.1", "x'\nconfig rule\n\toption target 'ACCEPT",
        "x\n  evil: 1\n- injected", "x\u{2028}evil: 1", "x\u{85}evil", "x\0y", "\u{1B}]0;title\u{07}",
    ]

    /// No line of `text` starts with what an attack put after its line break.
    private func assertNoInjectedLine(_ text: String, _ what: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            for directive in ["$INCLUDE", "evil", "config rule", "\toption target", "  evil", "- injected"] {
                #expect(!line.hasPrefix(directive), "\(what): injected line '\(line)'")
            }
            #expect(!line.unicodeScalars.contains { InventoryText.controlName($0) != nil }, "\(what): a control character")
        }
    }

    @Test(arguments: attacks) func zoneFilesKeepTextInComments(_ h: String) throws {
        let benign = try BindZones.generate(try hostileModel("plain"))
        let zones = try BindZones.generate(try hostileModel(h))
        for (zone, plain) in zip(zones, benign) {
            assertNoInjectedLine(zone.text, zone.file)
            #expect(zone.text.split(separator: "\n").count == plain.text.split(separator: "\n").count, "\(zone.file)")
        }
    }

    /// Each line's statement: `config TYPE`, `option KEY`, `list KEY`, a comment or blank.
    private func uciShape(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first else { return "" }
            return first.hasPrefix("#") ? "#" : words.prefix(2).joined(separator: " ")
        }
    }

    @Test(arguments: attacks) func uciValuesAndCommentsStayOnTheirLine(_ h: String) throws {
        let benign = try OpenWrtConfig.generate(try hostileModel("plain"))
        let files = try OpenWrtConfig.generate(try hostileModel(h))
        for (text, plain) in [(files.network, benign.network), (files.firewall, benign.firewall)] {
            #expect(uciShape(text) == uciShape(plain), "the same statements, line by line")
            #expect(!text.unicodeScalars.contains { $0 != "\n" && $0 != "\t" && InventoryText.controlName($0) != nil })
        }
    }

    @Test(arguments: attacks) func yamlFilesHoldTextInOneScalar(_ h: String) throws {
        let model = try hostileModel(h), plain = try hostileModel("plain")
        for (text, benign) in [(AnsibleExport.yaml(model), AnsibleExport.yaml(plain)),
                               (PrometheusRules.generate(model), PrometheusRules.generate(plain)),
                               (try AlertmanagerConfig.generate(model), try AlertmanagerConfig.generate(plain))] {
            assertNoInjectedLine(text, "yaml")
            #expect(text.split(separator: "\n").count == benign.split(separator: "\n").count)
        }
    }

    @Test func anEmptyZoneMakesNoFirewallZone() throws {
        var model = try hostileModel("plain")
        model.vlans[0].zone = ""
        #expect(errorMessage { try OpenWrtConfig.generate(model) } == "VLAN 10: an empty zone name makes no firewall zone")
    }

    @Test func yamlQuotingEscapesWhatYAMLReadersBreakOn() {
        #expect(YAML.quote("a\u{85}b\u{2028}c\u{2029}d\u{FEFF}e") == #""a\x85b\u2028c\u2029d\uFEFFe""#)
        #expect(YAML.quote("q\"b\\n\0\u{7F}\u{1B}") == #""q\"b\\n\0\x7F\x1B""#)
        #expect(YAML.quote("naïve ☃ \u{A0}") == "\"naïve ☃ \u{A0}\"", "printable text stays as it is")
    }

    @Test func ansibleTextWithBracesIsUnsafe() {
        #expect(AnsibleExport.Scalar.quote("{{ lookup('pipe', 'id') }}") == #"!unsafe "{{ lookup('pipe', 'id') }}""#)
        #expect(AnsibleExport.Scalar.quote("{% raw %}") == #"!unsafe "{% raw %}""#)
        #expect(AnsibleExport.Scalar.quote("Raspberry Pi 5") == "Raspberry Pi 5")
        #expect(AnsibleExport.Scalar.quote("key: value") == #""key: value""#)
    }

    @Test func anUnsafeExportImportsBackAsTheSameText() throws {
        let h = "{{ lookup('pipe', 'id') }} {% x %}"
        let back = try AnsibleInventory.parse(AnsibleExport.yaml(try hostileModel(h)))
        #expect(back.host("pve1")?.vars["vendor"] == .string(h))
        #expect(back.host("pve1")?.vars["host_tags"] == .list([.string(h)]))
    }

    @Test func prometheusTemplatesPrintTheTextAsItIs() {
        #expect(GoTemplate.literal("no braces") == "no braces")
        #expect(GoTemplate.literal(#"{{ query "up" }}"#) == #"{{ "{{" }} query "up" }}"#)
        #expect(GoTemplate.literal("{{{") == #"{{ "{{" }}{"#)
        #expect(GoTemplate.literal("{{{{") == #"{{ "{{" }}{{ "{{" }}"#)
        #expect(GoTemplate.literal("}} {") == "}} {")
    }
}
