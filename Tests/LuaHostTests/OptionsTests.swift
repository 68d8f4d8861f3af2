import CLua
import CLuaShim
import LuaHost
import Testing

/// LuaOptions: the one reader for a table of named options.
@Suite struct OptionsTests {
    static let few = LuaOptions.Declaration([
        .integer("daily", default: 7), .string("semantics", choices: ["restic", "pbs"]), .boolean("dry"),
    ])
    static let many = LuaOptions.Declaration(
        ["last", "hourly", "daily", "weekly", "monthly", "yearly", "within"].map { .integer($0) }, noun: "key")

    /// `fail(opts)`: reads its argument 1 with `declaration`, returns daily and semantics.
    func define(_ lua: LuaState, _ declaration: LuaOptions.Declaration) {
        lua.setGlobal("fail", lua.function { call in
            let opts = try LuaOptions(call, 1, declaration)
            return call.push(opts.integer("daily"), opts.string("semantics"))
        })
    }

    func error(_ lua: LuaState, _ code: String) throws -> String? {
        try lua.run("return select(2, pcall(fail, \(code)))").first?.stringValue
    }

    @Test func unknownKeysNameTheArgumentAndTheKeyMeant() throws {
        try withLua { (lua: LuaState) throws in
            define(lua, Self.few)
            #expect(try error(lua, "{ dialy = 1 }")
                == "bad argument #1 to 'fail' (unknown option 'dialy' (options are daily, semantics, dry))")
            define(lua, Self.many)
            #expect(try error(lua, "{ dialy = 1 }")
                == "bad argument #1 to 'fail' (unknown key 'dialy' (did you mean 'daily'?))")
            #expect(try error(lua, "{ fortnightly = 1 }")
                == "bad argument #1 to 'fail' (unknown key 'fortnightly' (keys are last, hourly, daily, weekly, monthly, yearly, within))")
            #expect(try error(lua, "{ 1, 2 }")
                == "bad argument #1 to 'fail' (keys are named (last, hourly, daily, weekly, monthly, yearly, within), not a list)")
        }
    }

    @Test func typesChoicesAndDefaults() throws {
        try withLua { (lua: LuaState) throws in
            define(lua, Self.few)
            #expect(try error(lua, "{ daily = 1.5 }") == "bad argument #1 to 'fail' (daily must be an integer)")
            #expect(try error(lua, "{ daily = '3' }") == "bad argument #1 to 'fail' (daily must be an integer)")
            #expect(try error(lua, "{ dry = 1 }") == "bad argument #1 to 'fail' (dry must be a boolean)")
            #expect(try error(lua, "{ semantics = 'borg' }")
                == "bad argument #1 to 'fail' (semantics 'borg' is not one of restic, pbs)")
            #expect(try error(lua, "'daily'") == "bad argument #1 to 'fail' (table expected, got string)")
            #expect(try lua.run("return fail()") == [.integer(7), .nil])
            #expect(try lua.run("return fail { daily = 3.0, semantics = 'pbs' }") == [.integer(3), .str("pbs")])
        }
    }

    @Test func requiredKeysAndPositionsInAList() throws {
        try withLua { (lua: LuaState) throws in
            let declaration = LuaOptions.Declaration([.string("url", required: true)], prefix: "opts.")
            lua.setGlobal("fail", lua.function { call in
                lua_rawgeti(call.L, 1, 2)
                _ = try LuaOptions(call, 1, declaration, at: -1, position: "requests[2]")
                return 0
            })
            #expect(try error(lua, "{ {url = 'a'}, {} }") == "bad argument #1 to 'fail' (requests[2]: opts.url is missing)")
        }
    }
}
