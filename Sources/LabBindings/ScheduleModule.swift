import Glibc
import CLua
import Homelab
import LuaHost

/// `labsh.schedule`: cron and OnCalendar fire times (lab.schedule), their
/// kind and OnCalendar form (lab.job's exports) and the maintenance windows
/// (lab.runbook), all computed in Homelab.
enum ScheduleModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 5)
        state.setFunction("next") { call in try next(call) }
        state.setFunction("kind") { call in try kind(call) }
        state.setFunction("on_calendar") { call in try onCalendar(call) }
        state.setFunction("windows") { call in try windows(call) }
        state.setFunction("window") { call in try window(call) }
        state.setFunction("local_time") { call in try localTime(call) }
    }

    /// local_time(seconds, zone) -> "2026-12-06 03:00:00 +01:00": the wall
    /// clock of `zone` (a tz database name) at Unix time `seconds` and its
    /// offset, so a time shown to people is one answer whatever TZ says.
    static func localTime(_ call: LuaCall) throws -> Int32 {
        let at: Int64
        let rules: TimeZoneRules
        do {
            at = try seconds(try call.value(1), "seconds")
            rules = try NamedTimeZone(named: try call.string(2))
        } catch let e as HomelabError {
            throw LuaRaise.message(e.message)
        }
        var text = Array(ZonedTime(seconds: at, utcOffset: rules.offset(atUTC: at)).description)
        if text.last == "Z" { text.removeLast(); text += "+00:00" }
        text[10] = " "  // the T between date and time
        text.insert(" ", at: text.count - 6)
        return call.push(String(text))
    }

    /// A schedule's error as the caller's bad argument.
    static func schedule(_ call: LuaCall, _ n: Int32) throws -> Schedule {
        do { return try Schedule(parsing: call.string(n)) }
        catch let e as HomelabError { throw LuaRaise.argument(n, e.message) }
    }

    /// kind(expr) -> "cron" or "calendar" (systemd OnCalendar)
    static func kind(_ call: LuaCall) throws -> Int32 {
        call.push(try schedule(call, 1).kind.rawValue)
    }

    /// on_calendar(expr [, zone]) -> OnCalendar text, the zone appended when
    /// the expression names none
    static func onCalendar(_ call: LuaCall) throws -> Int32 {
        let s = try schedule(call, 1)
        do { return call.push(try s.onCalendar(zone: try call.optString(2))) }
        catch let e as HomelabError { throw LuaRaise.message(e.message) }
    }

    /// windows(model) -> the inventory's maintenance windows as validated:
    /// {name =, schedule =, duration = seconds, notes =}
    static func windows(_ call: LuaCall) throws -> Int32 {
        let w = TableWriter(L: call.L)
        w.array(try call.inventory(1).maintenance) { m in
            w.record {
                w.field("name", m.name)
                w.field("schedule", m.schedule)
                w.field("duration", m.duration?.components.seconds)
                w.field("notes", m.notes)
            }
        }
        return 1
    }

    /// window(model [, now]) -> {name =, opens =, closes =} of the window
    /// open at `now`, or nil and the next opening; in site.timezone
    static func window(_ call: LuaCall) throws -> Int32 {
        let inventory = try call.inventory(1)
        do {
            let at = call.isNoneOrNil(2) ? now() : try seconds(try call.value(2), "now")
            let zone = try zone(inventory.site.timezone)
            let (open, next) = try inventory.maintenanceWindow(at: at, zone: zone)
            guard let open else { return call.push(LuaValue.nil, next) }
            let w = TableWriter(L: call.L)
            w.record {
                w.field("name", open.name)
                w.field("opens", open.opens)
                w.field("closes", open.closes)
            }
            return 1
        } catch let e as HomelabError {
            throw LuaRaise.message(e.message)
        }
    }

    /// The zone named by `tz` (tz database name), else the local one.
    static func zone(_ name: String?) throws -> TimeZoneRules {
        guard let name, name != "local" else { return SystemTimeZone() }
        return try NamedTimeZone(named: name)
    }

    static func now() -> Int64 { Int64(SysModule.clockSeconds(CLOCK_REALTIME)) }

    /// A time as Lua gives it: Unix seconds, or RFC 3339 text.
    static func seconds(_ v: LuaValue, _ what: String) throws -> Int64 {
        switch v {
        case .integer(let i): return i
        case .number(let d): return Int64(d.rounded(.down))
        case .string(let s): return try ZonedTime(parsingRFC3339: s.utf8 ?? "").seconds
        default: throw HomelabError("\(what): expected Unix seconds or RFC 3339 text")
        }
    }

    static let nextOptions = LuaOptions.Declaration([.any("from"), .integer("count", default: 1), .string("tz")])

    /// next(expr [, {from =, count =, tz =}]) -> {unix seconds...}
    static func next(_ call: LuaCall) throws -> Int32 {
        let text = try call.string(1)
        let opts = try LuaOptions(call, 2, nextOptions)
        guard let count = opts.integer("count"), count >= 1, count <= 100_000 else {
            throw opts.fail("count must be an integer 1-100000")
        }
        do {
            let schedule = try Schedule(parsing: text)
            let from = try opts["from"].map { try seconds($0, "from") } ?? now()
            let times = schedule.next(after: from, count: Int(count), zone: try zone(opts.string("tz")))
            return call.push(LuaValue.table(LuaTable(array: times.map { .integer($0) })))
        } catch let e as HomelabError {
            throw LuaRaise.message(e.message)
        }
    }
}
