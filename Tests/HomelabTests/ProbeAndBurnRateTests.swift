import Testing
@testable import Homelab

/// blackbox_exporter's configuration and the burn-rate alerts without Lua:
/// which module and target each probe kind gets, the labels, and how a tier
/// whose services name different objectives is split. blackbox_exporter and
/// promtool judge the files in Tests/lua/blackbox_spec.lua and slo_spec.lua.
@Suite struct ProbeAndBurnRateTests {
    func s(_ t: String) -> InventoryValue { .string(t) }
    func i(_ n: Int64) -> InventoryValue { .integer(n) }

    func service(_ name: String, tier: Int64, slo: Double? = nil, probe: InventoryFields?) -> InventoryValue {
        var m: InventoryFields = ["name": s(name), "tier": i(tier), "runs_on": s("k8s"), "vlan": i(30)]
        if let slo { m["slo"] = .number(slo) }
        if let probe { m["probe"] = .map(probe) }
        return .map(m)
    }

    func inventory(_ services: [InventoryValue]) throws -> Inventory {
        var top = sampleInventory()
        top["services"] = .list(services)
        return try Inventory.load(.map(top), file: "test.lua").0
    }

    @Test func eachProbeKindGetsItsModuleJobAndTarget() throws {
        let inv = try inventory([
            service("web", tier: 2, probe: ["kind": s("http"), "target": s("https://web.lab.test:8443/health"), "expect": i(204)]),
            service("db", tier: 3, probe: ["kind": s("tcp"), "target": s("db.lab.test:5432")]),
            service("ns", tier: 1, probe: ["kind": s("dns"), "target": s("ns.lab.test")]),
            service("gw", tier: 1, probe: ["kind": s("icmp"), "target": s("192.0.2.1")]),
            service("unprobed", tier: 3, probe: nil),
        ])
        let files = try BlackboxConfig.generate(inv).files
        #expect(files.map(\.name) == ["blackbox.yml", "prometheus-blackbox.yml", "blackbox-targets-http.yml",
                                      "blackbox-targets-tcp.yml", "blackbox-targets-dns.yml", "blackbox-targets-icmp.yml"])
        let modules = files[0].text
        #expect(modules.contains("  \"http_204\":\n    prober: http\n"))
        #expect(modules.contains("valid_status_codes: [204]"))
        #expect(modules.contains("query_name: \"ns.lab.test\""))
        let dns = files[4].text
        #expect(dns.contains("- targets: [\"ns.lab.test:53\"]"), "a DNS probe asks the server on port 53")
        #expect(files[2].text.contains("    service: \"web\"\n    tier: \"2\"\n    vlan: \"30\"\n    __param_module: \"http_204\"\n"))
        #expect(!files.map(\.text).joined().contains("unprobed"))
        #expect(files[1].text.contains("job_name: \"blackbox-icmp\""))
    }

    @Test func anExpectationThatIsNoStatusCodeIsRefused() throws {
        let inv = try inventory([service("web", tier: 2, probe: ["kind": s("http"), "target": s("http://w/"), "expect": s("fine")])])
        #expect(errorMessage { try BlackboxConfig.generate(inv) }?.contains("service web") == true)
    }

    @Test func hostsOfTargets() {
        #expect(BlackboxConfig.host(of: "https://a.b:8443/x") == "a.b")
        #expect(BlackboxConfig.host(of: "a.b:53") == "a.b")
        #expect(BlackboxConfig.host(of: "a.b") == "a.b")
    }

    @Test func aTierWithTwoObjectivesGetsAnAlertSetForEach() throws {
        let probe: InventoryFields = ["kind": s("tcp"), "target": s("x:1")]
        let inv = try inventory([
            service("a.b", tier: 2, slo: 99, probe: probe),
            service("c", tier: 2, slo: 99.9, probe: probe),
            service("d", tier: 3, probe: probe),
        ])
        let objectives = BurnRateRules.objectives(inv)
        #expect(objectives.map(\.tier) == [2, 2, 3])
        #expect(objectives[0].selector == "tier=\"2\",service=~\"a\\\\.b\"")
        #expect(objectives[2].selector == "tier=\"3\"")
        let text = PrometheusRules.generate(inv)
        #expect(text.contains("name: \"labsh-slo-tier2-99\""))
        #expect(text.contains("name: \"labsh-slo-tier2-99.9\""))
        #expect(text.contains("name: \"labsh-slo-tier3\""))
        #expect(text.contains("14.4 * (1 - 99.9 / 100)"))
    }

    @Test func noProbesNoBurnRateGroups() throws {
        let inv = try inventory([service("x", tier: 1, probe: nil)])
        #expect(!PrometheusRules.generate(inv).contains("labsh-slo"))
    }
}
