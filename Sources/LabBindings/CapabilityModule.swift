import CLua
import CLuaShim
import Glibc
import LuaHost
import Spelling

/// `labsh.capabilities`: the running script's manifest (labsh.script
/// declares it), ctx:drop, and the check labsh's Lua code asks for the
/// effects it performs itself (a `file:` secret). Capabilities.swift holds
/// the rules; the effect functions check them.
public enum CapabilityModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 7)
        // declare{script =, version =, requires = {...}}: once per run. A
        // library script's grants were read before it started; an operator's
        // own script is limited by its declaration alone.
        state.setFunction("declare") { call in
            let manifest = try call.table(1)
            let name = manifest["script"]?.stringValue ?? "script"
            let version = manifest["version"]?.stringValue ?? ""
            let (requires, mutation) = try lists(manifest["requires"] ?? .nil, "requires")
            let capabilities = Capabilities.active ?? Capabilities(
                script: name, file: Capabilities.scriptPosition(call.L) ?? name, library: nil, granted: nil,
                grantsMutation: false, denied: [:], ownDirectories: ownDirectories())
            try capabilities.declare(version: version, requires: requires, mutation: mutation)
            if Capabilities.active == nil { Capabilities.begin(capabilities, call.L) }
            var line = ["action": "capability.declared", "target": name, "outcome": describe(requires, mutation)]
            if let granted = capabilities.granted {
                line["granted"] = describe(granted, capabilities.grantsMutation)
                line["denied"] = describe(capabilities.denied, false)
            }
            capabilities.record(line)
            return 0
        }
        // drop(kind): given up for the rest of the run
        state.setFunction("drop") { call in
            let kind = try call.string(1)
            try checkKind(kind, "drop")
            Capabilities.active?.drop(kind)
            return 0
        }
        // check(kind, target, verb): raises the denial when refused
        state.setFunction("check") { call in
            let kind = try call.string(1)
            try checkKind(kind, "check")
            try Capabilities.active?.check(call.L, kind, try call.string(2), try call.optString(3) ?? "use")
            return 0
        }
        // check_host(record): the host labsh's remote layer is about to reach
        // (a node or guest record: name, role, tags, kind, node); raises the
        // denial when requires.hosts does not cover it
        state.setFunction("check_host") { call in
            guard let active = Capabilities.active else { return 0 }
            guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
            let (name, facts) = try hostFacts(call.L, 1)
            if let why = active.refusal("hosts", name, facts: facts) {
                throw Capabilities.error(active.deny(call.L, "hosts", name, "ssh to", why))
            }
            return 0
        }
        // check_command(command): a command line for a remote host; its
        // program must be in requires.commands, and one the shell would read
        // as more than one command needs "sh" there
        state.setFunction("check_command") { call in
            guard let active = Capabilities.active else { return 0 }
            let command = try call.string(1)
            let program = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
            let shell = command.contains { ";|&$`<>(){}\n\\\"'*?[]~".contains($0) }
            try active.check(call.L, "commands", shell ? "sh" : program, shell ? "run a shell command line (\(Capabilities.printable(command)))" : "run")
            return 0
        }
        // active() -> whether a manifest limits this run
        state.setFunction("active") { call in call.push(Capabilities.active != nil) }
        // allows(kind, target) -> boolean (true with no manifest)
        state.setFunction("allows") { call in
            let kind = try call.string(1)
            try checkKind(kind, "allows")
            guard let active = Capabilities.active else { return call.push(true) }
            if kind == "mutation" { return call.push(active.mayMutate) }
            return call.push(active.refusal(kind, try call.string(2)) == nil)
        }
    }

    /// A host record's name and the facts requires.hosts selects by, read
    /// raw from the record (table at `index`): only these fields, not a copy.
    static func hostFacts(_ L: OpaquePointer, _ index: Int32) throws -> (String, [String: [String]]) {
        let record = lua_absindex(L, index)
        func text(_ key: String) -> String? {
            defer { lh_pop(L, 1) }
            return lua_rawgetfield(L, record, key) == LUA_TSTRING ? LuaState.string(L, -1) : nil
        }
        guard let name = text("name") else { throw LuaRaise.argument(1, "a host record with a name expected") }
        var facts: [String: [String]] = [:]
        for key in ["role", "kind", "node"] {
            if let value = text(key) { facts[key] = [value] }
        }
        if lua_rawgetfield(L, record, "tags") == LUA_TTABLE {
            var tags: [String] = []
            var i: lua_Integer = 1
            while lua_rawgeti(L, -1, i) == LUA_TSTRING, let tag = LuaState.string(L, -1) {
                tags.append(tag)
                lh_pop(L, 1)
                i += 1
            }
            lh_pop(L, 1)
            facts["tag"] = tags
        }
        lh_pop(L, 1)
        return (name, facts)
    }

    static func checkKind(_ kind: String, _ function: String) throws {
        let known = Capabilities.kinds + ["mutation"]
        guard known.contains(kind) else {
            throw LuaRaise.message("labsh.capabilities.\(function): unknown capability '\(kind)'\(Suggestion.didYouMean(kind, in: known))")
        }
    }

    /// `{ commands = {"restic"}, net = {...}, mutation = true }` as lists by
    /// kind and the mutation flag; anything else is an error naming `what`.
    static func lists(_ value: LuaValue, _ what: String) throws -> ([String: [String]], Bool) {
        if case .nil = value { return ([:], false) }
        guard case .table(let table) = value, table.array.isEmpty else {
            throw LuaRaise.message("\(what) must be a table of capability lists, e.g. { commands = { \"restic\" } }")
        }
        var lists: [String: [String]] = [:]
        var mutation = false
        for (key, entry) in table.fields {
            guard let kind = key.stringValue else { throw LuaRaise.message("\(what): keys are capability names") }
            if kind == "mutation" {
                guard case .boolean(let flag) = entry else { throw LuaRaise.message("\(what).mutation must be true or false") }
                mutation = flag
                continue
            }
            if kind == "files" {  // files = { read = {...}, write = {...} }
                guard case .table(let files) = entry, files.array.isEmpty else {
                    throw LuaRaise.message("\(what).files must be { read = {...}, write = {...} }")
                }
                for (mode, paths) in files.fields {
                    guard let m = mode.stringValue, m == "read" || m == "write" else {
                        throw LuaRaise.message("\(what).files: 'read' and 'write' only")
                    }
                    lists["files." + m] = try patterns(paths, "\(what).files.\(m)")
                }
                continue
            }
            guard Capabilities.kinds.contains(kind) else {
                let known = Capabilities.kinds.filter { !$0.hasPrefix("files.") } + ["files", "mutation"]
                throw LuaRaise.message("\(what): unknown capability '\(kind)'\(Suggestion.didYouMean(kind, in: known))")
            }
            lists[kind] = try patterns(entry, "\(what).\(kind)")
        }
        return (lists, mutation)
    }

    static func patterns(_ value: LuaValue, _ what: String) throws -> [String] {
        guard case .table(let list) = value, list.fields.isEmpty else {
            throw LuaRaise.message("\(what) must be a list of strings")
        }
        return try list.array.map { item in
            guard let text = item.stringValue, !text.isEmpty, !text.utf8.contains(0) else {
                throw LuaRaise.message("\(what) must be a list of non-empty strings")
            }
            return text
        }
    }

    static func describe(_ lists: [String: [String]], _ mutation: Bool) -> String {
        var parts = lists.keys.sorted().map { "\($0)=\(lists[$0]!.joined(separator: ","))" }
        if mutation { parts.append("mutation") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: " ")
    }

    static func ownDirectories() -> [String] {
        [LabPaths.current.state].compactMap { $0 }
    }

    // MARK: A library script starts

    /// Before a library script's first line: it may touch nothing until it
    /// declares, and then only what the operator granted (the grants file
    /// CONFIG/grants/LIBRARY.lua, LIBRARY as library.lua names it, and
    /// --grant) minus what is denied there.
    public static func beginLibraryScript(_ state: LuaState, file: String, library: String, options: LabOptions) throws {
        let described = try dataFields(state, library + "/library.lua", ["name"])
        guard let name = described["name"]?.stringValue, !name.isEmpty, !name.contains("/"), name != ".." else {
            throw LuaRaise.message("\(library)/library.lua: 'name' must be the library's name (no '/')")
        }
        var script = String(file.split(separator: "/").last ?? "script")
        if script.hasSuffix(".lua") { script.removeLast(4) }
        var (granted, mutation, denied) = try grants(state, library: name, script: script)
        for (kind, pattern) in options.grants {
            if kind == "mutation" { mutation = mutation || pattern == "true"; continue }
            granted[kind, default: []].append(pattern)
        }
        Capabilities.begin(Capabilities(script: script, file: file, library: name, granted: granted,
                                        grantsMutation: mutation && denied["mutation"] == nil, denied: denied,
                                        ownDirectories: ownDirectories()), state.L)
    }

    /// The grants file of `library`: `return { ["SCRIPT"] = {...}, ["*"] =
    /// {...}, deny = {...} }`. No file: nothing granted.
    static func grants(_ state: LuaState, library: String, script: String) throws
        -> (granted: [String: [String]], mutation: Bool, denied: [String: [String]]) {
        guard let config = LabPaths.current.config else { return ([:], false, [:]) }
        let file = config + "/grants/" + library + ".lua"
        guard access(file, F_OK) == 0 else { return ([:], false, [:]) }
        let fields = try dataFields(state, file, [script, "*", "deny"])
        let (mine, mineMutation) = try lists(fields[script] ?? .nil, "\(file): [\"\(script)\"]")
        let (every, everyMutation) = try lists(fields["*"] ?? .nil, "\(file): [\"*\"]")
        var (denied, deniesMutation) = try lists(fields["deny"] ?? .nil, "\(file): deny")
        var granted = mine
        for (kind, list) in every { granted[kind, default: []] += list }
        if deniesMutation { denied["mutation"] = ["*"] }
        return (granted, mineMutation || everyMutation, denied)
    }

    /// Fields `keys` of the table a data file returns, evaluated in a
    /// sandbox (as inventories are): plain data only.
    static func dataFields(_ state: LuaState, _ file: String, _ keys: [String]) throws -> [String: LuaValue] {
        let text = try LibraryTrust.readFollowing(file, limit: 1 << 20)
        guard let sandbox = text.withUnsafeBufferPointer({ raw in
            raw.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: raw.count) { lh_sandbox_open($0, raw.count, file, 1, 16 << 20) }
            } ?? lh_sandbox_open("", 0, file, 1, 16 << 20)
        }) else { throw LuaRaise.message("\(file): no memory to read it") }
        defer { lh_sandbox_close(sandbox) }
        var reason: UnsafePointer<CChar>?
        if let failure = lh_sandbox_failure(sandbox, &reason) { throw LuaRaise.message(String(cString: failure)) }
        guard lua_type(lh_sandbox_state(sandbox), lh_sandbox_result(sandbox)) == LUA_TTABLE else {
            throw LuaRaise.message("\(file): must return a table")
        }
        let L = state.L
        var fields: [String: LuaValue] = [:]
        for key in keys {
            guard lh_sandbox_push_field(sandbox, key, 0, L) != 0 else { throw LuaRaise.message("\(file): no memory to read it") }
            defer { lh_pop(L, 1) }
            fields[key] = try LuaState.value(L, -1, state: state)
        }
        return fields
    }
}
