import Glibc
import CLua
import LuaHost

/// `lab.sys`: facts about this process and host.
enum SysModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        let pid = Int64(getpid())
        lua_createtable(L, 0, 8)
        state.setFunction("pid") { call in call.push(pid) }
        state.setFunction("hostname") { call in
            guard let name = hostname() else { throw LuaRaise.message("gethostname failed") }
            return call.push(name)
        }
        state.setFunction("now") { call in call.push(clockSeconds(CLOCK_REALTIME)) }
        state.setFunction("monotonic") { call in call.push(clockSeconds(CLOCK_MONOTONIC)) }
        state.setFunction("isatty") { call in call.push(isatty(Int32(truncatingIfNeeded: try call.integer(1))) != 0) }
        // columns([fd]) -> the width of the terminal on fd (default 1, stdout), nil when it is none
        state.setFunction("columns") { call in
            var size = winsize()
            let fd = Int32(truncatingIfNeeded: try call.optInteger(1) ?? 1)
            guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return call.push(LuaValue.nil) }
            return call.push(Int64(size.ws_col))
        }
        // locations() -> {config =, state =, data =, inventory =, script_path = {overrides =, system =},
        //             ignore_environment =}: LabPaths, a fresh table each call
        state.setFunction("locations") { call in
            pushLocations(call.L)
            return 1
        }
    }

    /// The table of lab.sys.locations(); also the module `labsh.locations`,
    /// so finding the inventory need not build all of lab.sys.
    static func pushLocations(_ L: OpaquePointer) {
        let paths = LabPaths.current
        let w = TableWriter(L: L)
        w.record {
            w.field("config", paths.config)
            w.field("state", paths.state)
            w.field("data", paths.data)
            w.field("inventory", paths.inventory)
            w.table("script_path") {
                w.list("overrides", paths.scriptPath.overrides) { $0.push(L) }
                w.list("system", paths.scriptPath.system) { $0.push(L) }
            }
            w.field("ignore_environment", paths.ignoresEnvironment)
        }
    }

    static func clockSeconds(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// This machine's name, as lab.sys.hostname() and the audit log give it.
    static func hostname() -> String? {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return nil }
        return String(cString: buf)
    }
}
