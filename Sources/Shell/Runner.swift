import CLua
import CLuaShim
import Glibc
import LabBindings
import LuaHost

/// Batch mode: does what lua.c's pmain does, in the same order, then
/// labsh's additions (`-m`, limits, the `lab` namespace).
final class Runner {
    var args: Arguments
    let state: LuaState
    var L: OpaquePointer { state.L }
    /// The prefix of error messages; nil in the REPL, as in lua.
    var progname: String?
    /// Whether startCollector ran.
    private var collectorStarted = false
    /// Whether Lua code ran before the script (an init, -e, -l): what it
    /// left could hold a library table (lh_freeze_libraries' `fresh`).
    private var ranCode = false

    /// Where labsh keeps and finds things, read from the environment once.
    let paths: LabPaths
    /// Where `require` and `-m` look.
    var scriptPath: ScriptPath { paths.scriptPath }

    init(_ args: Arguments, state: LuaState) {
        self.args = args
        self.state = state
        progname = args.progname
        paths = LabPaths.fromEnvironment(ignoreEnvironment: args.ignoreEnvironment)
    }

    /// Runs everything the command line asks; returns the exit status.
    func run() -> Int32 {
        if args.listScripts { return ScriptList.print(scriptPath, json: args.options.format == "json") }
        if args.version && !args.interactive { printOut(String(cString: lh_copyright()) + "\n") }
        if args.ignoreEnvironment {
            "LUA_NOENV".push(L)
            lua_pushboolean(L, 1)
            lua_rawset(L, LH_REGISTRYINDEX)
        }
        lh_gc_stop(L)
        do {
            try state.openLibraries()
            try Lab.install(in: state, paths: paths,
                            options: args.options)
        } catch {
            message("cannot start: \(error)")
            return 1
        }
        createArgTable()
        if let limit = args.options.memoryLimit {
            state.memoryLimit = state.memoryUsed + limit
        }
        lh_install_stoppable_pcall(L)
        lh_install_children(L)
        lh_watch_signals(L)
        if let seconds = args.options.timeout { lh_set_timeout(L, seconds) }

        guard args.ignoreEnvironment || handleInit(),
              runActions(),
              args.script == 0 || runScript() else { return failureStatus() }
        if args.interactive {
            startCollector()
            Repl(runner: self).run()
        } else if args.script == 0 && !args.hasExecute && !args.version {
            if isatty(0) != 0 {
                startCollector()
                Repl(runner: self).run()
            } else if !report(dofile(nil)) {
                return failureStatus()
            }
        }
        return 0
    }

    // ---- lua.c's pieces -------------------------------------------------

    /// `arg`: the script at 0, what came before it at negative indices.
    func createArgTable() {
        let argv = args.argv
        var script = args.script
        if script == argv.count { script = 0 }
        lua_createtable(L, Int32(max(0, argv.count - script - 1)), Int32(script + 1))
        for (i, a) in argv.enumerated() {
            a.push(L)
            lua_rawseti(L, -2, lua_Integer(i - script))
        }
        state.setGlobalFromStack("arg")
        if script > 0 { Capabilities.scriptArguments = Array(argv[(script + 1)...]) }
    }

    /// LABSH_INIT, else LUA_INIT_5_4, else LUA_INIT: `@file` or a chunk.
    func handleInit() -> Bool {
        for name in ["LABSH_INIT", "LUA_INIT_5_4", "LUA_INIT"] {
            guard let value = getenv(name) else { continue }
            let text = String(cString: value)
            ranCode = true
            if text.hasPrefix("@") {
                let file = String(text.dropFirst())
                if let why = ScriptPath.refusal(ofInitFile: file) { message(why); return false }  // as LABSH_PATH
                return report(dofile(file))
            }
            return report(dostring(text, chunkname: "=" + name))
        }
        return true
    }

    /// -e, -l and -W, in command-line order.
    func runActions() -> Bool {
        for action in args.actions {
            switch action {
            case .execute(let code):
                ranCode = true
                guard report(dostring(code, chunkname: "=(command line)")) else { return false }
            case .library(let spec):
                ranCode = true
                guard report(dolibrary(spec)) else { return false }
            case .warningsOn:
                lua_warning(L, "@on", 0)
            }
        }
        return true
    }

    func runScript() -> Bool {
        let argv = args.argv
        var status: Int32
        if args.byName {
            status = loadByName(argv[args.script])
        } else {
            let name = argv[args.script]
            let stdin = name == "-" && argv[args.script - 1] != "--"
            status = stdin ? lh_loadfile(L, nil) : lh_loadfile(L, name)
        }
        if status == LUA_OK {
            noteScript()
            let n = pushScriptArgs()
            status = n < 0 ? LUA_ERRRUN : docall(nargs: n, nresults: LH_MULTRET)
        }
        return report(status)
    }

    /// `lab.options.script`: the loaded script's source ("@PATH", or
    /// "=labsh:scripts/NAME.lua" inside labsh), for the audit log; a script
    /// that ends in a tail call leaves no frame of its own to find it by.
    func noteScript() {
        var ar = lua_Debug()
        lua_pushvalue(L, -1)
        guard lua_getinfo(L, ">S", &ar) != 0, let source = ar.source else { return }
        state.pushGlobal("lab")
        if lua_type(L, -1) == LUA_TTABLE { lua_rawgetfield(L, -1, "options") } else { lua_pushnil(L) }
        if lua_type(L, -1) == LUA_TTABLE {
            String(cString: source).push(L)
            lua_rawsetfield(L, -2, "script")
        }
        lh_pop(L, 2)
    }

    /// `-m NAME`: NAME.lua or NAME/init.lua on the script path, else the
    /// playbook playbooks/NAME.
    func loadByName(_ name: String) -> Int32 {
        var tried: [String] = []
        guard !ScriptPath.climbs(name),
              let found = scriptPath.find(name, embeddedRoot: "scripts", tried: &tried)
                ?? scriptPath.find("playbooks/" + name, embeddedRoot: "scripts", tried: &tried) else {
            let list = tried.map { "\n\t" + $0 }.joined()
            "no script '\(name)' on the script path:\(list)".push(L)
            return LUA_ERRFILE
        }
        switch found {
        case .library(let file, let library):
            guard let trust = scriptPath.trust else { return lh_loadfile(L, file) }  // only finding files
            do {
                try CapabilityModule.beginLibraryScript(state, file: file, library: library, options: args.options,
                                                        fresh: !ranCode)
                try trust.loadTrusted(L, file: file, library: library)  // the bytes the trust check saw
                return LUA_OK
            } catch {
                "\(error)".push(L)
                return LUA_ERRFILE
            }
        case .file(let file):
            return lh_loadfile(L, file)
        case .refused(let why):
            why.push(L)
            return LUA_ERRFILE
        case .embedded(let file):
            do {
                try Lab.loadEmbedded(L, file)
                return LUA_OK
            } catch {
                "\(error)".push(L)
                return LUA_ERRSYNTAX
            }
        }
    }

    /// Pushes arg[1..#arg] for the main chunk's `...`; -1 on error (message pushed).
    func pushScriptArgs() -> Int32 {
        state.pushGlobal("arg")
        guard lua_type(L, -1) == LUA_TTABLE else {
            lh_pop(L, 2)
            "'arg' is not a table".push(L)
            return -1
        }
        var n: lua_Integer = 0
        if lh_len(L, -1, &n) != LUA_OK {
            lh_remove(L, -2)
            lh_remove(L, -2)
            return -1
        }
        guard n < 1_000_000, lua_checkstack(L, Int32(n) + 3) != 0 else {
            lh_pop(L, 2)
            "too many arguments to script".push(L)
            return -1
        }
        if n > 0 {
            for i in 1...n { lua_rawgeti(L, -Int32(i), i) }
        }
        lh_remove(L, -Int32(n) - 1)
        return Int32(n)
    }

    func dostring(_ code: String, chunkname: String) -> Int32 {
        var status = Array(code.utf8).withUnsafeBytes { raw in
            lh_loadbuffer(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, chunkname, nil)
        }
        if status == LUA_OK { status = docall(nargs: 0, nresults: 0) }
        return status
    }

    func dofile(_ path: String?) -> Int32 {
        var status = path.map { lh_loadfile(L, $0) } ?? lh_loadfile(L, nil)
        if status == LUA_OK { status = docall(nargs: 0, nresults: 0) }
        return status
    }

    /// `-l mod` or `-l g=mod`: g = require(mod).
    func dolibrary(_ spec: String) -> Int32 {
        var global = spec
        var module = spec
        if let eq = spec.firstIndex(of: "=") {
            global = String(spec[..<eq])
            module = String(spec[spec.index(after: eq)...])
        }
        state.pushGlobal("require")
        module.push(L)
        let status = docall(nargs: 1, nresults: 1)
        if status == LUA_OK {
            lh_pushglobaltable(L)
            global.push(L)
            lua_rotate(L, -3, -1)  // globals, name, value
            if lh_settable(L, -3) != LUA_OK {
                lh_remove(L, -2)
                return LUA_ERRRUN
            }
            lh_pop(L, 1)
        }
        return status
    }

    /// Calls the function below the `nargs` arguments with the interpreter's
    /// message handler, so errors come back with a traceback.
    func docall(nargs: Int32, nresults: Int32) -> Int32 {
        startCollector()
        let base = lua_gettop(L) - nargs
        lh_pushcfunction(L, lh_msghandler)
        lh_insert(L, base)
        let status = lh_pcall(L, nargs, nresults, base)
        lh_remove(L, base)
        return status
    }

    /// The garbage collector (generational) starts with the first code that
    /// is not labsh's own start-up: until then (the libraries, `lab`, and for
    /// a library script its trust check and frozen libraries) all that is
    /// made is kept, and a collection would only cost time.
    func startCollector() {
        guard !collectorStarted else { return }
        collectorStarted = true
        lh_gc_generational(L)
    }

    /// Prints an error (popping it); true when there was none.
    @discardableResult
    func report(_ status: Int32) -> Bool {
        guard status != LUA_OK else { return true }
        if lh_stop_reason() == Int32(LH_STOP_NONE) {
            let msg = LuaState.string(L, -1) ?? "(error object is a \(String(cString: lh_typename(L, -1))) value)"
            message(msg)
        }
        lh_pop(L, 1)
        return false
    }

    /// The exit status after a failure: a stop (signal, timeout) has its own.
    func failureStatus() -> Int32 {
        switch lh_stop_reason() {
        case Int32(LH_STOP_TIMEOUT):
            message("timeout after \(Runner.seconds(lh_timeout_seconds())) s")
            return 124
        case Int32(LH_STOP_INTERRUPT):
            message("interrupted")
            return 130
        case Int32(LH_STOP_TERMINATE):
            message("terminated")
            return 143
        default:
            return 1
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() && s < 1e15 ? String(Int64(s)) : String(s)
    }

    func message(_ text: String) {
        printErr((progname.map { $0 + ": " } ?? "") + text + "\n")
    }
}

func printOut(_ s: String) {
    fputs(s, stdout)
    fflush(stdout)
}

func printErr(_ s: String) {
    fputs(s, stderr)
    fflush(stderr)
}
