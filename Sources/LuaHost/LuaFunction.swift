import CLua
import CLuaShim

/// A Swift function callable from Lua: reads its arguments from the call,
/// pushes its results and returns how many. It throws to raise a Lua error.
public typealias LuaFunction = (LuaCall) throws -> Int32

final class FunctionBox {
    let fn: LuaFunction
    init(_ fn: @escaping LuaFunction) { self.fn = fn }
}

/// What a LuaFunction returns to yield instead of returning: the top `n`
/// values go to `coroutine.resume`, and the resume arguments become the
/// results of the call.
public func luaYield(_ n: Int32) -> Int32 { Int32(LH_YIELD_BASE) - n }

extension LuaState {
    /// Installed once per process: how the C trampoline reaches Swift.
    static let installCallbacks: Void = {
        lh_set_callbacks({ L, box in
            // Lua's upvalue keeps the box alive for the call: no retain needed.
            Unmanaged<FunctionBox>.fromOpaque(box!)._withUnsafeGuaranteedRef { f in
                do {
                    return try f.fn(LuaCall(L: L!))
                } catch {
                    return LuaState.prepareRaise(L!, error)
                }
            }
        }, { box in
            Unmanaged<AnyObject>.fromOpaque(box!).release()
        })
    }()

    /// Pushes what the trampoline will raise for `error`; returns its code.
    static func prepareRaise(_ L: OpaquePointer, _ error: Error) -> Int32 {
        switch error {
        case LuaRaise.message(let msg):
            msg.push(L)
            return Int32(LH_RAISE_WHERE)
        case LuaRaise.argument(let n, let msg):
            msg.push(L)
            lua_pushinteger(L, lua_Integer(n))
            return Int32(LH_RAISE_ARG)
        case LuaRaise.object(let kind, let message, let fields):
            pushErrorObject(L, kind: kind, message: message, fields: fields)
            return Int32(LH_RAISE)
        case LuaRaise.value(let v):
            v.push(L)
            return Int32(LH_RAISE)
        case let e as LuaError:
            if let v = e.value { v.push(L) } else { e.message.push(L) }
            return Int32(LH_RAISE)
        default:
            String(describing: error).push(L)
            return Int32(LH_RAISE_WHERE)
        }
    }

    /// Pushes a Swift function as a Lua function.
    public func pushFunction(_ fn: @escaping LuaFunction) {
        LuaState.pushFunction(L, fn)
    }

    public static func pushFunction(_ L: OpaquePointer, _ fn: @escaping LuaFunction) {
        let box = Unmanaged.passRetained(FunctionBox(fn)).toOpaque()
        lh_pushfunction(L, box)
    }

    /// Sets field `name` of the table on top of the stack to a Swift function:
    /// how a module table is filled.
    public func setFunction(_ name: String, _ fn: @escaping LuaFunction) {
        pushFunction(fn)
        lua_rawsetfield(L, -2, name)
    }

    /// A Swift function as a Lua value, e.g. to store in a table.
    public func function(_ fn: @escaping LuaFunction) -> LuaRef {
        pushFunction(fn)
        return LuaRef(state: self, L: L)
    }
}

/// The arguments of one call from Lua into Swift, with checks that fail in
/// Lua's own words ("bad argument #2 to 'node' (string expected, got nil)").
public struct LuaCall {
    public let L: OpaquePointer

    public init(L: OpaquePointer) { self.L = L }

    public var state: LuaState { LuaState.of(L) }
    /// Number of arguments.
    public var count: Int32 { lua_gettop(L) }
    public func type(_ i: Int32) -> Int32 { lua_type(L, i) }
    public func isNoneOrNil(_ i: Int32) -> Bool { lua_type(L, i) <= LUA_TNIL }

    /// The type name Lua's messages use: `__name` if the metatable has one.
    public func typeName(_ i: Int32) -> String {
        if lua_getmetatable(L, i) != 0 {
            defer { lh_pop(L, 2) }
            if lua_rawgetfield(L, -1, "__name") == LUA_TSTRING, let name = LuaState.string(L, -1) {
                return name
            }
        } else if lua_type(L, i) == LUA_TLIGHTUSERDATA {
            return "light userdata"
        }
        return String(cString: lh_typename(L, i))
    }

    public func typeError(_ i: Int32, _ expected: String) -> LuaRaise {
        .argument(i, "\(expected) expected, got \(typeName(i))")
    }

    public func string(_ i: Int32) throws -> String {
        guard let s = LuaState.string(L, i) else { throw typeError(i, "string") }
        return s
    }

    public func optString(_ i: Int32) throws -> String? {
        isNoneOrNil(i) ? nil : try string(i)
    }

    public func bytes(_ i: Int32) throws -> [UInt8] {
        guard let b = LuaState.bytes(L, i) else { throw typeError(i, "string") }
        return b
    }

    public func integer(_ i: Int32) throws -> Int64 {
        var ok: Int32 = 0
        let v = lh_tointeger(L, i, &ok)
        if ok != 0 { return v }
        if lua_isnumber(L, i) != 0 { throw LuaRaise.argument(i, "number has no integer representation") }
        throw typeError(i, "number")
    }

    public func optInteger(_ i: Int32) throws -> Int64? {
        isNoneOrNil(i) ? nil : try integer(i)
    }

    public func number(_ i: Int32) throws -> Double {
        var ok: Int32 = 0
        let v = lh_tonumber(L, i, &ok)
        guard ok != 0 else { throw typeError(i, "number") }
        return v
    }

    public func boolean(_ i: Int32) -> Bool { lua_toboolean(L, i) != 0 }

    /// Any value, copied (tables deeply).
    public func value(_ i: Int32) throws -> LuaValue {
        try LuaState.value(L, i, state: state)
    }

    public func table(_ i: Int32) throws -> LuaTable {
        guard lua_type(L, i) == LUA_TTABLE else { throw typeError(i, "table") }
        guard case .table(let t) = try value(i) else { throw typeError(i, "table") }
        return t
    }

    /// The Swift object in the userdata at `i`.
    public func object<T: LuaObject>(_ i: Int32, _ type: T.Type) throws -> T {
        guard let box = lh_toobject(L, i, T.luaTypeName) else {
            if lh_tobox(L, i) == nil, lua_type(L, i) == LUA_TUSERDATA, typeName(i) == T.luaTypeName {
                throw LuaRaise.argument(i, "\(T.luaTypeName) is closed")
            }
            throw typeError(i, T.luaTypeName)
        }
        return Unmanaged<T>.fromOpaque(box).takeUnretainedValue()
    }

    /// Calls a Lua function from Swift, on this call's thread.
    @discardableResult
    public func call(_ function: LuaPushable, _ args: [LuaPushable] = []) throws -> [LuaValue] {
        try state.call(on: L, function, args)
    }

    /// Pushes one result; returns 1, for `return call.push(x)`. Generic, not
    /// variadic: the hot path has no array and no boxing.
    @inlinable @discardableResult
    public func push<T: LuaPushable>(_ value: T) -> Int32 {
        value.push(L)
        return 1
    }

    /// Pushes two results; returns 2.
    @inlinable @discardableResult
    public func push<A: LuaPushable, B: LuaPushable>(_ a: A, _ b: B) -> Int32 {
        a.push(L)
        b.push(L)
        return 2
    }

    /// Pushes any number of results; returns how many.
    @discardableResult
    public func push(all values: [LuaPushable]) -> Int32 {
        for v in values { v.push(L) }
        return Int32(values.count)
    }
}
