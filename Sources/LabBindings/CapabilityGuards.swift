import CLua
import CLuaShim
import Glibc
import LuaHost

/// The host's check behind the guarded standard functions (guards.c): under
/// a manifest, io/os calls that reach files, programs or the environment are
/// checked against the script's capabilities, and the functions that could
/// lift the guards (debug's upvalue and registry access, string.dump, C
/// libraries) are refused to the script. Reads and writes are checked
/// whoever asks (labsh's own functions read and write for the script), but
/// labsh's own state is written only by labsh's code.
enum CapabilityGuards {
    /// `fresh`: no Lua code has run in L yet (lh_freeze_libraries).
    static func install(_ L: OpaquePointer, fresh: Bool) {
        lh_set_guard_check(check)
        _ = lh_install_guards(L)
        _ = lh_guard_metatables(L)
        _ = lh_freeze_libraries(L, fresh ? 1 : 0)
    }

    /// Whether the environment variable `name` holds no secret: labsh and
    /// the script read these freely (the locale's LC_* too). Any other one
    /// is a secret (`requires.secrets` "env:NAME"). A switch, not a Set:
    /// a script's first os.getenv would set up a String-keyed Set for it.
    static func isPlainEnvironment(_ name: String) -> Bool {
        switch name {
        case "HOME", "USER", "LOGNAME", "PATH", "SHELL", "TERM", "COLUMNS", "LINES", "LANG", "TZ", "PWD", "TMPDIR",
             "NO_COLOR", "EDITOR", "PAGER", "RESTIC_PROGRESS_FPS", "LABSH_PATH", "LABSH_STATE_DIR", "LABSH_BIN",
             "LABSH_INIT", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME":
            return true
        default:
            return name.hasPrefix("LC_")
        }
    }

    static let check: lh_guard_fn = { L, what in
        guard let L, let what, let capabilities = Capabilities.active else { return nil }
        guard let why = refusal(L, String(cString: what), capabilities) else { return nil }
        return strdup(why)
    }

    static func string(_ L: OpaquePointer, _ i: Int32) -> String? {
        lua_type(L, i) == LUA_TSTRING ? LuaState.string(L, i) : nil
    }

    /// The denial message for this call of `what`, or nil when it may run.
    static func refusal(_ L: OpaquePointer, _ what: String, _ c: Capabilities) -> String? {
        let byLabsh = Capabilities.calledByLabsh(L)
        func write(_ path: String?) -> String? {
            path.flatMap { c.writeDenial(L, $0, byLabsh: byLabsh) }
        }
        // Reads are checked whoever asks: labsh's own functions read files for
        // the script (a backup source, a task's src). A secret file labsh
        // reads for a reference counts as the secret requires.secrets allows.
        func read(_ path: String?) -> String? {
            guard let path, let why = c.readRefusal(path) else { return nil }
            if byLabsh, c.refusal(.secrets, "file:" + path) == nil { return nil }
            return c.deny(L, "files.read", path, "read", why)
        }
        func refuse(_ why: String) -> String? {
            byLabsh ? nil : c.deny(L, "script", what, "call", why)
        }
        switch what {
        case "io.open":
            let mode = string(L, 2) ?? "r"
            let writes = mode.contains("w") || mode.contains("a") || mode.contains("+")
            return writes ? write(string(L, 1)) : read(string(L, 1))
        case "io.lines", "io.input", "loadfile":
            return read(string(L, 1))
        case "io.output":
            return write(string(L, 1))
        case "os.remove":
            return write(string(L, 1))
        case "os.rename":
            return write(string(L, 1)) ?? write(string(L, 2))
        case "os.tmpname":
            return write("/tmp/lua_tmpname")
        case "os.getenv":
            guard let name = string(L, 1), !isPlainEnvironment(name) else { return nil }
            return c.refusal(.secrets, "env:" + name).map { c.deny(L, "secrets", "env:" + name, "read", $0) }
        case "io.popen", "os.execute":
            if what == "os.execute", lua_gettop(L) == 0 { return nil }  // only asks whether a shell exists
            return c.deny(L, "commands", string(L, 1) ?? "?", "run a shell for",
                          "a shell command line cannot be checked; use lab.process.run { argv = ... }, checked against requires.commands")
        case "load":
            if let name = string(L, 2), name.dropFirst().hasPrefix(Lab.embeddedChunkPrefix), !byLabsh {
                return c.deny(L, "script", name, "load a chunk named", "that name is labsh's own")
            }
            return nil
        case "rawset":  // a frozen library table takes no raw write from the script
            return lua_type(L, 1) == LUA_TTABLE && lh_is_frozen(L, 1) != 0
                ? refuse("labsh's libraries are read-only to a script under a manifest") : nil
        case "dofile":
            return refuse("use require (or loadfile, which reads text only here)")
        default:  // debug's upvalues, locals, hooks and registry; string.dump; C libraries
            return refuse("not available to a script under a manifest")
        }
    }
}
