import CLua
import Connectors
import Glibc
import LuaHost

/// `labsh.os`: the few system calls that jobs and the audit log need and
/// plain Lua lacks: advisory locks, process liveness, sleeping, this
/// binary's path and SHA-256.
enum OSModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 8)
        // lock(path [, wait]): an exclusive flock(2) on path (created 0600),
        // held by the returned fd until unlock(fd) or the process ends; the
        // kernel drops it when a killed process's fd closes, so a lock is
        // never stale. Without wait, nil if another process holds it. The
        // holder's pid is written into the file (for overlap = "kill").
        state.setFunction("lock") { call in
            let path = try call.string(1)
            let wait = call.type(2) == LUA_TBOOLEAN && lua_toboolean(call.L, 2) != 0
            // O_NOFOLLOW, 0600, ours and not writable by others (SafeFiles)
            let fd = try refusing { try SafeFiles.openStateFile(path, flags: O_RDWR, privacy: .unwritable) }
            var rc: Int32
            repeat { rc = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) } while rc != 0 && errno == EINTR && wait
            guard rc == 0 else {
                let e = errno
                close(fd)
                if e == EWOULDBLOCK { return call.push(LuaValue.nil) }
                throw LuaRaise.message("cannot lock '\(path)': \(String(cString: strerror(e)))")
            }
            let text = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            return call.push(Int64(fd))
        }
        state.setFunction("unlock") { call in
            close(Int32(truncatingIfNeeded: try call.integer(1)))
            return 0
        }
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
        // list(dir): the names in a directory, sorted ("." and ".." left
        // out); nil if it cannot be read (missing is the usual case)
        state.setFunction("list") { call in
            let path = try call.string(1)
            guard let dir = opendir(path) else { return call.push(LuaValue.nil) }
            defer { closedir(dir) }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if name != "." && name != ".." { names.append(name) }
            }
            return call.push(LuaValue.table(LuaTable(array: names.sorted().map { .str($0) })))
        }
        // sha256(bytes): lowercase hex
        state.setFunction("sha256") { call in call.push(SHA256.hex(try call.bytes(1))) }
    }
}
