import Testing
@testable import Homelab

@Suite struct SSHAccessTests {
    /// The sample inventory with `ssh` defaults and `nodeSSH` on pve1.
    func inventory(defaults: InventoryFields?, nodeSSH: InventoryFields?) -> InventoryFields {
        var top = sampleInventory()
        if let defaults { top["ssh"] = .map(defaults) }
        if let nodeSSH, case .list(var nodes) = top["nodes"]!, case .map(var first) = nodes[0] {
            first["ssh"] = .map(nodeSSH)
            nodes[0] = .map(first)
            top["nodes"] = .list(nodes)
        }
        return top
    }

    @Test func defaultsAndAHostsOwnSettingsAreRead() throws {
        let top = inventory(defaults: ["user": .string("ansible"), "key": .string("file:/etc/labsh/id_ed25519"),
                                       "known_hosts": .string("/etc/labsh/known_hosts"), "jump": .string("k8s-m1"),
                                       "sudo_password": .string("env:SUDO_PASS"), "connect_timeout": .integer(5)],
                            nodeSSH: ["host": .string("127.0.0.11"), "port": .integer(2222),
                                      "host_key_checking": .string("accept-new")])
        let (inv, _) = try Inventory.load(.map(top), file: "test.lua")
        #expect(inv.ssh?.user == "ansible")
        #expect(inv.ssh?.key?.source == .file("/etc/labsh/id_ed25519"))
        #expect(inv.ssh?.sudoPassword?.description == "env:SUDO_PASS")
        #expect(inv.ssh?.connectTimeout == 5)
        #expect(inv.nodes[0].ssh?.host == "127.0.0.11")
        #expect(inv.nodes[0].ssh?.port == 2222)
        #expect(inv.nodes[0].ssh?.hostKeyChecking == "accept-new")
        #expect(inv.nodes[1].ssh == nil)
    }

    @Test func aKeyWrittenOutIsRefusedWithoutEchoingIt() {
        let top = inventory(defaults: ["key": .string("-----BEGIN OPENSSH PRIVATE KEY-----")], nodeSSH: nil)
        let errors = loadErrors(top)
        #expect(errors == ["ssh.key: a secret is given as a reference, env:NAME or file:PATH, never as the secret itself"])
        #expect(!errors.joined().contains("BEGIN"))
    }

    @Test func wordsThatSSHWouldReadAsOptionsAreRefused() {
        let top = inventory(defaults: ["user": .string("-oProxyCommand=sh")],
                            nodeSSH: ["host": .string("a host"), "port": .integer(70000)])
        let errors = loadErrors(top)
        #expect(errors.contains("ssh.user: '-oProxyCommand=sh' is not a valid user: no spaces, no leading '-'"))
        #expect(errors.contains("nodes[1].ssh.host: 'a host' is not a valid host: no spaces, no leading '-'"))
        #expect(errors.contains("nodes[1].ssh.port: 70000 is out of range 1...65535"))
    }

    @Test func theDefaultsHaveNoHostAndCheckingIsAChoice() {
        let top = inventory(defaults: ["host": .string("127.0.0.1"), "host_key_checking": .string("off")], nodeSSH: nil)
        let errors = loadErrors(top)
        #expect(errors.contains("ssh.host: the defaults have no host: give it in a node's or guest's own ssh table"))
        #expect(errors.contains { $0.hasPrefix("ssh.host_key_checking: 'off' is not one of yes, accept-new, no") })
    }

    @Test func jumpHostsAreKnownAndNeverGoRoundInACircle() {
        #expect(loadErrors(inventory(defaults: ["jump": .string("bastoin")], nodeSSH: nil))
            .contains { $0.hasPrefix("ssh.jump: 'bastoin' is not a node or guest") })
        var top = inventory(defaults: nil, nodeSSH: ["jump": .string("pve2")])
        if case .list(var nodes) = top["nodes"]!, case .map(var second) = nodes[1] {
            second["ssh"] = .map(["jump": .string("pve1")])
            nodes[1] = .map(second)
            top["nodes"] = .list(nodes)
        }
        #expect(loadErrors(top).contains("nodes[1].ssh.jump: jump hosts go round in a circle through 'pve1'"))
    }
}
