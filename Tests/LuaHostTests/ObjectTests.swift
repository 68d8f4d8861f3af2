import CLua
import LuaHost
import Testing

final class Probe: LuaObject {
    static let luaTypeName = "test.Probe"
    nonisolated(unsafe) static var alive = 0
    nonisolated(unsafe) static var closed = 0
    let name: String
    init(_ name: String) { self.name = name; Probe.alive += 1 }
    deinit { Probe.alive -= 1 }
}

@Suite(.serialized) struct ObjectTests {
    func register(_ lua: LuaState) {
        lua.register(Probe.self) { t in
            t.method("greet") { p, call in call.push("hello " + p.name + " " + (try call.string(2))) }
            t.field("name") { $0.name }
            t.tostring { "probe " + $0.name }
            t.close { _ in Probe.closed += 1 }
        }
        define(lua, "probe") { call in
            call.state.push(object: Probe(try call.string(1)))
            return 1
        }
    }

    @Test func methodsFieldsAndTostring() throws {
        try withLua { (lua: LuaState) throws in
            register(lua)
            let r = try lua.run("""
                local p = probe('pve1')
                return p:greet('ops'), p.name, tostring(p), p.nothing, type(p)
            """)
            #expect(r == [.str("hello pve1 ops"), .str("pve1"), .str("probe pve1"), .nil, .str("userdata")])
            let methods = try lua.run("return type(rawget(getmetatable(probe('m')).__methods, 'greet'))")
            #expect(methods == [.str("function")], "methods are listed for completion")
            let bad = try lua.run("local p = probe('x') return select(2, pcall(function() return p.greet(42, 'a') end))")
            #expect(bad.first?.stringValue == "(swift):1: bad argument #1 to 'greet' (test.Probe expected, got number)")
            let badSelf = try lua.run("local p = probe('x') local t = {greet = p.greet} return select(2, pcall(function() return t:greet('a') end))")
            #expect(badSelf.first?.stringValue == "(swift):1: calling 'greet' on bad self (test.Probe expected, got table)")
        }
    }

    @Test func gcReleasesSwiftObjects() throws {
        let before = Probe.alive
        try withLua { (lua: LuaState) throws in
            register(lua)
            try lua.run("for i = 1, 100 do local p = probe('p' .. i) end")
            #expect(Probe.alive >= before)
            try lua.run("collectgarbage() collectgarbage()")
            #expect(Probe.alive == before, "every Probe deinit ran after collection")
            try lua.run("keep = probe('kept')")
            try lua.run("collectgarbage()")
            #expect(Probe.alive == before + 1)
        }
        #expect(Probe.alive == before, "closing the state releases the rest")
    }

    @Test func swiftClosuresAreReleasedToo() throws {
        final class Token { nonisolated(unsafe) static var alive = 0; init() { Token.alive += 1 }; deinit { Token.alive -= 1 } }
        try withLua { (lua: LuaState) throws in
            do {
                let token = Token()
                define(lua, "f") { _ in _ = token; return 0 }
            }
            #expect(Token.alive == 1)
            try lua.run("f = nil collectgarbage() collectgarbage()")
            #expect(Token.alive == 0)
        }
    }

    @Test func closeReleasesAtScopeEnd() throws {
        let before = Probe.alive
        Probe.closed = 0
        try withLua { (lua: LuaState) throws in
            register(lua)
            let r = try lua.run("""
                do
                    local p <close> = probe('scoped')
                end
                local p = probe('q')
                local f = getmetatable(p).__close
                f(p) f(p)  -- twice is harmless
                return pcall(p.greet, p, 'x')
            """)
            #expect(Probe.closed == 2)
            #expect(r.first == .boolean(false))
            #expect(r.last?.stringValue?.contains("test.Probe is closed") == true)
            try lua.run("collectgarbage() collectgarbage()")
            #expect(Probe.alive == before)
        }
    }
}
