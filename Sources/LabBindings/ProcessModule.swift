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
        lua_createtable(state.L, 0, 2)
        state.setFunction("run") { call in try run(call) }
        state.setFunction("run_all") { call in try runAll(call) }
    }

    static let runOptions = LuaOptions.Declaration([
        .any("argv"), .any("env"), .any("stdin"), .string("cwd"), .number("timeout"), .function("on_line"),
        .number("max_output"), .boolean("read_only", default: false), .any("keep_fd"), .raw("host"),
    ])

    static func run(_ call: LuaCall) throws -> Int32 {
        guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
        let L = call.L
        let (spec, onLine, readOnly) = try spec(call, at: 1)
        let argv = spec.argv
        if !readOnly && dryRun(L) {
            try announceNotRun(call, argv)
            pushNotRun(L)
            return 1
        }
        let callback: ((ProcessStream, [UInt8]) throws -> Void)? = onLine.map { function in
            { stream, line in
                try call.call(function, [stream.name, LuaBytes(line)])
            }
        }
        let outcome: ProcessOutcome
        do {
            outcome = try ProcessRunner.run(spec, stop: stop(), onLine: callback)
        } catch let error as ProcessError {
            throw LuaRaise.object(kind: "process", message: error.message, fields: fields(of: error))
        }
        if outcome.stopped {  // the stop stays pending: labsh stops right after this
            throw LuaRaise.object(kind: "process", message: "\(argv[0]) stopped: \(stopReason())",
                                  fields: ["argv": .table(LuaTable(array: argv.map { .str($0) }))])
        }
        push(L, .success(outcome))
        return 1
    }

    static let runAllOptions = LuaOptions.Declaration([
        .integer("parallel", default: 16), .function("on_line"), .function("on_exit"),
    ])

    /// run_all(list [, {parallel =, on_line =, on_exit =}]): many programs
    /// in one poll loop; a result per spec, in order, an error object where
    /// a program could not be started.
    static func runAll(_ call: LuaCall) throws -> Int32 {
        guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
        let L = call.L
        let opts = try LuaOptions(call, 2, runAllOptions)
        guard let parallel = opts.integer("parallel"), parallel >= 1 else { throw opts.fail("parallel must be an integer >= 1") }
        let onLine = opts.reference("on_line"), onExit = opts.reference("on_exit")
        let count = Int(lua_rawlen(L, 1))
        if count == 0 {
            lua_pushnil(L)
            if lua_next(L, 1) != 0 {
                throw LuaRaise.argument(1, "list must be a list of tables like lab.process.run's")
            }
        }
        // Under --dry-run only the read_only programs run; `positions`
        // maps each of them to its place in the list.
        let dry = dryRun(L)
        var specs: [ProcessSpec] = []
        var positions: [Int] = []
        var notRun: [(position: Int, argv: [String])] = []
        specs.reserveCapacity(count)
        for i in stride(from: 1, through: count, by: 1) {
            guard lua_rawgeti(L, 1, lua_Integer(i)) == LUA_TTABLE else {
                throw LuaRaise.argument(1, "list[\(i)] must be a table like lab.process.run's")
            }
            let item = try spec(call, at: lua_gettop(L), position: "list[\(i)]")
            lh_pop(L, 1)
            if dry && !item.readOnly {
                notRun.append((i - 1, item.spec.argv))
            } else {
                specs.append(item.spec)
                positions.append(i - 1)
            }
        }

        // The results go into the list as the programs end, so on_exit gets
        // the very table run_all returns.
        lua_createtable(L, Int32(count), 0)
        let list = lua_gettop(L)
        let settle: (Int) throws -> Void = { position in  // the result on top goes to its place
            if let onExit {
                lua_pushvalue(L, -1)
                lua_rawseti(L, list, lua_Integer(position + 1))
                try call.call(onExit, [Int64(position + 1), LuaRef(state: call.state, L: L)])
            } else {
                lua_rawseti(L, list, lua_Integer(position + 1))
            }
        }
        for skipped in notRun {
            try announceNotRun(call, skipped.argv)
            pushNotRun(L)
            try settle(skipped.position)
        }
        let exited: (Int, Result<ProcessOutcome, ProcessError>) throws -> Void = { j, result in
            if case .success(let outcome) = result, outcome.stopped { return }  // raised once all are reaped
            push(L, result)
            try settle(positions[j])
        }
        let lines: ((Int, ProcessStream, [UInt8]) throws -> Void)? = onLine.map { function in
            { j, stream, line in
                try call.call(function, [Int64(positions[j] + 1), stream.name, LuaBytes(line)])
            }
        }
        let results = specs.isEmpty ? []
            : try ProcessRunner.runAll(specs, parallel: Int(min(parallel, 1 << 20)), stop: stop(), onLine: lines, onExit: exited)
        let stopped = results.filter { if case .success(let o) = $0 { return o.stopped } else { return false } }.count
        if stopped > 0 {  // the stop stays pending: labsh stops right after this
            throw LuaRaise.object(kind: "process", message: "lab.process.run_all stopped: \(stopReason())",
                                  fields: ["stopped": .integer(Int64(stopped))])
        }
        for (j, result) in results.enumerated() {
            let position = lua_Integer(positions[j] + 1)
            let present = lua_rawgeti(L, list, position) != LUA_TNIL
            lh_pop(L, 1)
            if !present {
                push(L, result)
                lua_rawseti(L, list, position)
            }
        }
        lua_settop(L, list)
        return 1
    }

    /// What run returns for an outcome, or the error object (not raised)
    /// for a program that could not be started.
    static func push(_ L: OpaquePointer, _ result: Result<ProcessOutcome, ProcessError>) {
        switch result {
        case .failure(let error):
            LuaState.pushErrorObject(L, kind: "process", message: error.message, fields: fields(of: error))
        case .success(let outcome):
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
        }
    }

    // MARK: --dry-run

    /// Whether lab.options.dry_run is on (read raw: set by --dry-run before
    /// or after -m NAME, or by a script), or a manifest forbids mutation.
    static func dryRun(_ L: OpaquePointer) -> Bool {
        // a script whose manifest does not allow mutation runs in check mode
        if let capabilities = Capabilities.active, !capabilities.mayMutate { return true }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lh_pushglobaltable(L)
        guard lua_rawgetfield(L, -1, "lab") == LUA_TTABLE, lua_rawgetfield(L, -1, "options") == LUA_TTABLE else {
            return false
        }
        lua_rawgetfield(L, -1, "dry_run")
        return lua_toboolean(L, -1) != 0
    }

    /// A program a dry run does not start: labsh.dryrun says so on stderr
    /// ("dry run: would run: ARGV") and records it in the audit log.
    static func announceNotRun(_ call: LuaCall, _ argv: [String]) throws {
        try announceDryRun(call, "process", [LuaTable(array: argv.map { .str($0) })])
    }

    /// Calls labsh.dryrun's `function` with `args`: what a dry run leaves
    /// undone is said and recorded in one place (stdlib/labsh/dryrun.lua).
    static func announceDryRun(_ call: LuaCall, _ function: String, _ args: [LuaPushable]) throws {
        let state = call.state
        state.pushGlobal("require")
        lua_xmove(state.L, call.L, 1)
        let module = try state.callRef(on: call.L, LuaRef(state: state, L: call.L), ["labsh.dryrun"])
        module.push(call.L)
        guard lua_type(call.L, -1) == LUA_TTABLE, lua_rawgetfield(call.L, -1, function) == LUA_TFUNCTION else {
            lh_pop(call.L, 2)
            throw LuaRaise.message("labsh.dryrun has no function '\(function)'")
        }
        let announce = LuaRef(state: state, L: call.L)
        lh_pop(call.L, 1)
        _ = try call.call(announce, args)
    }

    /// What run returns for a program a dry run did not start: not a
    /// success (no status), marked dry_run = true.
    static func pushNotRun(_ L: OpaquePointer) {
        let w = TableWriter(L: L)
        w.record {
            w.field("dry_run", true)
            w.field("stdout", "")
            w.field("stderr", "")
            w.field("elapsed", 0.0)
            w.field("timed_out", false)
        }
    }

    static func fields(of error: ProcessError) -> [String: LuaValue] {
        ["argv": .table(LuaTable(array: error.argv.map { .str($0) })), "errno": .integer(Int64(error.errno))]
    }

    static func stop() -> ProcessStop {
        ProcessStop(fd: lh_stop_fd(), isRequested: { lh_stop_reason() != Int32(LH_STOP_NONE) },
                    // --timeout's watchdog forces an exit 1 s after the stop
                    grace: { lh_stop_reason() == Int32(LH_STOP_TIMEOUT) ? 0.5 : 2 })
    }

    static func stopReason() -> String {
        lh_stop_reason() == Int32(LH_STOP_TIMEOUT) ? "timeout" : "interrupted"
    }

    // MARK: Reading a spec table

    /// The spec in the table at `index` and its on_line (run's only; in
    /// run_all's list, `position` names the item and on_line is refused).
    static func spec(_ call: LuaCall, at index: Int32, position: String? = nil)
        throws -> (spec: ProcessSpec, onLine: LuaRef?, readOnly: Bool) {
        let opts = try LuaOptions(call, 1, runOptions, at: index, position: position)
        let bad = opts.fail
        if position != nil, opts["on_line"] != nil { throw bad("unknown option 'on_line': it goes in run_all's options") }
        guard case .table(let list)? = opts["argv"], !list.array.isEmpty, list.fields.isEmpty else {
            throw bad("argv must be a non-empty list of strings")
        }
        var argv: [String] = []
        for (i, item) in list.array.enumerated() {
            guard case .string(let s) = item, !s.bytes.contains(0) else {
                throw bad("argv[\(i + 1)] must be a string without NUL bytes")
            }
            argv.append(s.description)
        }
        var spec = ProcessSpec(argv: argv)
        if let env = opts["env"] {
            guard case .table(let t) = env, t.array.isEmpty else {
                throw bad("env must be a table of NAME = value (false removes NAME)")
            }
            for (k, v) in t.fields.sorted(by: { ($0.key.stringValue ?? "") < ($1.key.stringValue ?? "") }) {
                guard let name = k.stringValue, !name.isEmpty, !name.contains("=") else {
                    throw bad("env: bad variable name '\(k.stringValue ?? "\(k)")'")
                }
                switch v {
                case .string(let s): spec.environment.append((name, s.description))
                case .integer(let i): spec.environment.append((name, String(i)))
                case .boolean(false): spec.environment.append((name, nil))
                default: throw bad("env.\(name) must be a string, or false to remove it")
                }
            }
        }
        if let input = opts["stdin"] {
            guard case .string(let s) = input else { throw bad("stdin must be a string") }
            spec.stdin = s.bytes
        }
        spec.cwd = opts.string("cwd")
        if let seconds = opts.number("timeout") {
            guard seconds > 0 else { throw bad("timeout must be a number > 0 (seconds)") }
            spec.timeout = seconds
        }
        if let n = opts.number("max_output") {
            guard n >= 0, n < 1e15 else { throw bad("max_output must be a size in bytes >= 0") }
            spec.maxOutput = Int(n)
        }
        if let k = opts["keep_fd"] {  // lab.job: the job's lock, held by its child too
            guard case .integer(let fd) = k, fd >= 0, fd <= Int64(Int32.max) else {
                throw bad("keep_fd must be an open file descriptor (an integer)")
            }
            spec.inheritedFD = Int32(fd)
        }
        if let capabilities = Capabilities.active { try checkCapabilities(call, spec, at: index, capabilities) }
        return (spec, opts.reference("on_line"), opts.boolean("read_only") ?? false)
    }

    /// Under a manifest: the program must be in requires.commands, and the
    /// environment cannot choose which program runs or what it loads.
    static func checkCapabilities(_ call: LuaCall, _ spec: ProcessSpec, at index: Int32,
                                  _ capabilities: Capabilities) throws {
        // labsh's remote layer (labsh.remote) names the inventory host its
        // ssh reaches (`host`, its record): requires.hosts decides, and the
        // layer checked the remote command against requires.commands. A
        // script's own ssh is a program like any other.
        let L = call.L
        let remote = ["ssh", "scp", "sftp"].contains(spec.argv[0]) && Capabilities.calledByLabsh(L)
        let host = remote ? lua_rawgetfield(L, index, "host") : LUA_TNIL
        defer { if remote { lh_pop(L, 1) } }
        if host == LUA_TTABLE {
            // the record names the host; the rest is checked against the
            // inventory as Swift validated it, not the script's tables
            let name = try CapabilityModule.hostName(L, -1)
            try RemoteProcessCheck.check(call, argv: spec.argv, host: name, capabilities)
        } else {
            try capabilities.check(call.L, "commands", spec.argv[0], "run")
        }
        for (name, _) in spec.environment where name == "PATH" || name.hasPrefix("LD_") {
            throw Capabilities.error(capabilities.deny(call.L, "commands", "env.\(name)", "set",
                                                     "it chooses what runs; not allowed under a manifest"))
        }
    }
}
