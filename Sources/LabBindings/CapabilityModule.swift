import CLua
import CLuaShim
import Glibc
import Homelab
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
            guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
            let L = call.L
            let name = rawString(L, 1, "script") ?? "script"
            let version = rawString(L, 1, "version") ?? ""
            lua_rawgetfield(L, 1, "requires")
            let where_ = Capabilities.active?.file ?? Capabilities.scriptPosition(L) ?? name
            let table = try manifestError(where_) { try lists(L, -1, "requires") }
            let requires = table.lists, mutation = table.mutation
            lh_pop(L, 1)
            let capabilities = Capabilities.active ?? Capabilities(
                script: name, file: Capabilities.scriptPosition(call.L) ?? name, isLibraryScript: false,
                ownDirectories: ownDirectories())
            let context = selectorContext(call, 1, namesInventory: requires.namesInventory)
            try manifestError(where_) {
                try capabilities.declare(version: version, requires: requires, mutation: mutation, selectors: context)
            }
            if Capabilities.active == nil { Capabilities.begin(capabilities, call.L) }
            // a script labsh ships (its source "@labsh:scripts/...", as labsh
            // loaded it) declares what labsh itself wrote: its runs add no line
            // of their own to the audit log (its denials still do)
            let shipped = rawString(L, 1, "source")?.dropFirst().hasPrefix(Lab.embeddedChunkPrefix + "scripts/") == true
            if capabilities.isLibraryScript {
                capabilities.record(action: "capability.declared", target: name, outcome: describe(requires, mutation),
                                    granted: describe(capabilities.granted, capabilities.grantsMutation),
                                    denied: describe(capabilities.denied, false))
            } else if !shipped {
                capabilities.record(action: "capability.declared", target: name, outcome: describe(requires, mutation))
            }
            // an operator's script (not a library's) reads its own file freely
            if !capabilities.isLibraryScript, let source = rawString(L, 1, "source"), source.hasPrefix("@"),
               !source.dropFirst().hasPrefix(Lab.embeddedChunkPrefix) {
                capabilities.addReadable(String(source.dropFirst()))
            }
            return 0
        }
        // drop(kind): given up for the rest of the run
        state.setFunction("drop") { call in
            let kind = try checkKind(try call.string(1), "drop")
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
            let name = try hostName(call.L, 1)
            // the facts as Swift validated them: the record's may have been changed
            let facts = try PristineInventory.host(call, name)?.facts ?? hostFacts(call.L, 1).1
            if let denial = active.hostDenial(call.L, name, facts) { throw Capabilities.error(denial) }
            return 0
        }
        // inventory_changes(how): the current inventory is about to be
        // replaced (lab.inventory.load, from_ansible, from_pve). A library
        // script runs on the operator's inventory, which its grants name
        // hosts of: it cannot swap in another one.
        state.setFunction("inventory_changes") { call in
            if let active = Capabilities.active, active.isLibraryScript {
                let how = try call.string(1)
                throw Capabilities.error(active.deny(call.L, "hosts", how, "call",
                    "a library script runs on the operator's inventory (labsh --inventory FILE chooses it)"))
            }
            PristineInventory.forget()
            return 0
        }
        // check_command(command): a command line for a remote host; its
        // program must be in requires.commands, and one the shell would read
        // as more than one command needs "sh" there
        state.setFunction("check_command") { call in
            guard let active = Capabilities.active else { return 0 }
            let command = try call.string(1)
            // read as bytes, as the shell reads it (and at a byte's cost, once per host)
            let bytes = command.utf8
            let blank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            let program = String(Substring(bytes.drop(while: blank).prefix(while: { !blank($0) })))
            let shell = bytes.contains { $0 < 128 && shellSyntax[Int($0)] }
            try active.check(call.L, "commands", shell ? "sh" : program, shell ? "run a shell command line (\(Capabilities.printable(command)))" : "run")
            return 0
        }
        // active() -> whether a manifest limits this run
        state.setFunction("active") { call in call.push(Capabilities.active != nil) }
        // allows(kind, target) -> boolean (true with no manifest)
        state.setFunction("allows") { call in
            let kind = try checkKind(try call.string(1), "allows")
            guard let active = Capabilities.active else { return call.push(true) }
            if kind == .mutation { return call.push(active.mayMutate) }
            return call.push(active.refusal(kind, try call.string(2)) == nil)
        }
    }

    /// The bytes that make a command line more than a program and its
    /// arguments to the shell, by value (ASCII).
    static let shellSyntax: [Bool] = (0..<128).map { ";|&$`<>(){}\n\\\"'*?[]~".utf8.contains(UInt8($0)) }

    /// A host record's name (table at `index`), read raw: what the checks
    /// look the host up by in the validated inventory, once per host.
    static func hostName(_ L: OpaquePointer, _ index: Int32) throws -> String {
        let record = lua_absindex(L, index)
        defer { lh_pop(L, 1) }
        guard lua_rawgetfield(L, record, "name") == LUA_TSTRING, let name = LuaState.string(L, -1) else {
            throw LuaRaise.argument(1, "a host record with a name expected")
        }
        return name
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
        var facts: [String: [String]] = Dictionary(minimumCapacity: 4)  // sized once: this runs for every host
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

    /// What the manifest's selectors resolve against: the script's
    /// arguments as the command line gave them, and, when a selector names
    /// the inventory, the inventory as Swift validated it. Neither is a
    /// table the script can change: a changed monitoring.prometheus or `arg`
    /// would otherwise widen a grant that names them.
    static func selectorContext(_ call: LuaCall, _ index: Int32, namesInventory: Bool) -> Capabilities.SelectorContext {
        let L = call.L
        var context = Capabilities.SelectorContext()
        let declaration = lua_absindex(L, index)
        if let arguments = Capabilities.scriptArguments {
            context.arguments = arguments
        } else {  // no script file: -e, the REPL
            if lua_rawgetfield(L, declaration, "arguments") == LUA_TTABLE {
                var i: lua_Integer = 1
                while lua_rawgeti(L, -1, i) == LUA_TSTRING, let text = LuaState.string(L, -1) {
                    context.arguments.append(text)
                    lh_pop(L, 1)
                    i += 1
                }
                lh_pop(L, 1)  // what ended the list
            }
            lh_pop(L, 1)
        }
        // an inventory that cannot be read names nothing: the script says
        // what is wrong with it as it would without a manifest
        guard namesInventory, let inventory = try? PristineInventory.inventory(call) else { return context }
        context.inventory = Capabilities.InventoryPlaces(inventory)
        return context
    }

    /// The kind named `name`, or an error naming `function`.
    @discardableResult
    static func checkKind(_ name: String, _ function: String) throws -> CapabilityKind {
        guard let kind = CapabilityKind(name) else {
            let known = Capabilities.kinds + ["mutation"]
            throw LuaRaise.message("labsh.capabilities.\(function): unknown capability '\(name)'\(Suggestion.didYouMean(name, in: known))")
        }
        return kind
    }

    /// A mistake in a manifest or a grants file as an error object: it
    /// prints as "FILE: labsh.script: what" (the script's file), no traceback.
    static func manifestError<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch LuaRaise.message(let why) {
            throw LuaRaise.object(kind: "manifest", message: "\(file): labsh.script: \(why)")
        }
    }

    /// The string field `key` of the table at `index`, read raw.
    static func rawString(_ L: OpaquePointer, _ index: Int32, _ key: String) -> String? {
        defer { lh_pop(L, 1) }
        return lua_rawgetfield(L, index, key) == LUA_TSTRING ? LuaState.string(L, -1) : nil
    }

    /// The table at `index` (`{ commands = {"restic"}, net = {...},
    /// mutation = true }`, nil for none) as lists by kind and the mutation
    /// flag, read raw (a manifest here, a grants file in its sandbox);
    /// anything else is an error naming `what`.
    static func lists(_ L: OpaquePointer, _ index: Int32, _ what: String) throws -> CapabilityTable {
        let table = lua_absindex(L, index)
        if lua_type(L, table) == LUA_TNIL { return CapabilityTable() }
        guard lua_type(L, table) == LUA_TTABLE, lua_rawlen(L, table) == 0 else {
            throw LuaRaise.message("\(what) must be a table of capability lists, e.g. { commands = { \"restic\" } }")
        }
        var lists = CapabilityLists()
        var mutation = false
        lua_pushnil(L)
        while lua_next(L, table) != 0 {
            defer { lh_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING, let kind = LuaState.string(L, -2) else {
                throw LuaRaise.message("\(what): keys are capability names")
            }
            switch kind {
            case "mutation":
                guard lua_type(L, -1) == LUA_TBOOLEAN else { throw LuaRaise.message("\(what).mutation must be true or false") }
                mutation = lua_toboolean(L, -1) != 0
            case "files":  // files = { read = {...}, write = {...} }
                guard lua_type(L, -1) == LUA_TTABLE, lua_rawlen(L, -1) == 0 else {
                    throw LuaRaise.message("\(what).files must be { read = {...}, write = {...} }")
                }
                lua_pushnil(L)
                while lua_next(L, -2) != 0 {
                    defer { lh_pop(L, 1) }
                    guard lua_type(L, -2) == LUA_TSTRING, let mode = LuaState.string(L, -2), mode == "read" || mode == "write" else {
                        throw LuaRaise.message("\(what).files: 'read' and 'write' only")
                    }
                    lists[mode == "read" ? .filesRead : .filesWrite] = try patterns(L, -1, "\(what).files.\(mode)")
                }
            default:
                guard let known = CapabilityKind(kind) else {
                    let known = Capabilities.kinds.filter { !$0.hasPrefix("files.") } + ["files", "mutation"]
                    throw LuaRaise.message("\(what): unknown capability '\(kind)'\(Suggestion.didYouMean(kind, in: known))")
                }
                lists[known] = try patterns(L, -1, "\(what).\(kind)")
            }
        }
        return CapabilityTable(lists: lists, mutation: mutation)
    }

    /// The list of non-empty strings at `index`.
    /// (`what` is said only in an error: it is not built for a list that is right)
    static func patterns(_ L: OpaquePointer, _ index: Int32, _ what: @autoclosure () -> String) throws -> [String] {
        let list = lua_absindex(L, index)
        func bad() -> LuaRaise { LuaRaise.message("\(what()) must be a list of non-empty strings") }
        guard lua_type(L, list) == LUA_TTABLE else { throw bad() }
        let count = lua_rawlen(L, list)
        var items: [String] = []
        for i in 0..<count {
            defer { lh_pop(L, 1) }
            guard lua_rawgeti(L, list, lua_Integer(i + 1)) == LUA_TSTRING, let text = LuaState.string(L, -1),
                  !text.isEmpty, !text.utf8.contains(0) else { throw bad() }
            items.append(text)
        }
        var entries = 0  // nothing but the list: as many entries as items
        lua_pushnil(L)
        while lua_next(L, list) != 0 {
            lh_pop(L, 1)
            entries += 1
        }
        guard entries == items.count else { throw bad() }
        return items
    }

    /// Lists for the audit log: "commands=restic,true net=HOST:PORT
    /// mutation", kinds in the order of their names; "nothing" for none.
    static func describe(_ lists: CapabilityLists, _ mutation: Bool) -> String {
        var text = ""
        lists.forEach { kind, patterns in
            if !text.isEmpty { text += " " }
            text += kind.name + "="
            // by hand: joined(separator:) is looked up generically at run time
            for i in patterns.indices {
                if i > 0 { text += "," }
                text += patterns[i]
            }
        }
        if mutation { text += text.isEmpty ? "mutation" : " mutation" }
        return text.isEmpty ? "nothing" : text
    }

    static func ownDirectories() -> [String] {
        LabPaths.current.state.map { [$0] } ?? []
    }

    // MARK: A library script starts

    /// Before a library script's first line: it may touch nothing until it
    /// declares, and then only what the operator granted (the grants file
    /// CONFIG/grants/LIBRARY.lua, LIBRARY as library.lua names it, and
    /// --grant) minus what is denied there. The grants are read when it
    /// declares something. `fresh`: no Lua code has run yet (no init, no -e).
    public static func beginLibraryScript(_ state: LuaState, file: String, library: String, options: LabOptions,
                                          fresh: Bool) throws {
        let script = scriptName(file)
        let capabilities = Capabilities(script: script, file: file, isLibraryScript: true, ownDirectories: ownDirectories())
        capabilities.loadGrants = {
            var grants = try self.grants(state, library: library, script: script)
            for grant in Capabilities.commandLineGrants {  // "KIND=PATTERN", checked by the command line
                guard let eq = grant.firstIndex(of: "=") else { continue }
                guard let kind = CapabilityKind(String(grant[..<eq])) else { continue }
                let pattern = String(grant[grant.index(after: eq)...])
                if kind == .mutation { grants.mutation = grants.mutation || pattern == "true"; continue }
                grants.granted[kind].append(pattern)
            }
            if grants.denied.given.contains(.mutation) { grants.mutation = false }
            return grants
        }
        Capabilities.begin(capabilities, state.L, fresh: fresh)
    }

    /// A library script's name: its file's name without ".lua" (the last
    /// component, read by byte as the kernel reads paths).
    static func scriptName(_ file: String) -> String {
        let slash = UInt8(ascii: "/")
        let path = file.utf8
        guard let end = path.lastIndex(where: { $0 != slash }) else { return "script" }  // "" or only "/"
        let start = path[...end].lastIndex(of: slash).map(path.index(after:)) ?? path.startIndex
        var name = String(Substring(path[start...end]))
        if name.hasSuffix(".lua") { name.removeLast(4) }
        return name
    }

    /// The grants of the library in `dir` (named by its library.lua) for
    /// `script`, from CONFIG/grants/NAME.lua: `return { ["SCRIPT"] = {...},
    /// ["*"] = {...}, deny = {...} }`. No file: nothing granted.
    static func grants(_ state: LuaState, library dir: String, script: String) throws -> Capabilities.Grants {
        let name = try readData(dir + "/library.lua") { S, top in
            guard let name = rawString(S, top, "name"), !name.isEmpty, !name.contains("/"), name != ".." else {
                throw LuaRaise.message("\(dir)/library.lua: 'name' must be the library's name (no '/')")
            }
            return name
        }
        var grants = Capabilities.Grants(library: name, granted: CapabilityLists(), mutation: false, denied: CapabilityLists())
        guard let config = LabPaths.current.config else { return grants }
        let file = config + "/grants/" + name + ".lua"
        guard access(file, F_OK) == 0 else { return grants }
        return try readData(file) { S, top in
            func section(_ key: String) throws -> CapabilityTable {
                lua_rawgetfield(S, top, key)
                defer { lh_pop(S, 1) }
                return try lists(S, -1, "\(file): [\"\(key)\"]")
            }
            let mine = try section(script), every = try section("*"), denied = try section("deny")
            grants.granted = mine.lists
            grants.granted.append(every.lists)
            grants.mutation = mine.mutation || every.mutation
            grants.denied = denied.lists
            if denied.mutation { grants.denied[.mutation] = ["*"] }
            return grants
        }
    }

    /// Reads the table a data file returns, evaluated in a sandbox (as
    /// inventories are): `read` gets the sandbox's state and the table's
    /// index there, and reads plain data from it raw.
    static func readData<T>(_ file: String, _ read: (OpaquePointer, Int32) throws -> T) throws -> T {
        let text = try LibraryTrust.readFollowing(file, limit: 1 << 20)
        guard let sandbox = text.withUnsafeBufferPointer({ raw in
            raw.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: raw.count) { lh_sandbox_open($0, raw.count, file, 1, 16 << 20) }
            } ?? lh_sandbox_open("", 0, file, 1, 16 << 20)
        }) else { throw LuaRaise.message("\(file): no memory to read it") }
        defer { lh_sandbox_close(sandbox) }
        var reason: UnsafePointer<CChar>?
        if let failure = lh_sandbox_failure(sandbox, &reason) { throw LuaRaise.message(String(cString: failure)) }
        let S = lh_sandbox_state(sandbox)!, top = lh_sandbox_result(sandbox)
        guard lua_type(S, top) == LUA_TTABLE else { throw LuaRaise.message("\(file): must return a table") }
        return try read(S, top)
    }
}
