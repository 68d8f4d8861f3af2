import CLua
import CLuaShim

/// A Swift class whose instances Lua holds as userdata with the metatable
/// `luaTypeName` (e.g. "lab.Node"). `__gc` releases the Swift object.
public protocol LuaObject: AnyObject {
    static var luaTypeName: String { get }
}

/// How a LuaObject type looks from Lua: methods, fields, `__tostring`, `__close`.
public final class LuaType<T: LuaObject> {
    public typealias Method = (T, LuaCall) throws -> Int32
    var methods: [(String, Method)] = []
    var fields: [String: (T) -> LuaPushable] = [:]
    var tostring: ((T) -> String)?
    var closer: ((T) -> Void)?

    public func method(_ name: String, _ fn: @escaping Method) { methods.append((name, fn)) }
    public func field(_ name: String, _ get: @escaping (T) -> LuaPushable) { fields[name] = get }
    public func tostring(_ fn: @escaping (T) -> String) { tostring = fn }
    /// Called by `__close` (for `local x <close> = ...`); the object is released then.
    public func close(_ fn: @escaping (T) -> Void) { closer = fn }
}

extension LuaState {
    /// Registers the metatable of `T`. Call once per state before pushing objects.
    public func register<T: LuaObject>(_ type: T.Type, _ build: (LuaType<T>) -> Void) {
        let spec = LuaType<T>()
        build(spec)
        let L = self.L
        lh_newtype(L, T.luaTypeName)
        let mt = lua_gettop(L)

        lua_createtable(L, 0, Int32(spec.methods.count))
        for (name, fn) in spec.methods {
            setFunction(name) { call in try fn(call.object(1, T.self), call) }
        }
        lua_pushvalue(L, -1)
        lua_rawsetfield(L, mt, "__methods")  // what completion lists after `obj:`
        if spec.fields.isEmpty {
            lua_rawsetfield(L, mt, "__index")
        } else {
            let fields = spec.fields
            pushFunction { call in
                let obj = try call.object(1, T.self)
                guard let key = LuaState.string(call.L, 2), let get = fields[key] else { return 0 }
                get(obj).push(call.L)
                return 1
            }
            lh_pushindexer(L, -2, -1)
            lua_rawsetfield(L, mt, "__index")
            lh_pop(L, 2)
        }
        if let tostring = spec.tostring {
            pushFunction { call in call.push(tostring(try call.object(1, T.self))) }
            lua_rawsetfield(L, mt, "__tostring")
        }
        if let closer = spec.closer {
            pushFunction { call in
                guard let box = lh_tobox(call.L, 1) else { return 0 }  // closed already
                let obj = Unmanaged<T>.fromOpaque(box)
                closer(obj.takeUnretainedValue())
                lh_clearbox(call.L, 1)
                obj.release()
                return 0
            }
            lua_rawsetfield(L, mt, "__close")
        }
        lh_pop(L, 1)
    }

    /// Pushes `object` as userdata of its registered type.
    public func push<T: LuaObject>(object: T) {
        LuaState.push(L, object: object)
    }

    public static func push<T: LuaObject>(_ L: OpaquePointer, object: T) {
        let box = Unmanaged.passRetained(object).toOpaque()
        if lh_pushobject(L, box, T.luaTypeName) == 0 {
            Unmanaged<T>.fromOpaque(box).release()
            preconditionFailure("\(T.luaTypeName) is not registered with this state")
        }
    }
}
