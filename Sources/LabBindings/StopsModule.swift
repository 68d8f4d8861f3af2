import CLua
import CLuaShim
import LuaHost

/// `labsh.stops`: code that must finish even while labsh is being stopped
/// (a runbook's rollbacks, the audit log's outcome line).
enum StopsModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 2)
        // hold(seconds, fn, ...): fn(...) with SIGINT, SIGTERM and --timeout
        // held back for at most `seconds`; a held stop goes on when fn
        // returns, and a second signal ends the hold at once (C: lh.c).
        lh_push_run_deferred(L)
        lua_rawsetfield(L, -2, "hold")
        // reason(): "SIGINT", "SIGTERM" or "timeout" while labsh is being
        // stopped (outside a hold), else nil.
        state.setFunction("reason") { call in
            switch lh_stop_reason() {
            case Int32(LH_STOP_INTERRUPT): return call.push("SIGINT")
            case Int32(LH_STOP_TERMINATE): return call.push("SIGTERM")
            case Int32(LH_STOP_TIMEOUT): return call.push("timeout")
            default: return call.push(LuaValue.nil)
            }
        }
    }
}
