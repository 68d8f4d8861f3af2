import CLua
import CLuaShim
import LuaHost

/// The `lab` namespace: one global whose submodules load on first use, from
/// a registered Swift module or the embedded stdlib (`stdlib/lab/NAME.lua`).
public enum Lab {
    public static let version = "0.1.0"

    /// Swift modules by `require` name: each pushes its module table.
    /// Pairs, not a Dictionary: start-up stays free of hashing.
    static let swiftModules: KeyValuePairs<String, (LuaState) throws -> Void> = [
        "lab.sys": SysModule.push,
        "labsh.ipam": IpamModule.push,  // lab.ipam is stdlib/lab/ipam.lua over it
        "labsh.gen": GenModule.push,
        "lab.ansible": AnsibleModule.push,
        "lab.json": JSONModule.push,
        "lab.http": HTTPModule.push,
        "lab.process": ProcessModule.push,
        "labsh.host": HostModule.push,
        "labsh.filesystem": FileSystemModule.push,
        "labsh.digest": DigestModule.push,
        "labsh.model": ModelModule.push,
        "labsh.sizes": SizesModule.push,
        "labsh.slo": SLOModule.push,
        "labsh.backup": BackupModule.push,
        "labsh.schedule": ScheduleModule.push,
        "labsh.times": TimesModule.push,
        "labsh.sim": SimModule.push,
        "labsh.capacity": CapacityModule.push,
        "labsh.alert": AlertModule.push,
        "labsh.monitoring": MonitoringModule.push,
        "labsh.progress": ProgressModule.push,
        "labsh.sqlite": SQLiteModule.push,
        "labsh.os": OSModule.push,
        "labsh.stops": StopsModule.push,
        "labsh.sandbox": SandboxModule.push,
        "labsh.pve": ProxmoxModule.push,
        "labsh.library": LibraryModule.push,
        "labsh.capabilities": CapabilityModule.push,
        "labsh.locations": { SysModule.pushLocations($0.L) },  // lab.sys.locations() as a module: start-up
    ]

    /// Functions of `lab` itself that a module provides: `lab.nodes` is
    /// `require("labsh.query").nodes`, loaded on first use like a submodule.
    static let provided: KeyValuePairs<String, String> = [
        "nodes": "labsh.query", "node": "labsh.query", "totals": "labsh.query",
        "guests": "labsh.query_records", "guest": "labsh.query_records", "vlans": "labsh.query_records",
        "vlan": "labsh.query_records", "services": "labsh.query_records", "service": "labsh.query_records",
        "exec": "lab.ssh", "playbook": "labsh.playbook",
    ]

    /// Names of the lazily loaded submodules (`lab.NAME`): the Swift ones
    /// above and the embedded stdlib/lab files, both known at build time.
    public static let moduleNames: [String] = ["sys", "ansible", "json", "http", "process"]
        + EmbeddedFiles.labModules

    /// Every name `lab` loads on first use, for completion.
    static let lazyNames: [String] = moduleNames + provided.map(\.key)

    /// Installs the `lab` global for a process whose paths are `paths`
    /// (they become LabPaths.current, what lab.sys.locations() reports).
    public static func install(in state: LuaState, paths: LabPaths, options: LabOptions) throws {
        LabPaths.current = paths
        Capabilities.inventoryFile = options.inventory ?? paths.inventory
        try install(in: state, path: paths.scriptPath, options: options)
    }

    /// Installs `require` support for the script path and the `lab` global.
    public static func install(in state: LuaState, path: ScriptPath, options: LabOptions) throws {
        try installSearcher(in: state, path: path)
        let L = state.L
        lua_createtable(L, 0, 4)
        version.push(L)
        lua_rawsetfield(L, -2, "version")
        push(options, L)
        lua_rawsetfield(L, -2, "options")

        lua_createtable(L, 0, 2)
        let names = lazyNames
        lua_createtable(L, Int32(names.count), 0)
        for i in 0..<names.count {  // not names.push: generic code, slow to start
            names[i].push(L)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_rawsetfield(L, -2, "__modules")  // for completion: names, not modules
        state.pushFunction(loadSubmodule)
        lua_rawsetfield(L, -2, "__index")
        lua_setmetatable(L, -2)

        lh_pushglobaltable(L)
        lh_insert(L, -2)
        lua_rawsetfield(L, -2, "lab")
        lh_pop(L, 1)
        // `help(x)` in scripts and -e as at the prompt (labsh.help loads when
        // it is called); `labsh.script { ... }` (a library script's manifest)
        // and labsh's other modules by name, each required on first use
        guard lh_install_globals(L) == LUA_OK else {
            defer { lh_pop(L, 1) }
            throw LuaError(kind: .runtime, message: "cannot install help and labsh: \(LuaState.string(L, -1) ?? "?")")
        }
    }

    /// `lab.NAME` on first access: `require "lab.NAME"`, then cached in `lab`.
    /// Unknown names are nil, so `if lab.x then` works.
    static func loadSubmodule(_ call: LuaCall) throws -> Int32 {
        guard call.type(2) == LUA_TSTRING, let name = LuaState.string(call.L, 2) else { return 0 }
        let provider = provided.first { $0.key == name }?.value
        guard provider != nil || moduleNames.contains(name) || existsOnOverridePath(name) else { return 0 }
        let state = call.state
        state.pushGlobal("require")
        lua_xmove(state.L, call.L, 1)
        let module = try state.callRef(on: call.L, LuaRef(state: state, L: call.L), [provider ?? "lab." + name])
        module.push(call.L)
        if provider != nil {  // the provider's field of that name
            guard lua_type(call.L, -1) == LUA_TTABLE, lua_rawgetfield(call.L, -1, name) != LUA_TNIL else {
                throw LuaRaise.message("module '\(provider!)' does not provide '\(name)'")
            }
            lh_remove(call.L, -2)
        }
        lua_pushvalue(call.L, 1)
        name.push(call.L)
        lua_pushvalue(call.L, -3)
        lua_rawset(call.L, -3)
        lh_pop(call.L, 1)
        return 1
    }

    static func existsOnOverridePath(_ name: String) -> Bool {
        shadowedOnOverridePath("lab." + name)
    }

    /// A module file on LABSH_PATH replaces the built-in module of that name.
    static func shadowedOnOverridePath(_ module: String) -> Bool {
        guard !modulePath.overrides.isEmpty else { return false }
        let path = ScriptPath(overrides: modulePath.overrides, system: [])
        let relative = filePath(ofModule: module)
        switch path.find(relative, embeddedRoot: "-") {
        case .file?, .library?, .refused?: return true  // refused: the searcher says why
        default: return false
        }
    }

    /// "lab.x" -> "lab/x", as Lua's own searchers do. A byte loop: split and
    /// joined run generic code that is slow on a cold start.
    static func filePath(ofModule name: String) -> String {
        String(decoding: name.utf8.map { $0 == UInt8(ascii: ".") ? UInt8(ascii: "/") : $0 }, as: UTF8.self)
    }

    nonisolated(unsafe) static var modulePath = ScriptPath(overrides: [], system: [])

    /// Pushes the chunk of Lua module `name` as the searcher finds it (a
    /// file on the script path, else the embedded one) and returns its file;
    /// nil, with nothing pushed, when there is none (`tried` says where).
    static func pushModuleLoader(_ L: OpaquePointer, _ name: String, tried: inout [String]) throws -> String? {
        switch modulePath.find(filePath(ofModule: name), embeddedRoot: "stdlib", tried: &tried) {
        case .library(let file, let library)? where modulePath.trust != nil:
            try modulePath.trust!.loadTrusted(L, file: file, library: library)  // the bytes the trust check saw
            return file
        case .file(let file)?, .library(let file, _)?:  // (a library's, where nothing runs: only finding files)
            guard lh_loadfile(L, file) == LUA_OK else {
                let msg = LuaState.string(L, -1) ?? "?"
                lh_pop(L, 1)
                throw LuaRaise.message("error loading module '\(name)' from file '\(file)':\n\t\(msg)")
            }
            return file
        case .embedded(let file)?:
            try loadEmbedded(L, file)
            return file
        case .refused(let why)?:
            throw LuaRaise.object(kind: "path", message: why)
        case nil:
            return nil
        }
    }

    /// A searcher placed right after `package.preload`: the script path, and
    /// the Swift modules in place of the embedded files.
    static func installSearcher(in state: LuaState, path: ScriptPath) throws {
        modulePath = path
        let searcher = state.function { call in
            let name = try call.string(1)
            if let push = swiftModules.first(where: { $0.key == name })?.value, !shadowedOnOverridePath(name) {
                // `require` may run in a coroutine: the loader goes on its
                // stack, and the module, built on the main thread's, moves there.
                LuaState.pushFunction(call.L) { inner in
                    try push(inner.state)
                    if inner.state.L != inner.L { lua_xmove(inner.state.L, inner.L, 1) }
                    return 1
                }
                return call.push(":swift:" + name) + 1
            }
            var tried: [String] = []
            if let file = try pushModuleLoader(call.L, name, tried: &tried) { return call.push(file) + 1 }
            return call.push(tried.map { "\n\t" + $0 }.joined().dropFirst(2).description)
        }
        // table.insert(package.searchers, 2, searcher), raw
        state.pushGlobal("package")
        defer { lh_pop(state.L, 1) }
        guard lua_type(state.L, -1) == LUA_TTABLE,
              lua_rawgetfield(state.L, -1, "searchers") == LUA_TTABLE else {
            lh_pop(state.L, 1)
            throw LuaError(kind: .runtime, message: "package.searchers is missing")
        }
        let L = state.L
        let n = lua_rawlen(L, -1)
        var i = lua_Integer(n)
        while i >= 2 {
            lua_rawgeti(L, -1, i)
            lua_rawseti(L, -2, i + 1)
            i -= 1
        }
        searcher.push(L)
        lua_rawseti(L, -2, 2)
        lh_pop(L, 1)
    }

    /// Loads an embedded Lua file from the bytecode compiled at build time;
    /// its chunk name is the path inside labsh.
    public static func loadEmbedded(_ L: OpaquePointer, _ path: String) throws {
        guard let code = EmbeddedFiles.bytecode(path) else {
            throw LuaRaise.message("no embedded Lua file '\(path)'")
        }
        let status = code.literal.utf8Start.withMemoryRebound(to: CChar.self, capacity: code.literal.utf8CodeUnitCount) {
            lh_load_embedded(L, $0, code.literal.utf8CodeUnitCount, code.bytes, "=" + embeddedChunkPrefix + path)
        }
        if status != LUA_OK {
            let msg = LuaState.string(L, -1) ?? "?"
            lh_pop(L, 1)
            throw LuaRaise.message("error loading embedded '\(path)': \(msg)")
        }
    }

    /// Tracebacks show embedded files as "labsh:stdlib/lab/x.lua:3:".
    public static let embeddedChunkPrefix = "labsh:"
}

extension Lab {
    /// `lab.options`, written field by field (TableWriter): no LuaTable,
    /// whose Dictionary would cost start-up time.
    static func push(_ options: LabOptions, _ L: OpaquePointer) {
        let w = TableWriter(L: L)
        w.record {
            w.field("dry_run", options.dryRun)
            w.field("yes", options.yes)
            w.field("emergency", options.emergency)
            w.field("format", options.format)
            w.field("inventory", options.inventory)
            w.field("timeout", options.timeout)
            w.field("memory_limit", options.memoryLimit)
        }
    }
}
