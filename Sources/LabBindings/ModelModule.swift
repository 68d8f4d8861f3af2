import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.model`: the bridge between an inventory table and the Swift model.
/// `validate(t, file)` checks the table and returns the model as plain Lua
/// data (sizes in bytes, addresses as text) and the warnings; on any error
/// it raises one error object listing them all.
enum ModelModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        registerHandle(state)
        lua_createtable(L, 0, 2)
        state.pushFunction { call in
            let text = try call.string(1)
            do {
                let budget = try ErrorBudget(target: AvailabilityTarget(parsing: text))
                let seconds = budget.allowedDowntime.components.seconds
                return call.push(seconds, DurationText.compact(budget.allowedDowntime))
            } catch {
                throw LuaRaise.argument(1, "\(error)")
            }
        }
        lua_rawsetfield(L, -2, "error_budget")
        // bytes(text) -> integer: a size with its unit, exact ("112GB", "16GiB")
        state.pushFunction { call in
            do { return call.push(try ByteSize(parsing: call.string(1)).bytes) }
            catch { throw LuaRaise.argument(1, "\(error)") }
        }
        lua_rawsetfield(L, -2, "bytes")
        state.pushFunction { call in
            let file = try call.string(2)
            var path: [String] = []
            let value = try inventoryValue(call.L, 1, path: &path, file: file)
            do {
                let (inventory, warnings) = try Inventory.load(value, file: file)
                LuaValue.table(table(inventory)).push(call.L)
                warnings.map { LuaValue.str("\(file): \($0)") }.push(call.L)
                call.state.push(object: InventoryHandle(inventory))
                return 3
            } catch let e as InventoryError {
                let errors = e.diagnostics.filter { $0.severity == .error }.map { "\(file): \($0)" }
                throw LuaRaise.object(kind: "inventory", message: errors.joined(separator: "\n"),
                                      fields: ["file": .str(file),
                                               "errors": .table(LuaTable(array: errors.map { .str($0) }))])
            }
        }
        lua_rawsetfield(L, -2, "validate")
    }

    /// The validated model kept on the Swift side, for what is computed
    /// there: policy decisions.
    final class InventoryHandle: LuaObject {
        static let luaTypeName = "lab.InventoryModel"
        let inventory: Inventory
        init(_ inventory: Inventory) { self.inventory = inventory }
    }

    static func registerHandle(_ state: LuaState) {
        state.register(InventoryHandle.self) { t in
            // decide(from_zone, to_zone [, port [, proto]]) -> allowed, reason, rule number
            t.method("decide") { h, call in
                let from = try call.string(2), to = try call.string(3)
                let port = try call.optInteger(4).map { Int($0) }
                var proto = Policy.Proto.any
                if let p = try call.optString(5) {
                    do { proto = try Policy.Proto(parsing: p) } catch { throw LuaRaise.argument(5, "\(error)") }
                }
                let d: Policy.Decision
                do { d = try h.inventory.policy.decide(from: from, to: to, port: port, proto: proto) }
                catch { throw LuaRaise.message("\(error)") }
                var allowed = d.allowed
                var reason = d.reason
                if d.ruleNumber == nil && h.inventory.policyDefault == .allow && !allowed {
                    allowed = true
                    reason = "default allow"
                }
                call.push(allowed)
                call.push(reason)
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
    static func inventoryValue(_ L: OpaquePointer, _ idx: Int32, path: inout [String],
                               file: String) throws -> InventoryValue {
        func fail(_ what: String) -> LuaRaise {
            let at = path.isEmpty ? "(top level)" : path.joined().drop { $0 == "." }
            return .object(kind: "inventory", message: "\(file): \(at): \(what)", fields: ["file": .str(file)])
        }
        switch lua_type(L, idx) {
        case LUA_TBOOLEAN:
            return .boolean(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, idx) != 0 { return .integer(lh_tointeger(L, idx, nil)) }
            return .number(lh_tonumber(L, idx, nil))
        case LUA_TSTRING:
            var len = 0
            let p = lua_tolstring(L, idx, &len)
            guard let text = String(validating: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self) else {
                throw fail("text is not valid UTF-8")
            }
            return .string(text)
        case LUA_TTABLE:
            guard path.count < 64, lua_checkstack(L, 4) != 0 else { throw fail("tables nested too deep (a cycle?)") }
            let table = lua_absindex(L, idx)
            let count = Int(lua_rawlen(L, table))
            var list: [InventoryValue] = []
            var map: [String: InventoryValue] = [:]
            lua_pushnil(L)
            while lua_next(L, table) != 0 {
                defer { lh_pop(L, 1) }
                if lua_isinteger(L, -2) != 0, case let k = lh_tointeger(L, -2, nil), k >= 1, k <= count {
                    continue  // the sequence part: read in order below
                }
                guard lua_type(L, -2) == LUA_TSTRING, let key = LuaState.string(L, -2) else {
                    throw fail("field names must be strings")
                }
                path.append("." + key)
                defer { path.removeLast() }
                map[key] = try inventoryValue(L, lua_gettop(L), path: &path, file: file)
            }
            if count > 0 {
                guard map.isEmpty else { throw fail("a table is either a list or has named fields, not both") }
                list.reserveCapacity(count)
                for i in 1...count {
                    lua_rawgeti(L, table, lua_Integer(i))
                    defer { lh_pop(L, 1) }
                    path.append("[\(i)]")
                    defer { path.removeLast() }
                    list.append(try inventoryValue(L, lua_gettop(L), path: &path, file: file))
                }
                return .list(list)
            }
            return map.isEmpty ? .list([]) : .map(map)
        default:
            throw fail("\(String(cString: lh_typename(L, idx))) values cannot be inventory data")
        }
    }

    // ---- The model as Lua data ------------------------------------------------

    static func table(_ inv: Inventory) -> LuaTable {
        var t = LuaTable()
        t["site"] = .table(record([
            "name": .str(inv.site.name), "domain": .str(inv.site.domain), "timezone": .str(inv.site.timezone),
            "upstream": inv.site.upstream.map { .str($0.description) } ?? .nil,
        ]))
        t["nodes"] = list(inv.nodes.map(node))
        t["guests"] = list(inv.guests.map(guest))
        t["vlans"] = list(inv.vlans.map { v in
            record(["id": .integer(Int64(v.id)), "name": .str(v.name), "subnet": .str(v.subnet.description),
                    "gateway": .str(v.gateway.description), "purpose": v.purpose.map(LuaValue.str) ?? .nil,
                    "zone": .str(v.zone), "trust": .str(v.trust)])
        })
        t["services"] = list(inv.services.map { s in
            record(["name": .str(s.name), "tier": .integer(Int64(s.tier)), "runs_on": .str(s.runsOn),
                    "vlan": .integer(Int64(s.vlan)), "endpoint": s.endpoint.map(LuaValue.str) ?? .nil,
                    "slo": .number(s.slo.percent), "phase": .integer(Int64(s.phase)),
                    "technology": s.technology.map(LuaValue.str) ?? .nil])
        })
        if let c = inv.capacity {
            func figures(_ rows: [String: [String: String]]) -> LuaValue {
                var out = LuaTable()
                for (row, columns) in rows {
                    var r = LuaTable()
                    for (k, v) in columns { r[k] = .str(v) }
                    out[row] = .table(r)
                }
                return .table(out)
            }
            var cap = LuaTable()
            cap["target_band"] = .table(LuaTable(array: [.number(c.targetBand.lowerBound), .number(c.targetBand.upperBound)]))
            var growth = LuaTable()
            for (k, v) in c.growth { growth[k] = .number(v) }
            cap["growth"] = .table(growth)
            cap["baseline"] = figures(c.baseline)
            cap["stated"] = figures(c.stated)
            t["capacity"] = .table(cap)
        }
        return t
    }

    static func node(_ n: Inventory.Node) -> LuaTable {
        var r = record([
            "name": .str(n.name), "kind": .str(n.kind.rawValue), "vendor": n.vendor.map(LuaValue.str) ?? .nil,
            "model": n.model.map(LuaValue.str) ?? .nil, "os": n.os.map(LuaValue.str) ?? .nil,
            "cpu": n.cpu.map { .str($0.model) } ?? .nil,
            "cores": n.cpu.map { .integer(Int64($0.cores)) } ?? .nil,
            "threads": n.cpu.map { .integer(Int64($0.threads)) } ?? .nil,
            "ram": n.ram.map { .integer($0.bytes) } ?? .nil, "storage": .integer(n.storage.bytes),
            "role": n.role.map(LuaValue.str) ?? .nil, "cluster": n.cluster.map(LuaValue.str) ?? .nil,
            "address": .str(n.address.description), "notes": n.notes.map(LuaValue.str) ?? .nil,
        ])
        r["disks"] = list(n.disks.map { record(["type": .str($0.type), "size": .integer($0.size.bytes)]) })
        r["gpus"] = list(n.gpus.map {
            record(["model": .str($0.model), "vram": $0.vram.map { .integer($0.bytes) } ?? .nil,
                    "purpose": $0.purpose.map(LuaValue.str) ?? .nil])
        })
        r["vlans"] = .table(LuaTable(array: n.vlans.map { .integer(Int64($0)) }))
        r["tags"] = .table(LuaTable(array: n.tags.map(LuaValue.str)))
        return r
    }

    static func guest(_ g: Inventory.Guest) -> LuaTable {
        var r = record([
            "name": .str(g.name), "kind": .str(g.kind), "node": .str(g.node), "vcpu": .integer(Int64(g.vcpu)),
            "ram": .integer(g.ram.bytes), "disk": .integer(g.disk.bytes), "role": g.role.map(LuaValue.str) ?? .nil,
            "ha_group": g.haGroup.map(LuaValue.str) ?? .nil, "vlan": .integer(Int64(g.vlan)),
            "address": .str(g.address.description),
        ])
        r["tags"] = .table(LuaTable(array: g.tags.map(LuaValue.str)))
        return r
    }

    static func record(_ fields: [String: LuaValue]) -> LuaTable {
        var t = LuaTable()
        for (k, v) in fields where v != .nil { t[k] = v }
        return t
    }

    static func list(_ items: [LuaTable]) -> LuaValue {
        .table(LuaTable(array: items.map { .table($0) }))
    }
}

extension LuaTable {
    /// A named field, for building tables in Swift.
    subscript(name: String) -> LuaValue? {
        get { fields[.str(name)] }
        set { fields[.str(name)] = newValue }
    }
}
