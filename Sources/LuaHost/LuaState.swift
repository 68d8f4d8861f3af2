import CLua
import CLuaShim

/// One Lua state, owned by Swift. Every call into Lua from here is protected
/// (see DESIGN.md, "one rule for errors"): Swift never sees a longjmp.
public final class LuaState {
    public let L: OpaquePointer
    public private(set) var isClosed = false

    public init() throws {
        LuaState.installCallbacks
        guard let L = lh_newstate() else { throw LuaError(kind: .memory, message: "cannot create Lua state: not enough memory") }
        self.L = L
        lh_extraspace(L).pointee = Unmanaged.passUnretained(self).toOpaque()
        try installErrorType()
    }

    deinit { close() }

    /// Closes the state: pending finalizers (`__gc`) run now.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        lh_close(L)
    }

    /// close() for a process about to exit: finalizers run, but the memory
    /// is left for the exit to take back at once.
    public func closeBeforeExit() {
        guard !isClosed else { return }
        isClosed = true
        lh_close_at_exit(L)
    }

    /// The Swift state of `L` (a coroutine of it included).
    public static func of(_ L: OpaquePointer) -> LuaState {
        Unmanaged<LuaState>.fromOpaque(lh_extraspace(L).pointee!).takeUnretainedValue()
    }

    public func openLibraries() throws {
        try check(lh_openlibs(L))
    }

    /// Bytes the allocator has handed out and not taken back.
    public var memoryUsed: Int { lh_memory_used(L) }
    /// 0 is unlimited. Past it Lua code gets "not enough memory".
    public var memoryLimit: Int = 0 {
        didSet { lh_set_memory_limit(L, memoryLimit) }
    }

    public var top: Int32 {
        get { lua_gettop(L) }
        set { lua_settop(L, newValue) }
    }

    // ---- Globals (raw: the host's own table access never runs metamethods) --

    public func setGlobal(_ name: String, _ value: LuaPushable) {
        lh_pushglobaltable(L)
        name.push(L)
        value.push(L)
        lua_rawset(L, -3)
        lh_pop(L, 1)
    }

    /// Pushes the global `name` (raw lookup).
    public func pushGlobal(_ name: String) {
        lh_pushglobaltable(L)
        lua_rawgetfield(L, -1, name)
        lh_remove(L, -2)
    }

    public func global(_ name: String) throws -> LuaValue {
        pushGlobal(name)
        defer { lh_pop(L, 1) }
        return try LuaState.value(L, -1, state: self)
    }

    // ---- Loading and calling ---------------------------------------------

    /// Compiles a chunk (text or binary per `mode`) into a function.
    public func load(_ code: [UInt8], chunkname: String, mode: String = "bt") throws -> LuaRef {
        let status = code.withUnsafeBytes { raw in
            lh_loadbuffer(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, chunkname, mode)
        }
        try check(status)
        return LuaRef(state: self, L: L)
    }

    public func load(_ code: String, chunkname: String = "=(swift)") throws -> LuaRef {
        try load(Array(code.utf8), chunkname: chunkname)
    }

    /// Calls `function` with `args` and returns all its results.
    @discardableResult
    public func call(_ function: LuaPushable, _ args: [LuaPushable] = []) throws -> [LuaValue] {
        try call(on: L, function, args)
    }

    /// The same on thread `L1` of this state: a Swift function called from a
    /// coroutine calls back into Lua on that coroutine (`call.L`).
    @discardableResult
    public func call(on L1: OpaquePointer, _ function: LuaPushable, _ args: [LuaPushable] = []) throws -> [LuaValue] {
        let base = try protectedCall(L1, function, args, results: LH_MULTRET)
        defer { lua_settop(L1, base) }
        var results: [LuaValue] = []
        let top = lua_gettop(L1)
        if top >= base + 2 {
            for i in (base + 2)...top { results.append(try LuaState.value(L1, i, state: self)) }
        }
        return results
    }

    /// Calls `function` and keeps its first result by reference (a table
    /// stays the same table, metatable and all).
    public func callRef(_ function: LuaPushable, _ args: [LuaPushable] = []) throws -> LuaRef {
        try callRef(on: L, function, args)
    }

    public func callRef(on L1: OpaquePointer, _ function: LuaPushable, _ args: [LuaPushable] = []) throws -> LuaRef {
        let base = try protectedCall(L1, function, args, results: 1)
        defer { lua_settop(L1, base) }
        return LuaRef(state: self, L: L1)
    }

    /// Pushes the capture handler, the function and the arguments, calls;
    /// returns the stack base (results start at base + 2).
    private func protectedCall(_ L1: OpaquePointer, _ function: LuaPushable, _ args: [LuaPushable],
                               results: Int32) throws -> Int32 {
        let base = lua_gettop(L1)
        guard lua_checkstack(L1, Int32(args.count) + 2) != 0 else {
            throw LuaError(kind: .runtime, message: "stack overflow (too many arguments)")
        }
        lh_pushcfunction(L1, lh_errcapture)
        function.push(L1)
        for a in args { a.push(L1) }
        let status = lh_pcall(L1, Int32(args.count), results, base + 1)
        if status != LUA_OK {
            let error = popError(L1, status: status)
            lua_settop(L1, base)
            throw error
        }
        return base
    }

    /// Runs a chunk of Lua source and returns its results.
    @discardableResult
    public func run(_ code: String, chunkname: String = "=(swift)") throws -> [LuaValue] {
        try call(load(code, chunkname: chunkname))
    }

    /// Turns a non-OK status into a thrown LuaError (popping the error value).
    public func check(_ status: Int32) throws {
        guard status != LUA_OK else { return }
        throw popError(L, status: status)
    }

    /// Pops the error value on top of `L1`'s stack into a LuaError.
    public func popError(_ L1: OpaquePointer, status: Int32) -> LuaError {
        let message = errorText(L1, at: -1)
        lh_last_traceback(L1)
        let traceback = LuaState.string(L1, -1)
        lh_pop(L1, 1)
        lh_forget_traceback(L1)  // the next error brings its own
        let value = LuaRef(state: self, L: L1)
        return LuaError(kind: LuaError.kind(ofStatus: status), message: message,
                        traceback: traceback, value: value)
    }

    /// An error value as text, the way the standalone interpreter shows it.
    public func errorText(at idx: Int32) -> String { errorText(L, at: idx) }

    public func errorText(_ L: OpaquePointer, at idx: Int32) -> String {
        let t = lua_type(L, idx)
        if t == LUA_TSTRING || t == LUA_TNUMBER { return LuaState.string(L, idx) ?? "" }
        let abs = lua_absindex(L, idx)
        if lua_getmetatable(L, abs) != 0 {
            "__tostring".push(L)
            let has = lua_rawget(L, -2) != LUA_TNIL
            lh_pop(L, 2)
            if has {
                let status = lh_tolstring(L, abs)
                defer { lh_pop(L, 1) }
                if status == LUA_OK, let s = LuaState.string(L, -1) { return s }
            }
        }
        return "(error object is a \(String(cString: lh_typename(L, abs))) value)"
    }

    // ---- Error objects ---------------------------------------------------

    static let errorTypeName = "lab.Error"

    private func installErrorType() throws {
        let L = self.L
        lua_createtable(L, 0, 2)
        LuaState.errorTypeName.push(L)
        lua_rawsetfield(L, -2, "__name")
        pushFunction { call in
            // tostring(err): the message, which names what failed and where
            lua_rawgetfield(call.L, 1, "message")
            return 1
        }
        lua_rawsetfield(L, -2, "__tostring")
        LuaState.errorTypeName.push(L)
        lh_insert(L, -2)
        lua_rawset(L, LH_REGISTRYINDEX)
    }

    /// Pushes an error object: `{kind=, message=, ...fields}` with `lab.Error`.
    public static func pushErrorObject(_ L: OpaquePointer, kind: String, message: String, fields: [String: LuaValue]) {
        lua_createtable(L, 0, Int32(fields.count + 2))
        for (k, v) in fields {
            k.push(L); v.push(L); lua_rawset(L, -3)
        }
        "kind".push(L); kind.push(L); lua_rawset(L, -3)
        "message".push(L); message.push(L); lua_rawset(L, -3)
        _ = lh_getmetatable_named(L, errorTypeName)
        lua_setmetatable(L, -2)
    }
}

/// Pops a value into field `key` of the table at `idx`, raw.
public func lua_rawsetfield(_ L: OpaquePointer, _ idx: Int32, _ key: String) {
    let abs = lua_absindex(L, idx)
    key.push(L)
    lh_insert(L, -2)
    lua_rawset(L, abs)
}

/// Raw field read of the table at `idx` (the host's tables have no
/// metamethods). A table frozen under a manifest (freeze.c) keeps its
/// fields in the hidden table behind its __index: read there, still raw.
@discardableResult
public func lua_rawgetfield(_ L: OpaquePointer, _ idx: Int32, _ key: String) -> Int32 {
    let abs = lua_absindex(L, idx)
    key.push(L)
    let type = lua_rawget(L, abs)
    guard type == LUA_TNIL, lh_is_frozen(L, abs) != 0, lua_getmetatable(L, abs) != 0 else { return type }
    lh_pop(L, 2)  // nil, and the metatable pushed again below
    _ = lua_getmetatable(L, abs)
    "__index".push(L)
    _ = lua_rawget(L, -2)
    key.push(L)
    let hidden = lua_rawget(L, -2)
    lh_remove(L, -2)
    lh_remove(L, -2)
    return hidden
}

extension LuaState {
    /// Pops the top of the stack into global `name` (raw).
    public func setGlobalFromStack(_ name: String) {
        lh_pushglobaltable(L)
        name.push(L)
        lua_rotate(L, -3, -1)
        lua_rawset(L, -3)
        lh_pop(L, 1)
    }
}

extension LuaState {
    /// `t[key]` with metamethods, protected: an error in `__index` throws.
    public func index(_ table: LuaPushable, _ key: LuaPushable) throws -> LuaValue {
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        table.push(L)
        key.push(L)
        try check(lh_gettable(L, -2))
        return try LuaState.value(L, -1, state: self)
    }

    /// `t[key] = value` with metamethods, protected.
    public func setIndex(_ table: LuaPushable, _ key: LuaPushable, _ value: LuaPushable) throws {
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        table.push(L)
        key.push(L)
        value.push(L)
        try check(lh_settable(L, -3))
    }

    /// `tostring(v)`, protected: `__tostring` may raise.
    public func tostring(_ value: LuaPushable) throws -> String {
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        value.push(L)
        try check(lh_tolstring(L, -1))
        return LuaState.string(L, -1) ?? ""
    }
}
