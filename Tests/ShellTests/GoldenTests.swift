import Foundation
import Testing

/// labsh must behave exactly like the standard lua 5.4 interpreter: each
/// case runs through both and compares stdout, stderr and exit status.
struct GoldenCase: CustomTestStringConvertible, Sendable {
    let name: String
    let args: [String]
    var stdin: String? = nil
    var env: [String: String] = [:]
    /// Where labsh differs on purpose: lua 5.4 exits 0 after an error in
    /// stdin run without arguments; labsh exits 1, as cron needs.
    var labshStatus: Int32? = nil
    var testDescription: String { name }
}

let goldenFiles: [String: String] = [
    "hello.lua": "print('hello', ...)\n",
    "args.lua": "for i = -3, #arg do print(i, arg[i]) end\nprint(select('#', ...), ...)\n",
    "err.lua": "local function inner() error('boom') end\nlocal function outer() inner() end\nouter()\n",
    "errlevel.lua": "local function check(x) if not x then error('bad input', 2) end end\ncheck(false)\n",
    "syntax.lua": "local x = = 1\n",
    "shebang.lua": "#!/usr/bin/env lua5.4\nprint('shebang ok', ...)\n",
    "exit3.lua": "io.write('bye\\n') os.exit(3)\n",
    "exitfalse.lua": "os.exit(false)\n",
    "errtable.lua": "error({code = 1})\n",
    "errtostring.lua": "error(setmetatable({}, {__tostring = function() return 'custom error' end}))\n",
    "runtime.lua": "local cfg = nil\nprint(cfg.ram)\n",
    "mod.lua": "return {name = 'mod', loaded = ...}\n",
    "init.lua": "print('init file ran')\n",
    "badinit.lua": "error('init failed')\n",
    "co.lua": "local co = coroutine.wrap(function() error('in coroutine') end)\nco()\n",
    "returns.lua": "return 1, 2\n",
]

let goldenCases: [GoldenCase] = [
    GoldenCase(name: "-e statement", args: ["-e", "print(1 + 1)"]),
    GoldenCase(name: "-e concatenated", args: ["-eprint('joined')"]),
    GoldenCase(name: "several -e in order", args: ["-e", "a = 1", "-e", "print(a + 1)"]),
    GoldenCase(name: "-e syntax error", args: ["-e", "x ="]),
    GoldenCase(name: "-e runtime error", args: ["-e", "error('failed here')"]),
    GoldenCase(name: "-e error level 0", args: ["-e", "error('no position', 0)"]),
    GoldenCase(name: "-e error table", args: ["-e", "error({})"]),
    GoldenCase(name: "-e error nil", args: ["-e", "error()"]),
    GoldenCase(name: "-e error with __tostring", args: ["-e", "error(setmetatable({}, {__tostring = function() return 'obj' end}))"]),
    GoldenCase(name: "-e index nil", args: ["-e", "local t; print(t.x)"]),
    GoldenCase(name: "-e varargs empty", args: ["-e", "print(select('#', ...))"]),
    GoldenCase(name: "-v", args: ["-v"]),
    GoldenCase(name: "-v then -e", args: ["-v", "-e", "print('after')"]),
    GoldenCase(name: "unknown option", args: ["-x"]),
    GoldenCase(name: "unknown long option", args: ["--bogus"]),
    GoldenCase(name: "-e without argument", args: ["-e"]),
    GoldenCase(name: "-l without argument", args: ["-l"]),
    GoldenCase(name: "-e followed by option", args: ["-e", "-v"]),
    GoldenCase(name: "-v with extra letters", args: ["-vx"]),
    GoldenCase(name: "-l module", args: ["-l", "mod", "-e", "print(mod.name, mod.loaded)"]),
    GoldenCase(name: "-l g=module", args: ["-l", "m=mod", "-e", "print(m.name, mod)"]),
    GoldenCase(name: "-l concatenated", args: ["-lmod", "-e", "print(mod.name)"]),
    GoldenCase(name: "-l runs before later -e", args: ["-e", "print(mod)", "-l", "mod", "-e", "print(mod.name)"]),
    GoldenCase(name: "-l C module lpeg", args: ["-l", "lpeg", "-e", "print(type(lpeg.match))"]),
    GoldenCase(name: "require cjson", args: ["-e", "print(require('cjson').encode({1, 2, 3}))"]),
    GoldenCase(name: "warnings off by default", args: ["-e", "warn('hidden')"]),
    GoldenCase(name: "-W turns warnings on", args: ["-W", "-e", "warn('shown') warn('a', 'b', 'c')"]),
    GoldenCase(name: "warn control messages", args: ["-W", "-e", "warn('@off') warn('no') warn('@on') warn('yes')"]),
    GoldenCase(name: "script with args", args: ["hello.lua", "a", "b"]),
    GoldenCase(name: "arg table", args: ["args.lua", "x", "y"]),
    GoldenCase(name: "arg table with options", args: ["-e", "x = 1", "args.lua", "z"]),
    GoldenCase(name: "arg table without script", args: ["-e", "print(arg[0], arg[1], arg[2], arg[-1], #arg)"]),
    GoldenCase(name: "-- before script", args: ["--", "args.lua", "-e"]),
    GoldenCase(name: "script error with traceback", args: ["err.lua"]),
    GoldenCase(name: "error level 2", args: ["errlevel.lua"]),
    GoldenCase(name: "script syntax error", args: ["syntax.lua"]),
    GoldenCase(name: "missing script", args: ["nofile.lua"]),
    GoldenCase(name: "shebang line", args: ["shebang.lua", "1"]),
    GoldenCase(name: "os.exit(3)", args: ["exit3.lua"]),
    GoldenCase(name: "os.exit(false)", args: ["exitfalse.lua"]),
    GoldenCase(name: "os.exit(true)", args: ["-e", "os.exit(true)"]),
    GoldenCase(name: "error table from script", args: ["errtable.lua"]),
    GoldenCase(name: "error __tostring from script", args: ["errtostring.lua"]),
    GoldenCase(name: "index nil in script", args: ["runtime.lua"]),
    GoldenCase(name: "error in coroutine", args: ["co.lua"]),
    GoldenCase(name: "main chunk returns values", args: ["returns.lua"]),
    GoldenCase(name: "- runs stdin with args", args: ["-", "a", "b"], stdin: "print('stdin', ...)\n"),
    GoldenCase(name: "no args, stdin not a terminal", args: [], stdin: "print('piped', arg[0])\n"),
    GoldenCase(name: "stdin syntax error", args: [], stdin: "print(\n", labshStatus: 1),
    GoldenCase(name: "implicit stdin runtime error", args: [], stdin: "error('piped failure')\n", labshStatus: 1),
    GoldenCase(name: "stdin runtime error", args: ["-"], stdin: "error('from stdin')\n"),
    GoldenCase(name: "-- alone runs stdin", args: ["--"], stdin: "print('after --')\n"),
    GoldenCase(name: "-- - is a file named -", args: ["--", "-"], stdin: "print('not run')\n"),
    GoldenCase(name: "-e then stdin not run", args: ["-e", "print(1)"], stdin: "print('not run')\n"),
    GoldenCase(name: "io.read from stdin", args: ["-e", "print(io.read('l'), io.read('n'))"], stdin: "line one\n42\n"),
    GoldenCase(name: "stdout and stderr", args: ["-e", "io.stderr:write('to err\\n') io.stdout:write('to out\\n')"]),
    GoldenCase(name: "number formatting", args: ["-e", "print(1e15, 2^63, math.maxinteger, 0.1, -0.0, 1/0, 3 // 2, 3 / 2)"]),
    GoldenCase(name: "generational gc like lua", args: ["-e", "print(collectgarbage('incremental'))"]),
    GoldenCase(name: "LUA_INIT chunk", args: ["-e", "print('main')"], env: ["LUA_INIT": "print('init')"]),
    GoldenCase(name: "LUA_INIT @file", args: ["-e", "print('main')"], env: ["LUA_INIT": "@init.lua"]),
    GoldenCase(name: "LUA_INIT_5_4 wins over LUA_INIT", args: ["-e", "print('main')"],
               env: ["LUA_INIT": "print('plain')", "LUA_INIT_5_4": "print('versioned')"]),
    GoldenCase(name: "-E skips LUA_INIT", args: ["-E", "-e", "print('main')"], env: ["LUA_INIT": "print('init')"]),
    GoldenCase(name: "LUA_INIT error stops", args: ["-e", "print('main')"], env: ["LUA_INIT": "@badinit.lua"]),
    GoldenCase(name: "LUA_INIT missing file", args: ["-e", "print('main')"], env: ["LUA_INIT": "@missing.lua"]),
    GoldenCase(name: "LUA_INIT syntax error", args: ["-e", "print('main')"], env: ["LUA_INIT": "x ="]),
    GoldenCase(name: "-E ignores LUA_PATH", args: ["-E", "-e", "print(package.path:find('/nowhere/', 1, true))"],
               env: ["LUA_PATH": "/nowhere/?.lua"]),
    GoldenCase(name: "LUA_PATH honoured", args: ["-e", "print(package.path)"], env: ["LUA_PATH": "/nowhere/?.lua"]),
]

@Suite struct GoldenTests {
    static let lua = "/usr/bin/lua5.4"

    @Test(arguments: goldenCases)
    func sameAsLua(_ c: GoldenCase) throws {
        let dir = try fixtureDirectory(goldenFiles)
        defer { try? FileManager.default.removeItem(at: dir) }
        var expected = try run(GoldenTests.lua, c.args, stdin: c.stdin, env: c.env, in: dir)
        if let status = c.labshStatus {
            #expect(expected.status != status, "lua changed: the exception is no longer needed")
            expected.status = status
        }
        let actual = try run(labshBinary, c.args, stdin: c.stdin, env: c.env, in: dir)
        #expect(actual == expected, "\(c.name): lua gave\n\(expected)\nlabsh gave\n\(actual)")
    }

    @Test func enoughCases() {
        #expect(goldenCases.count >= 40)
    }
}
