import CLua
import CLuaShim
import Connectors
import LuaHost
#if canImport(Glibc)
import Glibc
#endif

/// `lab.process`: running local programs (Connectors does the running).
/// Here: the Lua table to a ProcessSpec, on_line calls back into Lua on the
/// caller's thread, the outcome to a plain table, failures to error objects
/// of kind "process".
enum ProcessModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 1)
        state.setFunction("run") { call in try run(call) }
    }

    static let optionNames = ["argv", "env", "stdin", "cwd", "timeout", "on_line", "max_output"]

    static func run(_ call: LuaCall) throws -> Int32 {
        guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
        let L = call.L
        var argv: [String] = []
        var onLine: LuaRef?
        // Read field by field: on_line must stay a function, not a copy.
        lua_pushnil(L)
        while lua_next(L, 1) != 0 {
            defer { lh_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING, let key = LuaState.string(L, -2), optionNames.contains(key) else {
                let name = lua_type(L, -2) == LUA_TSTRING ? "'\(LuaState.string(L, -2) ?? "")'" : "at a list position"
                throw LuaRaise.argument(1, "unknown option \(name) (options are \(optionNames.joined(separator: ", ")))")
            }
            if key == "on_line" {
                guard lua_type(L, -1) == LUA_TFUNCTION else { throw LuaRaise.argument(1, "on_line must be a function") }
                lua_pushvalue(L, -1)
                onLine = LuaRef(state: call.state, L: L)
            }
        }
        let opts = try call.table(1)
        guard case .table(let list)? = opts["argv"], !list.array.isEmpty, list.fields.isEmpty else {
            throw LuaRaise.argument(1, "argv must be a non-empty list of strings")
        }
        for (i, item) in list.array.enumerated() {
            guard case .string(let s) = item, !s.bytes.contains(0) else {
                throw LuaRaise.argument(1, "argv[\(i + 1)] must be a string without NUL bytes")
            }
            argv.append(s.description)
        }
        var spec = ProcessSpec(argv: argv)
        if let env = opts["env"] {
            guard case .table(let t) = env, t.array.isEmpty else {
                throw LuaRaise.argument(1, "env must be a table of NAME = value (false removes NAME)")
            }
            for (k, v) in t.fields.sorted(by: { ($0.key.stringValue ?? "") < ($1.key.stringValue ?? "") }) {
                guard let name = k.stringValue, !name.isEmpty, !name.contains("=") else {
                    throw LuaRaise.argument(1, "env: bad variable name '\(k.stringValue ?? "\(k)")'")
                }
                switch v {
                case .string(let s): spec.environment.append((name, s.description))
                case .integer(let i): spec.environment.append((name, String(i)))
                case .boolean(false): spec.environment.append((name, nil))
                default: throw LuaRaise.argument(1, "env.\(name) must be a string, or false to remove it")
                }
            }
        }
        if let input = opts["stdin"] {
            guard case .string(let s) = input else { throw LuaRaise.argument(1, "stdin must be a string") }
            spec.stdin = s.bytes
        }
        if let cwd = opts["cwd"] {
            guard let s = cwd.stringValue else { throw LuaRaise.argument(1, "cwd must be a string") }
            spec.cwd = s
        }
        if let t = opts["timeout"] {
            guard let seconds = number(t), seconds > 0 else { throw LuaRaise.argument(1, "timeout must be a number > 0 (seconds)") }
            spec.timeout = seconds
        }
        if let m = opts["max_output"] {
            guard let n = number(m), n >= 0, n < 1e15 else { throw LuaRaise.argument(1, "max_output must be a size in bytes >= 0") }
            spec.maxOutput = Int(n)
        }

        let stop = ProcessStop(fd: lh_stop_fd(), isRequested: { lh_stop_reason() != Int32(LH_STOP_NONE) },
                               // --timeout's watchdog forces an exit 1 s after the stop
                               grace: { lh_stop_reason() == Int32(LH_STOP_TIMEOUT) ? 0.5 : 2 })
        let callback: ((ProcessStream, [UInt8]) throws -> Void)? = onLine.map { function in
            { stream, line in
                try call.call(function, [stream.name, LuaBytes(line)])
            }
        }
        let outcome: ProcessOutcome
        do {
            outcome = try ProcessRunner.run(spec, stop: stop, onLine: callback)
        } catch let error as ProcessError {
            throw LuaRaise.object(kind: "process", message: error.message,
                                  fields: ["argv": .table(LuaTable(array: argv.map { .str($0) })),
                                           "errno": .integer(Int64(error.errno))])
        }
        if outcome.stopped {  // the stop stays pending: labsh stops right after this
            let reason = lh_stop_reason() == Int32(LH_STOP_TIMEOUT) ? "timeout" : "interrupted"
            throw LuaRaise.object(kind: "process", message: "\(argv[0]) stopped: \(reason)",
                                  fields: ["argv": .table(LuaTable(array: argv.map { .str($0) }))])
        }
        let w = TableWriter(L: L)
        w.record {
            w.field("status", outcome.status.map { Int64($0) })
            w.field("signal", outcome.signal.map { Int64($0) })
            w.field("stdout", LuaBytes(outcome.stdout))
            w.field("stderr", LuaBytes(outcome.stderr))
            w.field("elapsed", outcome.elapsed)
            w.field("timed_out", outcome.timedOut)
            if outcome.stdoutDropped + outcome.stderrDropped > 0 {
                w.field("dropped", Int64(outcome.stdoutDropped + outcome.stderrDropped))
            }
        }
        return 1
    }

    static func number(_ v: LuaValue) -> Double? {
        switch v {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
}
