import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.gen`: configuration files generated from an inventory (Homelab's
/// BindZones, OpenWrtConfig and Alerts), behind stdlib/lab/gen.lua. Each
/// function takes the inventory handle first (ARCHITECTURE.md: how a
/// binding gets the inventory) and returns text; writing files is the
/// caller's business (scripts/gen.lua writes them atomically).
enum GenModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 2)
        // bind([opts]) -> { {zone=, file=, text=}, ... }
        state.setFunction("bind") { call in
            let opts = try options(call, 2, allowed: ["serial", "date", "revision", "ttl"])
            var settings = BindZones.Options()
            do {
                if let serial = opts["serial"] {
                    guard let n = serial.intValue, let s = UInt32(exactly: n), s > 0 else {
                        throw LuaRaise.argument(2, "opts.serial must be an integer 1-4294967295")
                    }
                    settings.serial = s
                    if opts["date"] != nil { throw LuaRaise.argument(2, "give opts.serial or opts.date, not both") }
                } else if let date = opts["date"] {
                    guard let text = date.stringValue else { throw LuaRaise.argument(2, "opts.date must be a string YYYY-MM-DD") }
                    let revision = try opts["revision"].map { value -> Int in
                        guard let n = value.intValue else { throw LuaRaise.argument(2, "opts.revision must be an integer 0-99") }
                        return Int(n)
                    } ?? 1
                    settings.serial = try BindZones.serial(date: text, revision: revision)
                } else if opts["revision"] != nil {
                    throw LuaRaise.argument(2, "opts.revision needs opts.date")
                }
                if let ttl = opts["ttl"] {
                    guard let n = ttl.intValue else { throw LuaRaise.argument(2, "opts.ttl must be an integer (seconds)") }
                    settings.ttl = Int(n)
                }
                let zones = try BindZones.generate(try inventory(call, 1), options: settings)
                let w = TableWriter(L: call.L)
                lua_createtable(call.L, Int32(zones.count), 0)
                for (i, zone) in zones.enumerated() {
                    w.record {
                        w.field("zone", zone.zone)
                        w.field("file", zone.file)
                        w.field("text", zone.text)
                    }
                    lua_rawseti(call.L, -2, lua_Integer(i + 1))
                }
                return 1
            } catch let error as HomelabError {
                throw generatorError("bind", error)
            }
        }
        // openwrt([opts]) -> { network = text, firewall = text }
        state.setFunction("openwrt") { call in
            let opts = try options(call, 2, allowed: ["wan", "trunk"])
            var settings = OpenWrtConfig.Options()
            if let wan = opts["wan"] {
                guard let text = wan.stringValue else { throw LuaRaise.argument(2, "opts.wan must be a port name") }
                settings.wan = text
            }
            if let trunk = opts["trunk"] {
                guard case .table(let t) = trunk, t.fields.isEmpty,
                      case let ports = t.array.compactMap(\.stringValue), ports.count == t.array.count else {
                    throw LuaRaise.argument(2, "opts.trunk must be a list of port names")
                }
                settings.trunk = ports
            }
            do {
                let files = try OpenWrtConfig.generate(try inventory(call, 1), options: settings)
                lua_createtable(call.L, 0, 2)
                files.network.push(call.L)
                lua_rawsetfield(call.L, -2, "network")
                files.firewall.push(call.L)
                lua_rawsetfield(call.L, -2, "firewall")
                return 1
            } catch let error as HomelabError {
                throw generatorError("openwrt", error)
            }
        }
        pushAlertExports(state)
    }

    /// prometheus_rules() -> text; alertmanager() -> text (Homelab/Alerts).
    static func pushAlertExports(_ state: LuaState) {
        state.setFunction("prometheus_rules") { call in
            _ = try options(call, 2, allowed: [])
            return call.push(PrometheusRules.generate(try inventory(call, 1)))
        }
        state.setFunction("alertmanager") { call in
            _ = try options(call, 2, allowed: [])
            do { return call.push(try AlertmanagerConfig.generate(try inventory(call, 1))) }
            catch let error as HomelabError { throw generatorError("alertmanager", error) }
        }
    }

    /// The options table at `i` (absent or nil: empty); unknown keys are errors.
    static func options(_ call: LuaCall, _ i: Int32, allowed: [String]) throws -> [String: LuaValue] {
        if call.isNoneOrNil(i) { return [:] }
        let table = try call.table(i)
        var result: [String: LuaValue] = [:]
        for (key, value) in table.fields {
            guard let name = key.stringValue, allowed.contains(name) else {
                throw LuaRaise.argument(i, "unknown option '\(key.stringValue ?? "\(key)")' "
                    + "(options are \(allowed.joined(separator: ", ")))")
            }
            result[name] = value
        }
        if !table.array.isEmpty {
            throw LuaRaise.argument(i, "options are named (\(allowed.joined(separator: ", "))), not a list")
        }
        return result
    }

    /// The inventory handle (lab.Inventory) a stdlib wrapper passed as argument `i`.
    static func inventory(_ call: LuaCall, _ i: Int32) throws -> Inventory {
        try call.object(i, ModelModule.InventoryHandle.self).inventory
    }

    /// A generator's refusal as an error object: kind "gen", the target
    /// ("bind", "openwrt") and the model's message.
    static func generatorError(_ target: String, _ error: HomelabError) -> LuaRaise {
        .object(kind: "gen", message: "lab.gen.\(target): \(error.message)", fields: ["target": .str(target)])
    }
}
