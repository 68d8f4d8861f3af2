import CLua
import Homelab
import LuaHost

/// `labsh.slo`: what an availability target allows (lab.slo), computed by
/// Homelab's ErrorBudget.
enum SLOModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 1)
        // error_budget("99.9%") -> seconds of downtime a 30-day month allows, and as text
        state.setFunction("error_budget") { call in
            let text = try call.string(1)
            do {
                let budget = try ErrorBudget(target: AvailabilityTarget(parsing: text))
                return call.push(budget.allowedDowntime.components.seconds, DurationText.compact(budget.allowedDowntime))
            } catch {
                throw LuaRaise.argument(1, "\(error)")
            }
        }
    }
}
