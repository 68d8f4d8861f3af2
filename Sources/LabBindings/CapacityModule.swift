import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.capacity`: the §5.4 capacity plan and the least-squares fit.
///   plan(model [, used]) -> {band = {lo, hi}, resources = {...}, first =, buy =, buy_phase =, buy_when =}
///   fit(samples, at) -> slope, intercept (samples: {{t, v}, ...}; predict_linear's regression)
enum CapacityModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        state.setFunction("plan") { call in
            let inventory = try call.inventory(1)
            var used: [String: Double] = [:]
            if !call.isNoneOrNil(2) {
                for (k, v) in try call.table(2).fields {
                    guard let name = k.stringValue else { continue }
                    guard let amount = v.numberValue else { throw LuaRaise.argument(2, "\(name): a number") }
                    used[name] = amount
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
                guard let time = p.array[0].numberValue, let value = p.array[1].numberValue else {
                    throw LuaRaise.argument(1, "samples are {time, value} pairs of numbers")
                }
                return (time, value)
            }
            let at = try call.number(2)
            guard let fit = LinearFit(samples, at: at) else { return 0 }
            return call.push(fit.slope, fit.intercept)
        }
    }
}
