import CLua
import CLuaShim
import LuaHost
import Testing

@Suite struct FunctionTests {
    @Test func swiftFunctionGetsArgumentsAndReturnsResults() throws {
        try withLua { (lua: LuaState) throws in
            define(lua, "add") { call in call.push(try call.integer(1) + call.integer(2)) }
            #expect(try lua.run("return add(40, 2)") == [.integer(42)])
            define(lua, "two") { call in call.push("a", 1.5) }
            #expect(try lua.run("return two()") == [.str("a"), .number(1.5)])
        }
    }

    @Test func argumentErrorsUseLuasWording() throws {
        try withLua { (lua: LuaState) throws in
            define(lua, "node") { call in
                _ = try call.string(1)
                _ = try call.string(2)
                return 0
            }
            let r = try lua.run("return select(2, pcall(node, 'a'))")
            #expect(r.first?.stringValue == "bad argument #2 to 'node' (string expected, got no value)")
            let r2 = try lua.run("return select(2, pcall(node, 'a', nil))")
            #expect(r2.first?.stringValue == "bad argument #2 to 'node' (string expected, got nil)")
            define(lua, "int") { call in call.push(try call.integer(1)) }
            let r3 = try lua.run("return select(2, pcall(int, 1.5))")
            #expect(r3.first?.stringValue == "bad argument #1 to 'int' (number has no integer representation)")
            // in Lua code, with a position: the message names where it was called
            let r4 = try lua.run("local ok, e = pcall(function() node(1) end) return e")
            #expect(r4.first?.stringValue == "(swift):1: bad argument #2 to 'node' (string expected, got no value)")
        }
    }

    @Test func messagesGetThePositionPrefix() throws {
        try withLua { (lua: LuaState) throws in
            define(lua, "fail") { _ in throw LuaRaise.message("disk full") }
            let r = try lua.run("local ok, e = pcall(function()\n fail()\n end) return e")
            #expect(r.first?.stringValue == "(swift):2: disk full")
        }
    }

    @Test func errorObjectsAreTablesWithKindAndMessage() throws {
        try withLua { (lua: LuaState) throws in
            define(lua, "fetch") { _ in
                throw LuaRaise.object(kind: "http", message: "GET http://127.0.0.1:9/ refused",
                                      fields: ["url": .str("http://127.0.0.1:9/"), "status": .integer(0)])
            }
            let r = try lua.run("""
                local ok, e = pcall(fetch)
                return type(e), e.kind, e.url, e.status, tostring(e)
            """)
            #expect(r == [.str("table"), .str("http"), .str("http://127.0.0.1:9/"), .integer(0),
                          .str("GET http://127.0.0.1:9/ refused")])
        }
    }

    @Test func errorsInNestedPcall() throws {
        try withLua { (lua: LuaState) throws in
            var calls = 0
            define(lua, "boom") { call in
                calls += 1
                throw LuaRaise.message("boom \(try call.integer(1))")
            }
            let r = try lua.run("""
                local log = {}
                local ok1, e1 = pcall(function()
                    local ok2, e2 = pcall(boom, 2)
                    log[#log + 1] = e2
                    boom(1)
                end)
                log[#log + 1] = e1
                return table.concat(log, '|'), ok1
            """)
            #expect(r[0].stringValue == "boom 2|(swift):5: boom 1")
            #expect(r[1] == .boolean(false))
            #expect(calls == 2)
        }
    }

    @Test func luaErrorsReachSwiftWithTraceback() throws {
        try withLua { (lua: LuaState) throws in
            do {
                try lua.run("local function inner() error('deep') end\ninner()", chunkname: "@job.lua")
                Issue.record("no error")
            } catch let e as LuaError {
                #expect(e.message == "job.lua:1: deep")
                #expect(e.traceback?.contains("in local 'inner'") == true || e.traceback?.contains("inner") == true)
                #expect(e.kind == .runtime)
            }
            do {
                _ = try lua.load("x = = 1", chunkname: "=cfg")
                Issue.record("no syntax error")
            } catch let e as LuaError {
                #expect(e.kind == .syntax)
                #expect(e.message.hasPrefix("cfg:1:"))
            }
        }
    }

    @Test func nonStringErrorValuesSurviveTheRoundTrip() throws {
        try withLua { (lua: LuaState) throws in
            // Lua -> Swift -> Lua: the same table arrives, not a copy or a string
            define(lua, "relay") { call in
                call.state.pushGlobal("thrower")
                let f = LuaRef(state: call.state, L: call.L)
                _ = try call.state.call(f)
                return 0
            }
            let r = try lua.run("""
                local obj = {kind = 'policy', code = 7}
                function thrower() error(obj) end
                local ok, e = pcall(relay)
                return rawequal(e, obj), e.code
            """)
            #expect(r == [.boolean(true), .integer(7)])
            for (code, text) in [("error(42)", "42"), ("error(nil)", "(error object is a nil value)"),
                                 ("error(true)", "(error object is a boolean value)"),
                                 ("error(setmetatable({}, {__tostring = function() return 'custom' end}))", "custom")] {
                do {
                    try lua.run(code)
                    Issue.record("no error for \(code)")
                } catch let e as LuaError {
                    #expect(e.message == text)
                }
            }
        }
    }

    @Test func metamethodErrorsTriggeredBySwiftAreCaught() throws {
        try withLua { (lua: LuaState) throws in
            let t = try lua.callRef(lua.load("""
                return setmetatable({}, {
                    __index = function(_, k) error('no field ' .. k) end,
                    __newindex = function() error('read-only') end,
                    __tostring = function() error('cannot print') end,
                })
            """))
            #expect(throws: LuaError.self) { _ = try lua.index(t, "ram") }
            do { _ = try lua.index(t, "ram") } catch let e as LuaError { #expect(e.message.hasSuffix("no field ram")) }
            do { try lua.setIndex(t, "x", 1) } catch let e as LuaError { #expect(e.message.hasSuffix("read-only")) }
            do { _ = try lua.tostring(t) } catch let e as LuaError { #expect(e.message.hasSuffix("cannot print")) }
            // and a working one
            let u = try lua.callRef(lua.load("return setmetatable({}, {__index = function(_, k) return k .. '!' end})"))
            #expect(try lua.index(u, "ok") == .str("ok!"))
        }
    }

    @Test func swiftFunctionsInCoroutines() throws {
        try withLua { (lua: LuaState) throws in
            define(lua, "double") { call in call.push(try call.integer(1) * 2) }
            // a Swift function yields: the values go to resume, resume's
            // arguments come back as its results
            define(lua, "ask") { call in
                call.push("question")
                return luaYield(1)
            }
            let r = try lua.run("""
                local co = coroutine.wrap(function(x)
                    local a = double(x)
                    local answer = ask()
                    return a, answer
                end)
                local q = co(21)
                local a, answer = co('yes')
                return q, a, answer
            """)
            #expect(r == [.str("question"), .integer(42), .str("yes")])
        }
    }

    @Test func yieldAcrossSwiftCallIsAClearError() throws {
        try withLua { (lua: LuaState) throws in
            define(lua, "callback") { call in
                lua_pushvalue(call.L, 1)
                let f = LuaRef(state: call.state, L: call.L)
                try call.call(f)
                return 0
            }
            let r = try lua.run("""
                local co = coroutine.create(function() callback(function() coroutine.yield(1) end) end)
                return coroutine.resume(co)
            """)
            #expect(r.first == .boolean(false))
            #expect(r.last?.stringValue?.contains("attempt to yield across a C-call boundary") == true, "\(r)")
        }
    }

    @Test func memoryLimitIsALuaErrorNotACrash() throws {
        try withLua { (lua: LuaState) throws in
            lua.memoryLimit = lua.memoryUsed + 4 << 20
            let r = try lua.run("return pcall(string.rep, 'x', 64 << 20)")
            #expect(r == [.boolean(false), .str("not enough memory")])
            // a Swift function that allocates past the limit: raised after it returns
            define(lua, "big") { call in
                call.push(String(repeating: "y", count: 8 << 20))
                return 1
            }
            let r2 = try lua.run("return pcall(big)")
            #expect(r2 == [.boolean(false), .str("not enough memory")])
            #expect(throws: LuaError.self) { try lua.run("local t = {} for i = 1, 1e7 do t[i] = i end") }
            lua.memoryLimit = 0
            #expect(try lua.run("return #string.rep('x', 8 << 20)") == [.integer(8 << 20)])
        }
    }
}
