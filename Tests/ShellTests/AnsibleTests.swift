import Foundation
import Testing

/// ansible-inventory of ansible-core (PyPI; `make deps` installs it): on
/// PATH, else in the scripts folder of python3. Missing is a failure, not a
/// skip: the export is only proven by the real parser.
private func ansibleInventory() throws -> String {
    let env = ProcessInfo.processInfo.environment
    for dir in (env["PATH"] ?? "").split(separator: ":") {
        let candidate = "\(dir)/ansible-inventory"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    let home = FileManager.default.temporaryDirectory
    for python in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: python) {
        let out = try? run(python, ["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"], in: home)
        let candidate = (out?.stdout ?? "").trimmingCharacters(in: .whitespacesAndNewlines) + "/ansible-inventory"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw MissingTool(message: "ansible-inventory (ansible-core from PyPI) is not installed: run `make deps`")
}

private struct MissingTool: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// `ansible-inventory -i FILE --list` as JSON, with its stderr. Runs with
/// the test's own environment (pyenv shims need it), in `dir`.
private func ansibleList(_ file: URL, in dir: URL) throws -> (json: [String: Any], stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try ansibleInventory())
    p.arguments = ["-i", file.path, "--list"]
    p.currentDirectoryURL = dir
    var env = ProcessInfo.processInfo.environment
    env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "true"  // a file it cannot parse is an error, not a warning
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_HOME"] = dir.appendingPathComponent(".ansible").path
    env["ANSIBLE_CONFIG"] = dir.appendingPathComponent("none.cfg").path
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let stderr = String(decoding: errData, as: UTF8.self)
    #expect(p.terminationStatus == 0, "ansible-inventory failed: \(stderr)")
    let json = try JSONSerialization.jsonObject(with: outData) as? [String: Any]
    return (try #require(json, "ansible-inventory printed no JSON object: \(stderr)"), stderr)
}

/// A value as one line of text, the same from Lua and from JSON: strings
/// quoted, lists in [], mappings in {} with sorted keys, an empty either {}.
private func canonical(_ v: Any) -> String? {
    switch v {
    case is NSNull: return nil
    case let s as String: return "\"\(s)\""
    case let n as NSNumber:
        let type = String(cString: n.objCType)
        if type == "c" { return n.boolValue ? "true" : "false" }
        if type == "d" || type == "f" { return String(format: "%.6g", n.doubleValue) }
        return String(n.int64Value)
    case let a as [Any]:
        return a.isEmpty ? "{}" : "[" + a.map { canonical($0) ?? "nil" }.joined(separator: ",") + "]"
    case let m as [String: Any]:
        let items = m.keys.sorted().compactMap { k in canonical(m[k]!).map { "\(k)=\($0)" } }
        return items.isEmpty ? "{}" : "{" + items.joined(separator: ",") + "}"
    default: return "?\(v)"
    }
}

/// What ansible-inventory says, as sorted lines: hosts, their variables,
/// the direct hosts and the children of each group (not all's hosts,
/// which --list leaves out).
private func ansibleLines(_ json: [String: Any]) -> [String] {
    var lines = Set<String>()
    let meta = json["_meta"] as? [String: Any] ?? [:]
    for (host, vars) in meta["hostvars"] as? [String: [String: Any]] ?? [:] {
        for (k, v) in vars { if let c = canonical(v) { lines.insert("var \(host) \(k) \(c)") } }
    }
    for (group, value) in json where group != "_meta" {
        let g = value as? [String: Any] ?? [:]
        for h in g["hosts"] as? [String] ?? [] {
            lines.insert("host \(h)")
            if group != "all" { lines.insert("group \(group) host \(h)") }
        }
        for c in g["children"] as? [String] ?? [] { lines.insert("group \(group) child \(c)") }
    }
    return lines.sorted()
}

/// The same lines from the built-in reader, `lab.ansible.import(path, {reader = "builtin"})`.
private let labshLinesScript = #"""
local function canon(v)
  local t = type(v)
  if t == "string" then return '"' .. v .. '"' end
  if math.type(v) == "integer" then return string.format("%d", v) end
  if t == "number" then return string.format("%.6g", v) end
  if t == "boolean" then return tostring(v) end
  if next(v) == nil then return "{}" end
  local parts = {}
  if #v > 0 then
    for i, item in ipairs(v) do parts[i] = canon(item) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do parts[i] = k .. "=" .. canon(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
local inv = lab.ansible.import(arg[1], {reader = "builtin"})  -- the built-in reader, compared with Ansible
local lines = {}
for name, host in pairs(inv.hosts) do
  lines[#lines + 1] = "host " .. name
  for k, v in pairs(host.vars) do lines[#lines + 1] = ("var %s %s %s"):format(name, k, canon(v)) end
end
for name, group in pairs(inv.groups) do
  if name ~= "all" then
    for _, h in ipairs(group.hosts) do lines[#lines + 1] = ("group %s host %s"):format(name, h) end
  end
  for _, c in ipairs(group.children) do lines[#lines + 1] = ("group %s child %s"):format(name, c) end
end
table.sort(lines)
io.write(table.concat(lines, "\n"), "\n")
"""#

/// An inventory that uses what Ansible inventories use: ranges, nested
/// children, vars at each level, a group twice, quoting, comments, ports.
private let handWritten = """
    # The lab, by hand.
    ---
    all:
      vars:
        env: lab
        ntp: 'pool.ntp.org'   # quoted
        ssh: {port: 22, user: admin}
      hosts:
        bastion:
          ansible_host: 10.0.0.2
          env: "prod"
    proxmox:
      vars:
        env: hypervisors
        legacy: yes
        mode: 0644
        ratio: 1.5
        version: "8"
        flags: [a, "b c", 3]
        nothing:
      hosts:
        pve[1:3]:
          ansible_user: root
        pve[04:05]:
      children:
        pve_gpu:
          vars: {gpu: true, count: 2}
          hosts:
            pve3:
              gpu_model: RTX 3060
              motd: "it's \\"quoted\\""
    k8s:
      children:
        masters:
          hosts:
            master-[a:c]:
        workers:
          vars:
            env: workers
          hosts:
            worker[01:10:3]:
            edge.lab:2222:
    zzz:
      vars:
        env: later-by-name
        ansible_group_priority: 0
      hosts: pve1
    pve_gpu:
      hosts:
        pve9:
    """

@Suite struct AnsibleTests {
    /// Runs the import script of labsh on `file` and compares with Ansible.
    private func compare(_ file: URL, in dir: URL) throws {
        let ours = try run(labshBinary, ["-e", labshLinesScript.replacingOccurrences(of: "arg[1]", with: "'\(file.path)'")], in: dir)
        #expect(ours.status == 0, "\(ours)")
        let (json, stderr) = try ansibleList(file, in: dir)
        #expect(!stderr.contains("[WARNING]"), "\(stderr)")
        let theirs = ansibleLines(json)
        let mine = ours.stdout.split(separator: "\n").map(String.init)
        #expect(Set(mine).subtracting(theirs).sorted() == [], "only labsh says so")
        #expect(Set(theirs).subtracting(mine).sorted() == [], "only Ansible says so")
        #expect(theirs.count > 10)
    }

    @Test func exportIsReadByAnsibleInventory() throws {
        let dir = try fixtureDirectory([:])
        defer { try? FileManager.default.removeItem(at: dir) }
        let exported = try run(labshBinary, ["-e", "io.write(lab.ansible.export())"], in: dir)
        #expect(exported.status == 0, "\(exported)")
        let file = dir.appendingPathComponent("homelab.yml")
        try exported.stdout.write(to: file, atomically: true, encoding: .utf8)

        let (json, stderr) = try ansibleList(file, in: dir)
        #expect(!stderr.contains("[WARNING]"), "Ansible warns: \(stderr)")
        let hostvars = try #require((json["_meta"] as? [String: Any])?["hostvars"] as? [String: [String: Any]])

        // Every node and guest is a host, with its address as ansible_host.
        let model = try run(labshBinary, ["-e", """
            for _, n in ipairs(lab.nodes()) do print(n.name, n.address) end
            for _, g in ipairs(lab.guests()) do print(g.name, g.address) end
            """], in: dir)
        var addresses: [String: String] = [:]
        for line in model.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t").map(String.init)
            addresses[parts[0]] = parts[1]
        }
        #expect(addresses.count == 20, "9 nodes and 11 guests")
        #expect(Set(hostvars.keys) == Set(addresses.keys))
        for (host, address) in addresses {
            #expect(hostvars[host]?["ansible_host"] as? String == address, "\(host)")
        }
        #expect(hostvars["pve1"]?["ansible_host"] as? String == "192.168.10.11")

        // Variables, typed.
        #expect(hostvars["pve4"]?["ram_bytes"] as? Int == 32 << 30)
        #expect(hostvars["pve4"]?["cluster"] as? String == "homelab")
        #expect(hostvars["pve4"]?["vlans"] as? [Int] == [10, 30])
        #expect(hostvars["pve4"]?["zone"] as? String == "management")
        #expect(hostvars["k8s-m2"]?["node"] as? String == "pve2")
        #expect(hostvars["k8s-m2"]?["vcpu"] as? Int == 2)
        #expect(hostvars["k8s-m2"]?["vlan"] as? Int == 30)
        #expect(hostvars["z440"]?["gpus"] as? [String] == ["NVIDIA GeForce RTX 3060", "NVIDIA Tesla P4"])
        #expect(hostvars["gw1"]?["host_tags"] as? [String] == ["openwrt", "spof"])
        #expect(hostvars["sw1"]?["domain"] as? String == "homelab.local", "all's vars reach every host")

        // Groups per kind, role, zone and VLAN.
        func hosts(_ group: String) -> [String] { ((json[group] as? [String: Any])?["hosts"] as? [String] ?? []).sorted() }
        func children(_ group: String) -> [String] { ((json[group] as? [String: Any])?["children"] as? [String] ?? []).sorted() }
        #expect(hosts("k8s_master") == ["k8s-m1", "k8s-m2", "k8s-m3"])
        #expect(hosts("k8s_worker") == (1...7).map { "k8s-w\($0)" })
        #expect(hosts("k8s_gpu_worker") == ["k8s-gpu1"])
        #expect(hosts("hypervisor") == ["pve1", "pve2", "pve3", "pve4", "pve5"])
        #expect(hosts("proxmox") == hosts("hypervisor"))
        #expect(hosts("workstation") == ["z440"])
        #expect(hosts("gateway") == ["gw1"])
        #expect(hosts("switch") == ["sw1"])
        #expect(hosts("vm").count == 11)
        #expect(children("zone_k8s") == ["vlan_30"])
        #expect(children("zone_management") == ["vlan_10"])
        #expect(hosts("vlan_30").contains("k8s-w7") && hosts("vlan_30").contains("pve1"))
        #expect(!hosts("vlan_10").contains("k8s-m1"))
        #expect(hosts("ungrouped") == [], "every host is in a group")
        let top = children("all")
        for group in ["hypervisor", "proxmox", "k8s_master", "zone_dmz", "zone_k8s", "zone_lan", "zone_management", "zone_ops"] {
            #expect(top.contains(group), "\(group)")
        }

        // And labsh reads its own export as Ansible does.
        try compare(file, in: dir)
    }

    @Test func importAgreesWithAnsible() throws {
        let dir = try fixtureDirectory(["hand.yml": handWritten])
        defer { try? FileManager.default.removeItem(at: dir) }
        try compare(dir.appendingPathComponent("hand.yml"), in: dir)
    }

    @Test func importedInventoryValidates() throws {
        let dir = try fixtureDirectory([:])
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try run(labshBinary, ["-e", """
            local path = os.tmpname()
            local f = assert(io.open(path, "w")) f:write(lab.ansible.export()) f:close()
            local model = require "labsh.model"
            for _, base in ipairs { false, "table" } do
              local t = base and lab.ansible.to_inventory(path, require "labsh.homelab")
                             or lab.ansible.to_inventory(path)
              local data = model.validate(t, "(from ansible)")
              print(#data.nodes, #data.guests, #data.vlans, data.site.domain)
            end
            local back = lab.ansible.import(path)
            os.remove(path)
            print(back.hosts["k8s-w3"].vars.node, table.concat(back.hosts.pve1.groups, " "))
            """], in: dir)
        #expect(out.status == 0, "\(out)")
        #expect(out.stdout == """
            9\t11\t5\thomelab.local
            9\t11\t5\thomelab.local
            pve3\thypervisor proxmox vlan_10 vlan_30 zone_k8s zone_management

            """)
    }

    @Test func malformedFilesNameTheFileAndLine() throws {
        let dir = try fixtureDirectory([
            "alias.yml": "all:\n  vars:\n    base: 1\n    copy: *base\n",
            "tabs.yml": "all:\n  hosts:\n\tpve1:\n",
            "nohost.yml": "proxmox:\n  hosts:\n    pve1:\n      ansible_host: pve1.lab\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        // The built-in reader's messages (with Ansible installed, import asks it by default).
        let alias = try run(labshBinary, ["-e", "lab.ansible.import('alias.yml', {reader = 'builtin'})"], in: dir)
        #expect(alias.status == 1)
        #expect(alias.stderr == "PROG: alias.yml:4: alias '*base' names no anchor defined above it\n")
        let tabs = try run(labshBinary, ["-e", """
            local ok, e = pcall(lab.ansible.import, 'tabs.yml', {reader = 'builtin'})
            print(ok, e.kind, e.file, e.line, e.message)
            """], in: dir)
        #expect(tabs.stdout == "false\tansible\ttabs.yml\t3\ttabs.yml:3: tab in indentation; YAML indents with spaces only\n")
        let nohost = try run(labshBinary, ["-e", "lab.ansible.to_inventory('nohost.yml')"], in: dir)
        #expect(nohost.status == 1)
        #expect(nohost.stderr.hasPrefix("PROG: nohost.yml: this Ansible inventory lacks what labsh needs (1 kind of problem):\n"
                                        + "  hosts whose address is a name"))
    }
}
