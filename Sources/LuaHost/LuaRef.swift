import CLua
import CLuaShim

/// A Lua value held in the registry on behalf of Swift. The reference is
/// released when this object dies (or with the state).
public final class LuaRef: Hashable, LuaPushable {
    public let state: LuaState
    let ref: Int32

    /// Pops the top of `L`'s stack into a new reference.
    public init(state: LuaState, L: OpaquePointer) {
        self.state = state
        self.ref = luaL_ref(L, LH_REGISTRYINDEX)
    }

    deinit {
        if !state.isClosed { luaL_unref(state.L, LH_REGISTRYINDEX, ref) }
    }

    public func push(_ L: OpaquePointer) {
        lua_rawgeti(L, LH_REGISTRYINDEX, lua_Integer(ref))
    }

    public var type: Int32 {
        push(state.L)
        defer { lh_pop(state.L, 1) }
        return lua_type(state.L, -1)
    }

    public static func == (a: LuaRef, b: LuaRef) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}
