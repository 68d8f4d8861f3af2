import CLua
import CLuaShim

/// Writes a Lua table onto the stack field by field: no Swift dictionary in
/// between (an inventory can hold tens of thousands of records). Inlinable:
/// the bindings specialise `field` for each type they write.
public struct TableWriter {
    public let L: OpaquePointer

    @inlinable public init(L: OpaquePointer) { self.L = L }

    /// Pushes a new table and fills it.
    @inlinable public func record(_ fill: () -> Void) {
        lua_createtable(L, 0, 8)
        fill()
    }

    /// Sets `key` in the table on top; nil values are left out.
    @inlinable public func field<T: LuaPushable>(_ key: String, _ value: T?) {
        guard let value else { return }
        value.push(L)
        lua_rawsetfield(L, -2, key)
    }

    @inlinable public func table(_ key: String, _ fill: () -> Void) {
        record(fill)
        lua_rawsetfield(L, -2, key)
    }

    /// Pushes a new list; `pushItem` pushes one element.
    @inlinable public func array<T>(_ items: [T], _ pushItem: (T) -> Void) {
        lua_createtable(L, Int32(items.count), 0)
        for (i, item) in items.enumerated() {
            pushItem(item)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }

    /// Sets `key` to a list; `pushItem` pushes one element.
    @inlinable public func list<T>(_ key: String, _ items: [T], _ pushItem: (T) -> Void) {
        array(items, pushItem)
        lua_rawsetfield(L, -2, key)
    }
}
