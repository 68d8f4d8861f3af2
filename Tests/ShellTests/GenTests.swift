import Foundation
import Testing

/// `labsh -m gen` and `lab.gen` on the built-in homelab, checked by the real
/// tools: named-checkzone (Debian bind9-utils) on every zone file.
@Suite struct GenTests {
    static let checkzone = "/usr/bin/named-checkzone"

    /// labsh in `dir`, else in a new directory holding `files` (the caller
    /// removes it); TZ=UTC, so "today" is the same day here and there.
    func labsh(_ args: [String], in dir: URL? = nil, files: [String: String] = [:]) throws -> (Outcome, URL) {
        let dir = try dir ?? fixtureDirectory(files)
        return (try run(labshBinary, args, env: ["XDG_CONFIG_HOME": dir.path, "TZ": "UTC"], in: dir), dir)
    }

    func contents(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    func read(_ dir: URL, _ name: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    }

    func checkzone(_ zone: String, _ file: URL) throws -> Outcome {
        try run(Self.checkzone, [zone, file.path], in: file.deletingLastPathComponent())
    }

    @Test func everyZoneFilePassesNamedCheckzone() throws {
        let (r, dir) = try labsh(["-m", "gen", "bind", "--out", "zones"], files: ["zones/.keep": ""])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr == "")
        let zonesDir = dir.appendingPathComponent("zones")
        let files = try contents(zonesDir).filter { $0.hasPrefix("db.") }
        // The domain and a reverse zone per VLAN subnet (2, 10, 20, 30, 50) and upstream (55).
        #expect(files == ["db.10.168.192.in-addr.arpa", "db.2.168.192.in-addr.arpa", "db.20.168.192.in-addr.arpa",
                          "db.30.168.192.in-addr.arpa", "db.50.168.192.in-addr.arpa", "db.55.168.192.in-addr.arpa",
                          "db.homelab.local"])
        for file in files {
            let zone = String(file.dropFirst(3))
            let check = try checkzone(zone, zonesDir.appendingPathComponent(file))
            #expect(check.status == 0, "\(file): \(check)")
            #expect(check.stdout.hasSuffix("OK\n"), "\(file): \(check)")
        }
        #expect(try contents(zonesDir) == [".keep"] + files, "no temporary file left behind")

        let forward = try read(zonesDir, "db.homelab.local")
        for name in ["pve1", "pve5", "z440", "gw1", "sw1", "isp-router", "k8s-m1", "k8s-w7", "k8s-gpu1"] {
            #expect(forward.contains("\n\(name) "), "a record for \(name)")
        }
        // each service's record on its own VLAN: grafana's (20) stated, harbor's (30) the cluster's guests
        #expect(forward.contains("\ngrafana        IN A     192.168.20.10 ; grafana\n"))
        #expect(forward.contains("\nharbor         IN CNAME k8s ; harbor\n"))
        #expect(try read(zonesDir, "db.30.168.192.in-addr.arpa").contains("\n30 IN PTR   k8s-gpu1.homelab.local.\n"))
    }

    /// The check above can fail: named-checkzone rejects a broken zone.
    @Test func namedCheckzoneRejectsACorruptedZone() throws {
        let (r, dir) = try labsh(["-m", "gen", "bind", "--out", "."])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(r.status == 0, "\(r)")
        let file = dir.appendingPathComponent("db.homelab.local")
        let good = try String(contentsOf: file, encoding: .utf8)
        #expect(try checkzone("homelab.local", file).status == 0)
        // A CNAME beside other data at one name (RFC 1034 §3.6.2).
        try (good + "pve1 IN CNAME k8s\n").write(to: file, atomically: true, encoding: .utf8)
        let bad = try checkzone("homelab.local", file)
        #expect(bad.status != 0, "\(bad)")
        #expect(!bad.stdout.hasSuffix("OK\n"))
        // An address that is none.
        try good.replacingOccurrences(of: "192.168.10.11\n", with: "192.168.10.300\n")
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try checkzone("homelab.local", file).status != 0)
    }

    @Test func serialsGrowOnlyWhenAZoneChanges() throws {
        let (first, dir) = try labsh(["-m", "gen", "bind", "--out", ".", "--serial", "2026011501"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.hasPrefix("wrote ./db.homelab.local (serial 2026011501)\n"))
        // Without --serial: unchanged zones keep file and serial.
        let (again, _) = try labsh(["-m", "gen", "bind", "--out", "."], in: dir)
        #expect(again.status == 0)
        #expect(again.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("unchanged ./db.") }, "\(again)")
        // A changed zone gets a higher serial: today's, as the old one is older.
        let file = dir.appendingPathComponent("db.homelab.local")
        try (try String(contentsOf: file, encoding: .utf8) + "extra IN A 192.168.10.99\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let (changed, _) = try labsh(["-m", "gen", "bind", "--out", "."], in: dir)
        let today = DateFormatter()
        today.dateFormat = "yyyyMMdd"
        today.timeZone = TimeZone(identifier: "UTC")
        #expect(changed.stdout.hasPrefix("wrote ./db.homelab.local (serial \(today.string(from: Date()))01)\n"), "\(changed)")
        #expect(!(try String(contentsOf: file, encoding: .utf8)).contains("extra"))
        // --serial N writes N even over a higher one.
        let (pinned, _) = try labsh(["-m", "gen", "bind", "--out", ".", "--serial", "7"], in: dir)
        #expect(pinned.stdout.hasPrefix("wrote ./db.homelab.local (serial 7)\n"))
    }

    @Test func firewallForwardsExactlyWhatThePolicyAllows() throws {
        let (r, dir) = try labsh(["-m", "gen", "openwrt", "--out", "."])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(r == Outcome(stdout: "wrote ./network\nwrote ./firewall\n", stderr: "", status: 0))
        let firewall = try read(dir, "firewall")
        var pairs: [String] = []
        var src: String?
        for line in firewall.split(separator: "\n") {
            if line.hasPrefix("config ") { src = nil }
            if line.hasPrefix("\toption src '") { src = String(line.dropFirst(13).dropLast()) }
            if line.hasPrefix("\toption dest '"), let from = src { pairs.append(from + ">" + line.dropFirst(14).dropLast()) }
        }
        // §4.1 as the built-in homelab writes it: no k8s → management, the DMZ
        // reaches only the internet, and no rule opens a port between zones.
        #expect(pairs == ["management>lan", "management>ops", "management>k8s", "management>dmz",
                          "ops>management", "ops>k8s", "k8s>ops", "k8s>wan", "dmz>wan"])
        #expect(firewall.components(separatedBy: "config forwarding\n").count - 1 == pairs.count)
        let network = try read(dir, "network")
        for id in [1, 10, 20, 30, 50] {
            #expect(network.contains("\toption vlan '\(id)'\n\tlist ports 'eth0:\(id == 1 ? "u*" : "t")'\n"))
            #expect(network.contains("\toption device 'br-lan.\(id)'\n\toption proto 'static'\n"))
        }
        // Unchanged files are left alone.
        let (again, _) = try labsh(["-m", "gen", "openwrt", "--out", "."], in: dir)
        #expect(again.stdout == "unchanged ./network\nunchanged ./firewall\n")
    }

    @Test func aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws {
        // "network" is a directory here, so the rename onto it fails (also as root).
        let dir = try fixtureDirectory(["out/network/keep": "mine\n", "out/firewall": "old firewall\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let (r, _) = try labsh(["-m", "gen", "openwrt", "--out", "out"], in: dir)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout == "")
        #expect(r.stderr.hasPrefix("gen: cannot write out/network: out/network is a directory"), "\(r)")
        let out = dir.appendingPathComponent("out")
        #expect(try contents(out) == ["firewall", "network"], "the temporary file is gone")
        #expect(try read(out, "network/keep") == "mine\n")
        #expect(try read(out, "firewall") == "old firewall\n", "nothing written after the failure")

        let (missing, _) = try labsh(["-m", "gen", "openwrt", "--out", "nowhere"], in: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("gen: cannot write nowhere/network: the directory nowhere does not exist"),
                "\(missing)")
    }

    @Test func ansibleInventoryIsWrittenAsTheExportIs() throws {
        let (r, dir) = try labsh(["-m", "gen", "ansible", "--out", "."])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "wrote ./inventory.yml\n")
        let (export, other) = try labsh(["-e", "io.write(lab.ansible.export())"])
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(try read(dir, "inventory.yml") == export.stdout)
        #expect(export.stdout.contains("ansible_host: \"192.168.10.11\""))
    }

    @Test func badUsageExitsWithTwo() throws {
        // labsh.cli's contract: one line naming the problem, then the usage
        for (args, message) in [(["nope"], "TARGET must be bind, openwrt, ansible, prometheus-rules, alertmanager, blackbox, not 'nope'"),
                                ([], "missing TARGET: bind, openwrt, ansible, prometheus-rules, alertmanager, blackbox"),
                                (["bind", "--out"], "--out needs DIR"),
                                (["openwrt", "--serial", "3"], "--serial is for bind only"),
                                (["bind", "--verbose"], "unknown option '--verbose'"),
                                (["bind"], "bind makes 7 files: give --out DIR")] {
            let (r, dir) = try labsh(["-m", "gen"] + args)
            defer { try? FileManager.default.removeItem(at: dir) }
            #expect(r.status == 2, "\(args): \(r)")
            #expect(r.stderr.hasPrefix("labsh -m gen: " + message + "\nusage: labsh -m gen [options] TARGET\n"), "\(r)")
            #expect(try contents(dir).isEmpty, "nothing written")
        }
    }

    @Test func aGeneratorThatRefusesExitsWithOne() throws {
        // An inventory whose policy allows by default: no zero-trust firewall.
        let inventory = """
            return {
              site = { name = "t", domain = "t.lan", timezone = "UTC" },
              nodes = { { name = "gw", kind = "gateway", address = "10.0.1.1", vlans = { 1 } } },
              vlans = { { id = 1, name = "lan", subnet = "10.0.1.0/24", gateway = "10.0.1.254", zone = "lan", trust = "low" } },
              policy = { default = "allow", rules = {} },
            }
            """
        let (r, dir) = try labsh(["--inventory", "inv.lua", "-m", "gen", "openwrt", "--out", "."], files: ["inv.lua": inventory])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(r.status == 1)
        #expect(r.stderr.contains("lab.gen.openwrt: the policy's default is allow"), "\(r)")
        #expect(try contents(dir) == ["inv.lua"])
        // The same inventory makes zones, with the gateway as name server.
        let (zones, _) = try labsh(["--inventory", "inv.lua", "-m", "gen", "bind", "--out", ".", "--serial", "1"], in: dir)
        #expect(zones.status == 0, "\(zones)")
        #expect(try read(dir, "db.t.lan").contains("\n@      IN NS    gw.t.lan.\n"))
    }

    @Test func luaApi() throws {
        let script = """
            local zones = lab.gen.bind { date = "2026-01-15", revision = 3, ttl = 300 }
            print(#zones, zones[1].zone, zones[1].file, zones[2].zone)
            print(zones[1].text:match("(%d+) ; serial"), zones[1].text:match("%$TTL (%d+)"))
            local files = lab.gen.openwrt { wan = "eth0", trunk = { "lan1", "lan2" } }
            print(files.network:match("list ports 'lan2:u%*'") ~= nil, files.firewall:match("config defaults") ~= nil)
            print(select(2, pcall(lab.gen.bind, { serail = 1 })))
            print(select(2, pcall(lab.gen.bind, { date = "2026-02-30" })))
            print(select(2, pcall(lab.gen.openwrt, { trunk = "lan1" })))
            local ok, err = pcall(lab.gen.openwrt, { wan = "eth0", trunk = { "eth0" } })
            print(err.kind, err.target, err.message)
            """
        let (r, dir) = try labsh(["-e", script])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(r.stderr == "")
        #expect(r.stdout == """
            7\thomelab.local\tdb.homelab.local\t2.168.192.in-addr.arpa
            2026011503\t300
            true\ttrue
            bad argument #1 to 'lab.gen.bind' (unknown option 'serail' (options are serial, date, revision, ttl))
            lab.gen.bind: '2026-02-30' is not a day of the calendar
            bad argument #1 to 'lab.gen.openwrt' (opts.trunk must be a list of port names)
            gen\topenwrt\tlab.gen.openwrt: port 'eth0' cannot be both WAN and trunk

            """)
    }
}
