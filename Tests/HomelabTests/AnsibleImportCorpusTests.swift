import Testing
@testable import Homelab

/// The built-in Ansible reader on the shapes real inventories have (issue
/// 16): INI, YAML anchors and vault values, and the labsh import with every
/// missing piece at once. Tests/lua/ansible_import_spec.lua compares the same
/// reader with ansible-inventory itself on Tests/inventories/ansible.
@Suite struct AnsibleImportCorpusTests {
    static func ini(_ text: String) throws -> AnsibleInventory {
        try AnsibleInventory.parse(text, format: .ini)
    }

    @Test func iniGroupsChildrenAndVars() throws {
        let inv = try Self.ini("""
            # comment
            ; another
            lone ansible_host=10.0.0.9
            [pve]
            pve[1:2] ansible_user=root
            [web]
            web1 ansible_host=10.0.1.1 ansible_port=2222 flag=True word=yes octal=010 quoted='10' list=[1,2] pw="a b#c" # note
            [servers:children]
            pve
            web
            [servers:vars]
            ntp = "10.0.0.1"  # a Python literal, then a comment
            plain = some text
            """)
        #expect(inv.hosts.map(\.name) == ["lone", "pve1", "pve2", "web1"])
        #expect(inv.host("lone")!.groups == ["ungrouped"])
        #expect(inv.host("pve2")!.groups == ["pve", "servers"])
        let web = inv.host("web1")!.vars
        #expect(web["ansible_port"] == .int(2222))
        #expect(web["flag"] == .bool(true))
        #expect(web["word"] == .string("yes"))
        #expect(web["octal"] == .string("010"))
        #expect(web["quoted"] == .int(10))
        #expect(web["list"] == .list([.int(1), .int(2)]))
        #expect(web["pw"] == .string("a b#c"))
        #expect(web["ntp"] == .string("10.0.0.1"))
        #expect(web["plain"] == .string("some text"))
        #expect(inv.host("pve1")!.vars["ansible_user"] == .string("root"))
    }

    @Test func iniErrorsNameTheLine() {
        func error(_ text: String) -> String? {
            do { _ = try Self.ini(text); return nil } catch { return "\(error)" }
        }
        #expect(error("[web\nweb1\n") == "line 1: '[web' is not a section header like [group], [group:vars] or [group:children]")
        #expect(error("[web]\nweb1 novalue\n") == "line 2: expected key=value host variable assignment, got 'novalue'")
        #expect(error("[ghost:vars]\na=1\n") == "line 1: section [ghost:vars] is for a group that is defined nowhere")
        #expect(error("[web:hosts2]\n") == "line 1: section [web:hosts2] has an unknown type 'hosts2' (only vars and children)")
        #expect(error("[web]\nweb1 a=\"open\n") == "line 2: no closing quotation in 'web1 a=\"open'")
    }

    @Test func formatFromContent() throws {
        // No extension: YAML when it reads as a YAML inventory, else INI.
        #expect(try AnsibleInventory.parse("[web]\nweb1\n", format: nil).host("web1")!.groups == ["web"])
        #expect(try AnsibleInventory.parse("web1\nweb2\n", format: nil).hosts.count == 2)
        #expect(try AnsibleInventory.parse("web:\n  hosts:\n    web1:\n", format: nil).host("web1")!.groups == ["web"])
        // A YAML error stays a YAML error when the text is YAML.
        #expect(throws: AnsibleError(line: 1, message: "nested flow collections are not supported; use block style")) {
            try AnsibleInventory.parse("all: {hosts: [x]}\n", format: nil)
        }
    }

    @Test func yamlAnchorsMergeKeysAndVault() throws {
        let inv = try AnsibleInventory.parse("""
            all:
              vars:
                base: &b
                  user: pi
                  port: 22
              hosts:
                a:
                  <<: *b
                  port: 2201
                  list:
                    - &one 1
                    - *one
                  secret: !vault |
                    $ANSIBLE_VAULT;1.1;AES256
                    6161
            """)
        let a = inv.host("a")!.vars
        #expect(a["user"] == .string("pi"))
        #expect(a["port"] == .int(2201))
        #expect(a["list"] == .list([.int(1), .int(1)]))
        #expect(a["secret"] == .map(["__ansible_vault": .string("$ANSIBLE_VAULT;1.1;AES256\n6161\n")]))
    }

    @Test func groupAndHostVarsFilesWin() throws {
        let inv = try AnsibleInventory.parse("[web]\nweb1 a=1\n[web:vars]\nb=2\n", format: .ini,
                                             groupVars: ["web": ["b": .int(3)], "nosuch": ["x": .int(1)]],
                                             hostVars: ["web1": ["a": .int(4)]])
        #expect(inv.host("web1")!.vars["a"] == .int(4))
        #expect(inv.host("web1")!.vars["b"] == .int(3))
        #expect(inv.group("nosuch") == nil)
    }

    @Test func importReportsEveryMissingPieceAtOnce() throws {
        let inv = try Self.ini("[web]\nWeb_1 ansible_host=10.0.0.1\nweb2 ansible_host=web2.lan labsh_kind=server\nvm1 ansible_host=10.0.0.3 labsh_kind=vm\n")
        do {
            _ = try inv.labshInventory(AnsibleImportOptions())
            Issue.record("imported")
        } catch let e as AnsibleError {
            let m = e.message
            #expect(m.contains("hosts with no kind (no labsh_kind and no group that names one): Web_1\n"))
            #expect(m.contains("names labsh cannot use as host names"))
            #expect(m.contains("for example: labsh_name: web-1"))
            #expect(m.contains("hosts whose address is a name"))
            #expect(m.contains("guests with no node: vm1"))
            #expect(m.contains("guests with no VLAN"))
            #expect(m.contains("web2"))
        }
    }

    @Test func overlayHostsAndGroupsGiveFields() throws {
        let inv = try Self.ini("[web]\nweb1\nweb2 labsh_kind=sbc\n")
        let overlay = try YAMLSubset.parse("""
            groups:
              web: {kind: server, ram: 8GiB}
            hosts:
              web1: {address: 10.0.0.1}
              web2: {address: 10.0.0.2, kind: router}
            """).value
        let result = try inv.labshInventory(AnsibleImportOptions(overlay: overlay))
        guard case .map(let top) = result.inventory, case .list(let nodes)? = top["nodes"] else { Issue.record("no nodes"); return }
        func field(_ i: Int, _ key: String) -> InventoryValue? { if case .map(let m) = nodes[i] { return m[key] }; return nil }
        #expect(field(0, "kind") == .string("server"))
        #expect(field(0, "address") == .string("10.0.0.1"))
        #expect(field(0, "ram") == .string("8GiB"))
        #expect(field(1, "kind") == .string("sbc"), "the host's labsh_kind before the overlay")
    }

    @Test func vlanGroupsGiveVLANs() throws {
        let inv = try Self.ini("""
            [vlan_20]
            sw ansible_host=10.0.0.2 labsh_kind=switch
            web1 ansible_host=10.0.1.5 labsh_kind=lxc labsh_node=sw labsh_vcpu=1 labsh_ram=1GiB labsh_disk=4GiB
            [vlan30]
            sw
            """)
        let result = try inv.labshInventory(AnsibleImportOptions())
        guard case .map(let top) = result.inventory, case .list(let nodes)? = top["nodes"], case .list(let guests)? = top["guests"],
              case .map(let sw)? = nodes.first, case .map(let web)? = guests.first else { Issue.record("no hosts"); return }
        #expect(sw["vlans"] == .list([.integer(30), .integer(20)]) || sw["vlans"] == .list([.integer(20), .integer(30)]))
        #expect(web["vlan"] == .integer(20))
    }

    @Test func importTakesItsOwnVLANsAndMapsSSH() throws {
        let inv = try Self.ini("""
            [nas]
            store ansible_host=10.5.0.2 ansible_user=admin ansible_ssh_private_key_file=~/.ssh/k storage_bytes=1000 ansible_become_password=oops
            """)
        let overlay = try YAMLSubset.parse("vlans:\n  - {id: 5, name: infra, subnet: 10.5.0.0/24, gateway: 10.5.0.1, zone: infra, trust: high}\n").value
        var options = AnsibleImportOptions(overlay: overlay)
        options.home = "/home/me"
        let result = try inv.labshInventory(options)
        guard case .map(let top) = result.inventory, case .list(let nodes)? = top["nodes"], case .map(let store)? = nodes.first else {
            Issue.record("no node"); return
        }
        #expect(store["kind"] == .string("nas"))
        #expect(store["vlans"] == .list([.integer(5)]))
        #expect(store["disks"] == .list([.map(["type": .string("ssd"), "size": .string("1000")])]))
        #expect(store["ssh"] == .map(["user": .string("admin"), "key": .string("file:/home/me/.ssh/k")]))
        #expect(result.notes.count == 1 && result.notes[0].contains("become password written in the inventory was not copied"))
    }
}
