import Testing
@testable import Homelab

/// The alert catalogue (Homelab/Alerts) without Lua: validation, the names
/// and durations Prometheus sees, quoting, and the exported files' shape.
/// promtool and amtool judge the files in Tests/lua/alert_spec.lua.
@Suite struct AlertTests {
    func s(_ t: String) -> InventoryValue { .string(t) }

    func withAlerts(_ alerts: [InventoryValue], alerting: InventoryValue? = nil) -> InventoryFields {
        var top = sampleInventory()
        top["alerts"] = .list(alerts)
        if let alerting { top["alerting"] = alerting }
        return top
    }

    func rule(_ name: String, _ severity: String, _ fields: InventoryFields = [:]) -> InventoryValue {
        var m: InventoryFields = ["name": s(name), "severity": s(severity), "summary": s(name + " summary"),
                                  "runbook": s("https://runbooks.example.invalid/" + name)]
        for (k, v) in fields { m[k] = v }
        if m["expr"] == nil && m["check"] == nil { m["expr"] = s("up == 0") }
        return .map(m)
    }

    @Test func severitiesFixResponseTimesAndChannels() {
        #expect(AlertSeverity.p1.responseTime == .zero)
        #expect(AlertSeverity.p2.responseTime == .seconds(1800))
        #expect(AlertSeverity.p3.responseTime == .seconds(4 * 3600))
        #expect(AlertSeverity.p4.responseTime == .seconds(86400))
        #expect(AlertSeverity.allCases.map(\.channel) == ["page", "chat", "ticket", "digest"])
    }

    @Test func alertNamesAreUpperCamelCase() {
        #expect(AlertRule.alertname(for: "node-down") == "NodeDown")
        #expect(AlertRule.alertname(for: "cert-expiry-7d") == "CertExpiry7d")
        #expect(AlertRule.alertname(for: "k8s_api-down") == "K8sApiDown")
    }

    @Test func durationsAsPrometheusWritesThem() {
        #expect(PromDuration.text(.seconds(300)) == "5m")
        #expect(PromDuration.text(.seconds(5400)) == "1h30m")
        #expect(PromDuration.text(.seconds(86400 + 1)) == "1d1s")
        #expect(PromDuration.text(.zero) == "0s")
    }

    @Test func yamlQuotingKeepsExpressionsIntact() {
        #expect(YAML.quote(#"up{job="node"} == 0"#) == #""up{job=\"node\"} == 0""#)
        #expect(YAML.quote("a\\b\nc\u{1}") == #""a\\b\nc\x01""#)
    }

    @Test func bracketsAndStringsMustBalance() {
        #expect(AlertCatalogue.bracketProblem(#"sum(rate(x{a="(" }[5m]))"#) == nil)
        #expect(AlertCatalogue.bracketProblem("sum(rate(x[5m])") == "missing ')'")
        #expect(AlertCatalogue.bracketProblem("x]") == "unbalanced ']'")
        #expect(AlertCatalogue.bracketProblem(#"x{a="b}"#) == "unterminated string")
    }

    @Test func aRuleGetsLabelsAnnotationsAndItsCheckExpression() throws {
        let top = withAlerts([
            rule("disk-full", "P2", ["for": s("10m"), "labels": .map(["component": s("storage")]),
                                     "annotations": .map(["dashboard": s("https://grafana.example.invalid/d/1")])]),
            rule("breach", "P1", ["check": s("security-breach")]),
        ])
        let (inventory, warnings) = try Inventory.load(.map(top), file: "test.lua")
        #expect(!warnings.contains { $0.description.hasPrefix("alerts") }, "\(warnings)")
        let rules = AlertCatalogue.rules(inventory)
        #expect(rules[0].allLabels.map(\.0) == ["component", "severity", "response", "rule"])
        #expect(rules[0].allLabels.map(\.1) == ["storage", "P2", "30m", "disk-full"])
        #expect(rules[0].allAnnotations.map(\.0) == ["summary", "runbook_url", "dashboard"])
        #expect(rules[1].prometheusExpr == #"labsh_check_status{check="security-breach"} >= 2"#)
        let text = PrometheusRules.generate(inventory)
        // no labsh command publishes security-breach: the rules file says so
        #expect(text.contains("  - name: \"labsh-P1\"\n    rules:\n      # no publisher in labsh: fires only when an external signal"
            + " publishes labsh_check_status{check=\"security-breach\"}\n      - alert: Breach\n"))
        #expect(text.contains("      - alert: DiskFull\n        expr: \"up == 0\"\n        for: 10m\n"))
        #expect(text.firstRange(of: "labsh-P1")!.lowerBound < text.firstRange(of: "labsh-P2")!.lowerBound)
        #expect(AlertCatalogue.rules(inventory, severity: .p1).map(\.name) == ["breach"])
    }

    @Test func badRulesAreRefusedWithTheirPaths() {
        let errors = loadErrors(withAlerts([
            rule("disk-full", "P2", ["labels": .map(["__x": s("y"), "severity": s("P1")])]),
            rule("disk-full", "P5"),
            rule("Disk_Full", "P3", ["check": s("c"), "expr": s("up == 0"), "runbook": s("ftp://x")]),
        ]))
        #expect(errors.contains("alerts[1].labels.__x: '__x' is not a Prometheus label name"))
        #expect(errors.contains("alerts[1].labels.severity: 'severity' is set by labsh from the rule"))
        #expect(errors.contains { $0.hasPrefix("alerts[2].severity: 'P5' is not one of P1, P2, P3, P4") })
        #expect(errors.contains("alerts[3]: give 'expr' or 'check', not both"))
        #expect(errors.contains("alerts[3].runbook: 'ftp://x' is not an http:// or https:// link"))
        #expect(errors.contains("alerts[3].name: 'Disk_Full' and 'disk-full' both become the alert DiskFull"))
    }

    @Test func aRuleWithoutForOrRunbookIsWarnedAbout() throws {
        var r = rule("slow", "P3")
        if case .map(var m) = r { m["runbook"] = nil; r = .map(m) }
        let (_, warnings) = try Inventory.load(.map(withAlerts([r])), file: "test.lua")
        #expect(warnings.map(\.message).filter { $0.hasPrefix("alert ") } == ["alert 'slow' has no runbook link",
                                            "alert 'slow' fires on the first evaluation: give it a 'for'"])
    }

    func alerting(_ route: InventoryFields, bearer: String = "file:/etc/am/token") -> InventoryValue {
        .map([
            "receivers": .list([
                .map(["name": s("page"), "webhook": .map(["url": s("https://ntfy.example.invalid/p1"), "bearer": s(bearer)])]),
                .map(["name": s("mail"), "email": s("ops@example.invalid")]),
            ]),
            "route": .map(route),
            "email": .map(["smarthost": s("smtp.example.invalid:587"), "from": s("am@example.invalid")]),
        ])
    }

    @Test func alertmanagerConfigRoutesEachSeverity() throws {
        let top = withAlerts([rule("down", "P1", ["for": s("5m")])],
                             alerting: alerting(["P1": s("page"), "P2": s("page"), "P3": s("mail"), "P4": s("mail")]))
        let (inventory, _) = try Inventory.load(.map(top), file: "test.lua")
        let text = try AlertmanagerConfig.generate(inventory)
        #expect(text.contains("route:\n  receiver: \"mail\"\n"), "the root goes to P4's receiver")
        #expect(text.contains("    - receiver: \"page\"\n      matchers: [\"severity=\\\"P1\\\"\"]\n      group_wait: 10s\n"))
        #expect(text.contains("      group_by: [\"severity\"]\n      group_wait: 15m\n      group_interval: 24h\n      repeat_interval: 24h\n"))
        #expect(text.contains("            credentials_file: \"/etc/am/token\"\n"))
        #expect(text.contains("  smtp_require_tls: true\n"))
    }

    @Test func alertingNeedsKnownReceiversEveryRouteAndFileSecrets() {
        let errors = loadErrors(withAlerts([], alerting: alerting(["P1": s("pager"), "P2": s("page")], bearer: "env:TOKEN")))
        #expect(errors.contains("alerting.receivers[1].webhook.bearer: Alertmanager reads secrets from files: give file:PATH"))
        #expect(errors.contains { $0.hasPrefix("alerting.route.P1: no receiver named 'pager'") })
        #expect(errors.contains("alerting.route: missing route for P3 (ticket)"))
        #expect(errors.contains("alerting.route: missing route for P4 (digest)"))
    }

    @Test func noReceiversNoAlertmanagerConfig() throws {
        let (inventory, _) = try Inventory.load(.map(withAlerts([])), file: "test.lua")
        #expect(throws: HomelabError.self) { try AlertmanagerConfig.generate(inventory) }
    }

    @Test func theModelJudgesOnlyRulesWithAThreshold() throws {
        var top = withAlerts([
            rule("storage-high", "P3", ["for": s("15m"), "model": .map(["usage": s("storage"), "above": .integer(85)])]),
            rule("memory-high", "P3", ["for": s("15m"), "model": .map(["usage": s("ram"), "above": .integer(80)])]),
            rule("node-down", "P1"),
        ])
        top["capacity"] = .map([
            "target_band": .list([.integer(70), .integer(85)]),
            "growth": .map(["compute": .integer(20), "memory": .integer(30), "storage": .integer(50), "network": .integer(25)]),
            "baseline": .map(["storage": .map(["usage": .integer(90)]), "ram": .map(["usage": .integer(79)])]),
        ])
        let (inventory, _) = try Inventory.load(.map(top), file: "test.lua")
        let verdicts = AlertCatalogue.evaluateOnModel(inventory)
        #expect(verdicts.map(\.state) == [.firing, .ok, .unknown])
        #expect(verdicts[0].value == 90)
        #expect(verdicts[0].reason == "storage usage 90% > 85% (capacity baseline)")
    }
}
