import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.model`: the bridge between an inventory table and the Swift model
/// (lab.inventory's Swift half; sizes are labsh.sizes', error budgets labsh.slo's).
/// `validate(t, file)` checks the table and returns the model as plain Lua
/// data (sizes in bytes, addresses as text) and the warnings; on any error
/// it raises one error object listing them all.
enum ModelModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        registerHandle(state)
        lua_createtable(L, 0, 2)
        // node_kinds() -> the kinds a node may have, as the inventory reader knows them
        state.setFunction("node_kinds") { call in call.push(Inventory.Node.Kind.allCases.map(\.rawValue)) }
        // builtin() -> the built-in homelab's source table, loaded again:
        // not the copy `require` keeps, which a script could have changed
        state.setFunction("builtin") { call in
            var tried: [String] = []
            guard try Lab.pushModuleLoader(call.L, "labsh.homelab", tried: &tried) != nil else {
                throw LuaRaise.message("module 'labsh.homelab' not found")
            }
            guard lh_pcall(call.L, 0, 1, 0) == LUA_OK else {
                throw LuaRaise.message("labsh.homelab: \(LuaState.string(call.L, -1) ?? "?")")
            }
            return 1
        }
        state.setFunction("validate") { call in
            let file = try call.string(2)
            var path: [PathStep] = []
            return try validate(inventoryValue(call.L, 1, path: &path, file: file), file: file, into: call.L)
        }
    }

    /// Validates what an inventory file returned and pushes the model, its
    /// warnings and the Swift handle (3 values); raises one error object
    /// listing every problem. Also for labsh.sandbox, which reads the file's
    /// value in the sandbox's own state.
    static func validate(_ value: InventoryValue, file: String, into L: OpaquePointer) throws -> Int32 {
        do {
            let (inventory, warnings) = try Inventory.load(value, file: file)
            push(inventory, L)
            warnings.map { LuaValue.str("\(file): \($0)") }.push(L)
            LuaState.push(L, object: InventoryHandle(inventory))
            return 3
        } catch let e as InventoryError {
            let errors = e.diagnostics.filter { $0.severity == .error }.map { "\(file): \($0)" }
            throw LuaRaise.object(kind: "inventory", message: errors.joined(separator: "\n"),
                                  fields: ["file": .str(file),
                                           "errors": .table(LuaTable(array: errors.map { .str($0) }))])
        }
    }

    /// The validated model kept on the Swift side, for what is computed
    /// there: policy decisions.
    final class InventoryHandle: LuaObject {
        static let luaTypeName = "lab.InventoryModel"
        let inventory: Inventory
        init(_ inventory: Inventory) { self.inventory = inventory }
    }

    /// Argument `i` as a place: an integer is a VLAN id, a string a name.
    private static func place(_ call: LuaCall, _ i: Int32) throws -> PolicyPlace {
        switch call.type(i) {
        case LUA_TNUMBER: return .vlan(Int(try call.integer(i)))
        case LUA_TSTRING: return .name(try call.string(i))
        default: throw call.typeError(i, "zone, VLAN, node or guest")
        }
    }

    static func registerHandle(_ state: LuaState) {
        state.register(InventoryHandle.self) { t in
            // decide(from, to [, port [, proto]]) -> allowed, reason, rule number.
            // from and to are places (zone, VLAN id or name, node, guest, "internet").
            t.method("decide") { h, call in
                let from = try place(call, 2), to = try place(call, 3)
                let port = try call.optInteger(4).map { Int($0) }
                var proto = Policy.Proto.any
                if let p = try call.optString(5) {
                    do { proto = try Policy.Proto(parsing: p) } catch { throw LuaRaise.argument(5, "\(error)") }
                }
                let inventory = h.inventory
                let d: Policy.Decision
                do { d = try inventory.decide(from: from, to: to, port: port, proto: proto) } catch {
                    // an unknown place is the caller's argument; a bad port is not one place's
                    if (try? inventory.zone(of: from)) == nil { throw LuaRaise.argument(2, "\(error)") }
                    if (try? inventory.zone(of: to)) == nil { throw LuaRaise.argument(3, "\(error)") }
                    throw LuaRaise.message("\(error)")
                }
                call.push(d.allowed)
                call.push(d.reason)
                call.push(d.ruleNumber.map { Int64($0) })
                return 3
            }
            // matrix() -> {sources = {...}, destinations = {...}, [from] = {[to] = verdict}}
            t.method("matrix") { h, call in
                let m = h.inventory.policy.matrix()
                var t = LuaTable()
                t["sources"] = .table(LuaTable(array: m.sources.map(LuaValue.str)))
                t["destinations"] = .table(LuaTable(array: m.destinations.map(LuaValue.str)))
                for (i, from) in m.sources.enumerated() {
                    var row = LuaTable()
                    for (j, to) in m.destinations.enumerated() { row[to] = .str(m.verdicts[i][j].rawValue) }
                    t[from] = .table(row)
                }
                return call.push(LuaValue.table(t))
            }
        }
    }

    /// The Lua value at `idx` as inventory data, read straight off the stack:
    /// tables are lists or maps, never both; text must be UTF-8. `path`
    /// names where we are, for the error message.
    /// One step of the path to a value; the text is built only for an error.
    enum PathStep {
        case key(String)
        case index(Int)
    }

    static func inventoryValue(_ L: OpaquePointer, _ idx: Int32, path: inout [PathStep],
                               file: String) throws -> InventoryValue {
        do {
            return try read(L, idx, depth: path.count)
        } catch let failure as ReadFailure {
            let steps = path + failure.steps
            let text = steps.map { step -> String in
                switch step {
                case .key(let k): return "." + k
                case .index(let i): return "[\(i)]"
                }
            }.joined()
            let at = steps.isEmpty ? "(top level)" : String(text.drop { $0 == "." })
            throw LuaRaise.object(kind: "inventory", message: "\(file): \(at): \(failure.what)", fields: ["file": .str(file)])
        }
    }

    /// What is wrong where: the steps are added while the error unwinds, so
    /// reading a good inventory keeps no path at all.
    struct ReadFailure: Error {
        var steps: [PathStep] = []
        var what: String
    }

    private static func read(_ L: OpaquePointer, _ idx: Int32, depth: Int) throws -> InventoryValue {
        switch lua_type(L, idx) {
        case LUA_TBOOLEAN:
            return .boolean(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, idx) != 0 { return .integer(lh_tointeger(L, idx, nil)) }
            return .number(lh_tonumber(L, idx, nil))
        case LUA_TSTRING:
            var len = 0
            let p = lua_tolstring(L, idx, &len)
            guard let text = String(strictUTF8: UnsafeRawBufferPointer(start: p, count: len)) else {
                throw ReadFailure(what: "text is not valid UTF-8")
            }
            return .string(text)
        case LUA_TTABLE:
            guard depth < 64, lua_checkstack(L, 4) != 0 else { throw ReadFailure(what: "tables nested too deep (a cycle?)") }
            // a module frozen under a manifest (freeze.c: labsh.homelab) keeps its fields behind __index
            let frozen = lh_is_frozen(L, idx) != 0 && lua_getmetatable(L, idx) != 0
            if frozen { lua_rawgetfield(L, -1, "__index"); lh_remove(L, -2) }
            defer { if frozen { lh_pop(L, 1) } }
            let table = frozen ? lua_gettop(L) : lua_absindex(L, idx)
            let count = Int(lua_rawlen(L, table))
            var list: [InventoryValue] = []
            var map = InventoryFields(minimumCapacity: count > 0 ? 0 : 16)  // records: one allocation
            lua_pushnil(L)
            while lua_next(L, table) != 0 {
                defer { lh_pop(L, 1) }
                if lua_isinteger(L, -2) != 0, case let k = lh_tointeger(L, -2, nil), k >= 1, k <= count {
                    continue  // the sequence part: read in order below
                }
                guard lua_type(L, -2) == LUA_TSTRING, let key = LuaState.string(L, -2) else {
                    throw ReadFailure(what: "field names must be strings")
                }
                do {
                    map.appendNew(key, try read(L, lua_gettop(L), depth: depth + 1))
                } catch var failure as ReadFailure {
                    failure.steps.insert(.key(key), at: 0)
                    throw failure
                }
            }
            if count > 0 {
                guard map.isEmpty else { throw ReadFailure(what: "a table is either a list or has named fields, not both") }
                list.reserveCapacity(count)
                for i in 1...count {
                    lua_rawgeti(L, table, lua_Integer(i))
                    defer { lh_pop(L, 1) }
                    do {
                        list.append(try read(L, lua_gettop(L), depth: depth + 1))
                    } catch var failure as ReadFailure {
                        failure.steps.insert(.index(i), at: 0)
                        throw failure
                    }
                }
                return .list(list)
            }
            return map.isEmpty ? .list([]) : .map(map)
        default:
            throw ReadFailure(what: "\(String(cString: lh_typename(L, idx))) values cannot be inventory data")
        }
    }

    // ---- The model as Lua data, written straight onto the stack ---------------

    static func push(_ inv: Inventory, _ L: OpaquePointer) {
        let w = TableWriter(L: L)
        w.record {
            w.table("site") {
                w.field("name", inv.site.name)
                w.field("domain", inv.site.domain)
                w.field("timezone", inv.site.timezone)
                w.field("upstream", inv.site.upstream?.description)
            }
            w.list("nodes", inv.nodes) { push($0, w) }
            w.list("guests", inv.guests) { push($0, w) }
            w.list("vlans", inv.vlans) { v in
                w.record {
                    w.field("id", v.id)
                    w.field("name", v.name)
                    w.field("subnet", v.subnet.description)
                    w.field("gateway", v.gateway.description)
                    w.field("purpose", v.purpose)
                    w.field("zone", v.zone)
                    w.field("trust", v.trust)
                    w.field("public", v.isPublic ? true : nil)
                }
            }
            // what playbooks and the simulation act on (InventoryTargets.swift)
            if !inv.targets.isEmpty {
                w.table("targets") {
                    for (name, t) in inv.targets {
                        w.table(name) {
                            for (key, values) in [("role", t.roles), ("kind", t.kinds), ("tag", t.tags)] where !values.isEmpty {
                                w.list(key, values) { $0.push(L) }
                            }
                        }
                    }
                }
            }
            // the rules as written (zone lists) and the boundaries the report checks
            w.table("policy") {
                w.field("default", inv.policyDefault.rawValue)
                w.list("rules", inv.policy.rules) { r in
                    w.record {
                        w.list("from", r.from) { $0.push(L) }
                        w.list("to", r.to) { $0.push(L) }
                        w.field("action", r.action.rawValue)
                        w.field("note", r.note)
                    }
                }
                w.list("boundaries", inv.boundaries) { b in
                    w.record {
                        w.field("from", b.from)
                        w.field("to", b.to)
                        w.field("expect", b.expect.rawValue)
                        w.field("why", b.why)
                    }
                }
            }
            w.list("roadmap", inv.roadmap) { p in
                w.record {
                    w.field("phase", p.number)
                    w.field("name", p.name)
                    w.field("status", p.status)
                    w.list("items", p.items) { $0.push(L) }
                }
            }
            w.list("ha_groups", inv.haGroups) { g in
                w.record {
                    w.field("name", g.name)
                    w.list("nodes", g.nodes) { m in
                        w.record {
                            w.field("node", m.node)
                            w.field("priority", m.priority)
                        }
                    }
                }
            }
            w.list("services", inv.services) { s in
                w.record {
                    w.field("name", s.name)
                    w.field("tier", s.tier)
                    w.field("runs_on", s.runsOn)
                    w.field("vlan", s.vlan)
                    w.field("endpoint", s.endpoint)
                    w.field("slo", s.slo.percent)
                    w.field("phase", s.phase)
                    w.field("technology", s.technology)
                    if !s.addresses.isEmpty { w.list("addresses", s.addresses) { $0.description.push(L) } }
                }
            }
            // §5.1: what is backed up when, and where its copies live.
            w.list("backups", inv.backups) { b in
                w.record {
                    w.field("name", b.name)
                    w.field("resource", b.resource)
                    w.field("schedule", b.schedule)
                    w.field("retention", Int64(b.retention.components.seconds))
                    w.field("target", b.target)
                    w.field("rpo", b.rpo.map { Int64($0.components.seconds) })
                    w.field("tier", b.tier)
                    w.field("grace", b.grace.map { Int64($0.components.seconds) })
                    w.list("copies", b.copies) { $0.push(L) }
                }
            }
            w.table("storage") {
                w.list("locations", inv.storage.locations) { l in
                    w.record {
                        w.field("name", l.name)
                        w.field("medium", l.medium)
                        w.field("offsite", l.offsite)
                        w.field("prune", l.prune)
                        w.field("description", l.description)
                    }
                }
            }
            push(inv.ssh, w)
            if let proxmox = inv.proxmox { ProxmoxModule.pushSection(proxmox, w) }
            w.table("monitoring") {
                let m = inv.monitoring
                for (name, endpoint) in [("prometheus", m.prometheus), ("alertmanager", m.alertmanager),
                                         ("pushgateway", m.pushgateway)] {
                    guard let e = endpoint else { continue }
                    w.table(name) {
                        w.field("url", e.url)
                        w.field("ca_file", e.caFile)
                        w.field("insecure", e.insecure ? true : nil)
                        w.field("bearer", e.bearer?.description)
                        w.field("user", e.user)
                        w.field("password", e.password?.description)
                    }
                }
                w.field("textfile_dir", m.textfileDirectory)
            }
            if let c = inv.capacity {
                w.table("capacity") {
                    w.list("target_band", [c.targetBand.lowerBound, c.targetBand.upperBound]) { $0.push(L) }
                    w.table("growth") { for (k, v) in c.growth { w.field(k, v) } }
                    for (name, rows) in [("baseline", c.baseline), ("stated", c.stated)] {
                        w.table(name) {
                            for (row, columns) in rows {
                                w.table(row) { for (k, v) in columns { w.field(k, v) } }
                            }
                        }
                    }
                }
            }
        }
    }

    static func push(_ n: Inventory.Node, _ w: TableWriter) {
        w.record {
            w.field("name", n.name)
            w.field("kind", n.kind.rawValue)
            w.field("vendor", n.vendor)
            w.field("model", n.model)
            w.field("os", n.os)
            w.field("cpu", n.cpu?.model)
            w.field("cores", n.cpu?.cores)
            w.field("threads", n.cpu?.threads)
            w.field("ram", n.ram?.bytes)
            w.field("storage", n.storage.bytes)
            w.field("role", n.role)
            w.field("cluster", n.cluster)
            w.field("address", n.address.description)
            w.field("notes", n.notes)
            w.list("disks", n.disks) { d in
                w.record {
                    w.field("type", d.type)
                    w.field("size", d.size.bytes)
                }
            }
            w.list("gpus", n.gpus) { g in
                w.record {
                    w.field("model", g.model)
                    w.field("vram", g.vram?.bytes)
                    w.field("purpose", g.purpose)
                }
            }
            w.list("vlans", n.vlans) { $0.push(w.L) }
            w.list("tags", n.tags) { $0.push(w.L) }
            w.list("uplinks", n.uplinks) { $0.push(w.L) }
            w.list("power", n.power) { $0.push(w.L) }
            if !n.assumed.isEmpty { w.list("assumed", n.assumed) { $0.push(w.L) } }
            push(n.ssh, w)
        }
    }

    /// An `ssh` table as the inventory wrote it (secrets stay references).
    static func push(_ access: SSHAccess?, _ w: TableWriter) {
        guard let a = access else { return }
        w.table("ssh") {
            w.field("host", a.host)
            w.field("port", a.port)
            w.field("user", a.user)
            w.field("key", a.key?.description)
            w.field("known_hosts", a.knownHosts)
            w.field("config", a.config)
            w.field("jump", a.jump)
            w.field("connect_timeout", a.connectTimeout)
            w.field("sudo_password", a.sudoPassword?.description)
            w.field("host_key_checking", a.hostKeyChecking)
        }
    }

    static func push(_ g: Inventory.Guest, _ w: TableWriter) {
        w.record {
            w.field("name", g.name)
            w.field("kind", g.kind)
            w.field("node", g.node)
            w.field("vcpu", g.vcpu)
            w.field("ram", g.ram.bytes)
            w.field("disk", g.disk.bytes)
            w.field("role", g.role)
            w.field("ha_group", g.haGroup)
            w.field("vlan", g.vlan)
            w.field("address", g.address.description)
            w.list("tags", g.tags) { $0.push(w.L) }
            push(g.ssh, w)
            w.field("vmid", g.vmid.map(Int64.init))
            if !g.assumed.isEmpty { w.list("assumed", g.assumed) { $0.push(w.L) } }
        }
    }
}

extension LuaCall {
    /// The inventory handle (lab.InventoryModel) a stdlib wrapper passed as
    /// argument `i`: how every binding gets the inventory (ARCHITECTURE.md).
    func inventory(_ i: Int32) throws -> Inventory { try object(i, ModelModule.InventoryHandle.self).inventory }
}
