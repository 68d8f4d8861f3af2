import CLua
import Glibc
import LuaHost

/// `labsh.os`: processes, as jobs and the audit log need them and plain Lua
/// lacks: is one alive, signalling it, sleeping, this binary's path and the
/// user it runs as. (Files are labsh.filesystem's, digests labsh.digest's.)
enum OSModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 5)
        // alive(pid): is there a process with this id?
        state.setFunction("alive") { call in
            let pid = pid_t(truncatingIfNeeded: try call.integer(1))
            return call.push(pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
        }
        // kill(pid, signal): signal a process and its group (negative pid: the group)
        state.setFunction("kill") { call in
            let pid = pid_t(truncatingIfNeeded: try call.integer(1))
            let sig = Int32(truncatingIfNeeded: try call.optInteger(2) ?? Int64(SIGTERM))
            return call.push(kill(pid, sig) == 0)
        }
        // sleep(seconds): nanosleep; a signal cuts it short (the stop hook then runs)
        state.setFunction("sleep") { call in
            let s = max(0, try call.number(1))
            var ts = timespec(tv_sec: Int(s), tv_nsec: Int((s - s.rounded(.down)) * 1e9))
            _ = nanosleep(&ts, nil)
            return 0
        }
        // executable(): the path of the running labsh (/proc/self/exe)
        state.setFunction("executable") { call in
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/self/exe", &buf, buf.count - 1)
            guard n > 0 else { return call.push(LuaValue.nil) }
            return call.push(String(cString: buf))
        }
        // user(): the effective user's login name (cron may not set USER)
        state.setFunction("user") { call in call.push(user()) }
    }

    /// The effective user's name (its number when it has none), as the
    /// audit log names who acted.
    static func user() -> String { UserName.effective() }
}
