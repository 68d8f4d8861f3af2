import CLua
import LuaHost
import Testing

@Suite struct ValueTests {
    @Test func scalarsRoundTrip() throws {
        try withLua { (lua: LuaState) throws in
            let values: [LuaValue] = [.nil, .boolean(true), .boolean(false),
                                      .integer(Int64.max), .integer(Int64.min), .integer(0),
                                      .number(0.5), .number(-1e300), .str("héllo")]
            for v in values {
                let back = try lua.call(lua.load("return ..."), [v])
                #expect(back == [v])
            }
            // integers stay integers, floats stay floats
            #expect(try lua.call(lua.load("return math.type(...)"), [Int64.max]).first?.stringValue == "integer")
            #expect(try lua.call(lua.load("return math.type(...)"), [1.0]).first?.stringValue == "float")
        }
    }

    @Test func stringsAreBytes() throws {
        try withLua { (lua: LuaState) throws in
            let bytes: [UInt8] = [0x61, 0x00, 0x62, 0xff, 0xfe]  // NUL and invalid UTF-8
            let back = try lua.call(lua.load("local s = ...; return s, #s"), [LuaBytes(bytes)])
            #expect(back[0] == .string(LuaBytes(bytes)))
            #expect(back[1] == .integer(5))
            if case .string(let s) = back[0] {
                #expect(s.utf8 == nil, "invalid UTF-8 is not decoded silently")
            }
            #expect(LuaBytes("ok").utf8 == "ok")
        }
    }

    @Test func nestedTables() throws {
        try withLua { (lua: LuaState) throws in
            let results = try lua.run("return {1, 2, {x = 'y'}, name = 'pve1', tags = {'a', 'b'}, [2.5] = true}")
            guard case .table(let t)? = results.first else { Issue.record("not a table"); return }
            #expect(t.array.count == 3)
            #expect(t.array[0] == .integer(1))
            #expect(t["name"] == .str("pve1"))
            #expect(t.fields[.number(2.5)] == .boolean(true))
            guard case .table(let inner) = t.array[2] else { Issue.record("no inner table"); return }
            #expect(inner["x"] == .str("y"))
            // and back: Lua sees the same structure
            let check = try lua.call(lua.load("""
                local t = ...
                return t[3].x .. t.name .. #t .. t.tags[2] .. tostring(t[2.5])
            """), [LuaValue.table(t)])
            #expect(check.first?.stringValue == "ypve13btrue")
        }
    }

    @Test func cyclicTableIsAnError() throws {
        try withLua { (lua: LuaState) throws in
            #expect(throws: (any Error).self) { try lua.run("local t = {} t.self = t return t") }
        }
    }

    @Test func swiftCollectionsPush() throws {
        try withLua { (lua: LuaState) throws in
            let r = try lua.call(lua.load("local a, d = ... return #a .. a[3] .. d.k"), [[10, 20, 30], ["k": "v"]])
            #expect(r.first?.stringValue == "330v")
        }
    }

    @Test func referencesKeepFunctionsAlive() throws {
        try withLua { (lua: LuaState) throws in
            let f = try lua.run("local n = 0 return function() n = n + 1 return n end")
            guard case .reference(let ref)? = f.first else { Issue.record("no reference"); return }
            _ = try lua.call(ref)
            try lua.run("collectgarbage()")
            #expect(try lua.call(ref).first == .integer(2))
        }
    }
}
