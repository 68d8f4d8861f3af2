import Glibc
import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.times`: the one grammar of times and durations (Homelab's
/// TimeText and DurationText) for lab.prom, lab.alertmanager, lab.job,
/// lab.capacity and the command line. Errors read "bad duration "1x":
/// expected ..." with no position, for callers that add their own.
enum TimesModule {
    static func push(_ state: LuaState) throws {
        let functions: [(String, LuaFunction)] = [("duration", duration), ("parse", parse), ("format", format), ("api", api)]
        lua_createtable(state.L, 0, Int32(functions.count))
        for (name, function) in functions { state.setFunction(name, function) }
    }

    /// duration(value) -> seconds: a number as it is, else decimal text of
    /// seconds ("2.5") or a duration ("15s", "1h30m")
    static func duration(_ call: LuaCall) throws -> Int32 {
        try read(call, "duration") { try TimeText.durationSeconds($0) }
    }

    /// parse(value [, now]) -> Unix seconds of a number, "now", "-1h" or RFC 3339
    static func parse(_ call: LuaCall) throws -> Int32 {
        try read(call, "time") { text in
            try TimeText.parse(text, now: call.isNoneOrNil(2) ? SysModule.clockSeconds(CLOCK_REALTIME) : try call.number(2))
        }
    }

    /// format(seconds) -> RFC 3339 in UTC ("2026-11-27T03:00:00.250Z")
    static func format(_ call: LuaCall) throws -> Int32 {
        let seconds = try call.number(1)
        guard TimeText.writable.contains(seconds) else { throw LuaRaise.argument(1, "a time in the years 1 to 9999") }
        return call.push(TimeText.rfc3339(seconds))
    }

    /// api(seconds) -> "1795741200" or "1795741200.250", as Prometheus takes it
    static func api(_ call: LuaCall) throws -> Int32 {
        let seconds = try call.number(1)
        guard abs(seconds) < 9e15 else { throw LuaRaise.argument(1, "a number of seconds within 9e15") }
        return call.push(TimeText.api(seconds))
    }

    /// A number argument comes back as it is; text is read by `grammar`,
    /// whole seconds as an integer. Anything else is "bad WHAT "value": ...".
    static func read(_ call: LuaCall, _ what: String, _ grammar: (String) throws -> Double) throws -> Int32 {
        if call.type(1) == LUA_TNUMBER { lua_pushvalue(call.L, 1); return 1 }
        let text = call.type(1) == LUA_TSTRING ? try call.value(1).stringValue : nil
        do {
            guard let text else { throw HomelabError("expected a \(what)") }
            let seconds = try grammar(text)
            if seconds == seconds.rounded(.down), abs(seconds) < 9e15 { return call.push(Int64(seconds)) }
            return call.push(seconds)
        } catch let e as HomelabError {
            let shown = call.type(1) == LUA_TSTRING ? (try? call.value(1))?.stringValue ?? "?" : String(cString: lh_typename(call.L, 1))
            throw LuaRaise.value(.str("bad \(what) \(shown.debugDescription): \(e.message)"))
        }
    }
}
