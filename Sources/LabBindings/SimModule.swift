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
            let w = TableWriter(L: call.L)
            w.array(try simulation(call, options: 2).nMinusOne()) { push($0, w) }
            return 1
        }
        state.setFunction("spof") { call in
            let points = try simulation(call, options: 2).singlePoints()
            let w = TableWriter(L: call.L)
            w.array(points) { p in
                w.record {
                    w.field("element", p.element)
                    w.field("kind", p.kind)
                    w.field("impact", p.impact)
                    w.field("mitigation", p.mitigation)
                    w.list("affected", p.affected) { $0.push(call.L) }
                    w.list("consequences", p.consequences) { $0.push(call.L) }
                }
            }
            return 1
        }
    }

    static let options = LuaOptions.Declaration([.integer("ram_reserve"), .number("cpu_ratio"), .number("repair")])

    static func simulation(_ call: LuaCall, options at: Int32 = 3) throws -> FailureSimulation {
        let inventory = try call.inventory(1)
        let opts = try LuaOptions(call, at, options)
        var settings = FailureSimulation.Options()
        if let bytes = opts.integer("ram_reserve") { settings.ramReserve = bytes }
        if let ratio = opts.number("cpu_ratio") { settings.cpuRatio = ratio }
        if let seconds = opts.number("repair") { settings.repairSeconds = seconds }
        return FailureSimulation(inventory, options: settings)
    }

    static func push(_ r: FailureSimulation.Report, _ w: TableWriter) {
        let L = w.L
        w.record {
            w.list("failed", r.failed) { $0.push(L) }
            w.list("down", r.down) { $0.push(L) }
            w.list("isolated", r.isolated) { $0.push(L) }
            w.field("impact", r.impact)
            w.field("internet", r.internet)
            w.list("unrouted", r.unrouted) { u in
                w.record {
                    w.field("vlan", u.vlan)
                    w.field("name", u.name)
                    w.field("router", u.router)
                    w.field("cut_off", u.cutOff)
                }
            }
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
