import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.sim`: failure simulation over the Swift side of an inventory
/// (Homelab/Simulation); stdlib/lab/sim.lua is the friendly face.
///   fail(model, {names...} [, opts]) -> report
///   n_minus_1(model [, opts]) -> {report...}, worst first
///   spof(model [, opts]) -> {{element, kind, affected, consequences, mitigation, impact}...}
/// opts: ram_reserve (bytes, 2 GiB), cpu_ratio (vCPUs per thread, 2), repair (seconds, 86400).
enum SimModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 3)
        state.setFunction("fail") { call in
            let sim = try simulation(call)
            guard call.type(2) == LUA_TTABLE else { throw call.typeError(2, "table") }
            let names = try call.table(2).array.map { v -> String in
                guard let s = v.stringValue else { throw LuaRaise.argument(2, "names must be strings") }
                return s
            }
            do { push(try sim.fail(names), TableWriter(L: call.L)) }
            catch let e as HomelabError { throw LuaRaise.argument(2, e.message) }
            return 1
        }
        state.setFunction("n_minus_1") { call in
            let sim = try simulation(call, options: 2)
            let reports = sim.nMinusOne()
            let w = TableWriter(L: call.L)
            lua_createtable(call.L, Int32(reports.count), 0)
            for (i, r) in reports.enumerated() {
                push(r, w)
                lua_rawseti(call.L, -2, lua_Integer(i + 1))
            }
            return 1
        }
        state.setFunction("spof") { call in
            let points = try simulation(call, options: 2).singlePoints()
            let w = TableWriter(L: call.L)
            lua_createtable(call.L, Int32(points.count), 0)
            for (i, p) in points.enumerated() {
                w.record {
                    w.field("element", p.element)
                    w.field("kind", p.kind)
                    w.field("impact", p.impact)
                    w.field("mitigation", p.mitigation)
                    w.list("affected", p.affected) { $0.push(call.L) }
                    w.list("consequences", p.consequences) { $0.push(call.L) }
                }
                lua_rawseti(call.L, -2, lua_Integer(i + 1))
            }
            return 1
        }
    }

    static func simulation(_ call: LuaCall, options at: Int32 = 3) throws -> FailureSimulation {
        let inventory = try call.object(1, ModelModule.InventoryHandle.self).inventory
        var options = FailureSimulation.Options()
        if !call.isNoneOrNil(at) {
            let t = try call.table(at)
            if let v = t["ram_reserve"] {
                guard let n = v.intValue else { throw LuaRaise.argument(at, "ram_reserve: bytes, an integer") }
                options.ramReserve = n
            }
            if let v = t["cpu_ratio"] { options.cpuRatio = try number(v, at, "cpu_ratio") }
            if let v = t["repair"] { options.repairSeconds = try number(v, at, "repair") }
        }
        return FailureSimulation(inventory, options: options)
    }

    static func number(_ v: LuaValue, _ at: Int32, _ name: String) throws -> Double {
        switch v {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: throw LuaRaise.argument(at, "\(name): a number")
        }
    }

    static func push(_ r: FailureSimulation.Report, _ w: TableWriter) {
        let L = w.L
        w.record {
            w.list("failed", r.failed) { $0.push(L) }
            w.list("down", r.down) { $0.push(L) }
            w.list("isolated", r.isolated) { $0.push(L) }
            w.field("impact", r.impact)
            w.field("internet", r.internet)
            w.list("reasons", r.reasons) { $0.push(L) }
            w.list("proxmox", r.proxmox) { q in
                w.record {
                    w.field("cluster", q.cluster)
                    w.field("votes", q.votes)
                    w.field("alive", q.alive)
                    w.field("needed", q.needed)
                    w.field("quorate", q.quorate)
                }
            }
            if let k = r.kubernetes {
                w.table("kubernetes") {
                    w.field("masters", k.masters)
                    w.field("running", k.running)
                    w.field("needed", k.needed)
                    w.field("etcd_quorum", k.etcdQuorum)
                    w.field("workers", k.workers)
                    w.field("running_workers", k.runningWorkers)
                    w.field("api", k.apiAvailable)
                    w.list("masters_on", k.mastersOn) { $0.push(L) }
                }
            }
            w.list("moved", r.moved) { m in
                w.record {
                    w.field("guest", m.guest)
                    w.field("from", m.from)
                    w.field("to", m.to)
                    w.field("ram", m.ram)
                }
            }
            for (key, list) in [("stranded", r.stranded), ("gpu", r.gpu)] {
                w.list(key, list) { s in
                    w.record {
                        w.field("guest", s.guest)
                        w.field("node", s.node)
                        w.field("ram", s.ram)
                        w.field("reason", s.reason)
                    }
                }
            }
            w.list("services", r.services) { s in
                w.record {
                    w.field("service", s.service)
                    w.field("tier", s.tier)
                    w.field("slo", s.slo)
                    w.field("budget", s.budgetSeconds)
                    w.field("reason", s.reason)
                    w.field("loses_slo", s.losesSLO)
                }
            }
        }
    }
}

/// `labsh.planning`: the §5.4 capacity plan and the least-squares fit.
///   plan(model [, used]) -> {band = {lo, hi}, resources = {...}, first =, buy =, buy_phase =, buy_when =}
///   fit(samples, at) -> slope, intercept (samples: {{t, v}, ...}; predict_linear's regression)
enum CapacityModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        state.setFunction("plan") { call in
            let inventory = try call.object(1, ModelModule.InventoryHandle.self).inventory
            var used: [String: Double] = [:]
            if !call.isNoneOrNil(2) {
                for (k, v) in try call.table(2).fields {
                    guard let name = k.stringValue else { continue }
                    used[name] = try SimModule.number(v, 2, name)
                }
            }
            let plan = CapacityPlan(inventory, used: used)
            let w = TableWriter(L: call.L)
            let L = call.L
            w.record {
                w.list("band", [plan.band.lowerBound, plan.band.upperBound]) { $0.push(L) }
                w.field("first", plan.first)
                w.field("buy", plan.buy)
                w.field("buy_phase", plan.buyPhase)
                w.field("buy_when", plan.buyWhen)
                w.list("resources", plan.resources) { r in
                    w.record {
                        w.field("name", r.name)
                        w.field("unit", r.unit)
                        w.field("growth_key", r.growthKey)
                        w.field("installed", r.installed)
                        w.field("allocated", r.allocated)
                        w.field("used", r.used)
                        w.field("free", r.free)
                        w.field("basis", r.basis)
                        w.field("utilisation", r.utilisation)
                        w.field("position", r.position)
                        w.field("growth", r.growth)
                        w.field("months_85", r.months85)
                        w.field("months_95", r.months95)
                    }
                }
            }
            return 1
        }
        state.setFunction("fit") { call in
            let samples = try call.table(1).array.map { v -> (Double, Double) in
                guard case .table(let p) = v, p.array.count >= 2 else { throw LuaRaise.argument(1, "samples are {time, value} pairs") }
                return (try SimModule.number(p.array[0], 1, "time"), try SimModule.number(p.array[1], 1, "value"))
            }
            let at = try call.number(2)
            guard let fit = LinearFit(samples, at: at) else { return 0 }
            return call.push(fit.slope, fit.intercept)
        }
    }
}
