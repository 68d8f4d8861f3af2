import Glibc
import CLua
import Homelab
import LuaHost

/// `labsh.schedule`: cron and OnCalendar fire times (lab.schedule), their
/// kind and OnCalendar form (lab.job's exports), the maintenance windows
/// (lab.runbook) and the backup compliance check (lab.backup.check), all
/// computed in Homelab.
enum ScheduleModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 6)
        state.setFunction("next") { call in try next(call) }
        state.setFunction("kind") { call in try kind(call) }
        state.setFunction("on_calendar") { call in try onCalendar(call) }
        state.setFunction("windows") { call in try windows(call) }
        state.setFunction("window") { call in try window(call) }
        state.setFunction("check_backups") { call in try checkBackups(call) }
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
        let handle = try call.object(1, ModelModule.InventoryHandle.self)
        let rows = handle.inventory.maintenance.map { w -> LuaValue in
            var t = LuaTable()
            t["name"] = .str(w.name)
            if let s = w.schedule { t["schedule"] = .str(s) }
            if let d = w.duration { t["duration"] = .integer(d.components.seconds) }
            if let n = w.notes { t["notes"] = .str(n) }
            return .table(t)
        }
        return call.push(LuaValue.table(LuaTable(array: rows)))
    }

    /// window(model [, now]) -> {name =, opens =, closes =} of the window
    /// open at `now`, or nil and the next opening; in site.timezone
    static func window(_ call: LuaCall) throws -> Int32 {
        let handle = try call.object(1, ModelModule.InventoryHandle.self)
        do {
            let at = call.isNoneOrNil(2) ? now() : try seconds(try call.value(2), "now")
            let zone = try zone(handle.inventory.site.timezone)
            let (open, next) = try handle.inventory.maintenanceWindow(at: at, zone: zone)
            guard let open else { return call.push(LuaValue.nil, next) }
            var t = LuaTable()
            t["name"] = .str(open.name)
            t["opens"] = .integer(open.opens)
            t["closes"] = .integer(open.closes)
            return call.push(LuaValue.table(t))
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

    /// next(expr [, {from =, count =, tz =}]) -> {unix seconds...}
    static func next(_ call: LuaCall) throws -> Int32 {
        let text = try call.string(1)
        let opts = call.isNoneOrNil(2) ? LuaTable() : try call.table(2)
        do {
            let schedule = try Schedule(parsing: text)
            let from = try opts["from"].map { try seconds($0, "from") } ?? now()
            var count = 1
            if let c = opts["count"] {
                guard case .integer(let n) = c, n >= 1, n <= 100_000 else {
                    throw HomelabError("count: expected an integer 1-100000")
                }
                count = Int(n)
            }
            let times = schedule.next(after: from, count: count, zone: try zone(opts["tz"]?.stringValue))
            return call.push(LuaValue.table(LuaTable(array: times.map { .integer($0) })))
        } catch let e as HomelabError {
            throw LuaRaise.message(e.message)
        }
    }

    /// check_backups(model, runs_by_name, now, tz) -> rows, in the
    /// inventory's order. runs_by_name[name] is a list of {time =, ok =}
    /// (ok absent: a snapshot, so good), or nil when the source has none.
    static func checkBackups(_ call: LuaCall) throws -> Int32 {
        let handle = try call.object(1, ModelModule.InventoryHandle.self)
        let source = try call.table(2)
        do {
            let now = call.isNoneOrNil(3) ? now() : try seconds(try call.value(3), "now")
            let zone = try zone(try call.optString(4))
            var rows: [LuaValue] = []
            for policy in try BackupPolicy.all(in: handle.inventory) {
                var runs: [BackupRun]?
                if case .table(let list)? = source[policy.name] {
                    runs = try list.array.enumerated().map { i, item in
                        guard case .table(let run) = item, let time = run["time"] else {
                            throw HomelabError("\(policy.name)[\(i + 1)]: expected a table with a time")
                        }
                        var ok = true
                        if case .boolean(let b)? = run["ok"] { ok = b }
                        return BackupRun(time: try seconds(time, "\(policy.name)[\(i + 1)].time"), ok: ok)
                    }
                }
                let c = BackupCompliance.evaluate(policy, runs: runs, now: now, zone: zone)
                rows.append(.table(row(c, policy, zone)))
            }
            return call.push(LuaValue.table(LuaTable(array: rows)))
        } catch let e as HomelabError {
            throw LuaRaise.message(e.message)
        }
    }

    static func row(_ c: BackupCompliance, _ p: BackupPolicy, _ zone: TimeZoneRules) -> LuaTable {
        var t = LuaTable()
        func set(_ key: String, _ v: LuaValue?) { if let v { t[key] = v } }
        func duration(_ s: Int64?) -> LuaValue? { s.map { .str(BackupCompliance.text($0)) } }
        set("name", .str(c.name))
        set("resource", .str(p.resource))
        set("status", .str(c.status.rawValue))
        set("schedule", .str(p.schedule.text))
        set("newest", c.newest.map { .str(ZonedTime(unixSeconds: Double($0), zone: zone).description) })
        // Text for people (the table's columns), seconds for machines.
        set("age", duration(c.age))
        set("age_seconds", c.age.map { .integer($0) })
        set("max_age", duration(c.maxAge))
        set("max_age_seconds", c.maxAge.map { .integer($0) })
        set("rpo", duration(c.rpo))
        set("rpo_seconds", c.rpo.map { .integer($0) })
        set("interval_seconds", c.interval.map { .integer($0) })
        set("runs", .integer(Int64(c.runs)))
        set("good", .integer(Int64(c.good)))
        set("success", c.successRate.map { .number($0) })
        set("gaps", .integer(Int64(c.gaps)))
        set("copies", .integer(Int64(c.copies)))
        set("media", .integer(Int64(c.media)))
        set("offsite", .integer(Int64(c.offsite)))
        set("semantics", .str(p.semantics.rawValue))
        set("problems", .table(LuaTable(array: c.problems.map { .str($0) })))
        return t
    }
}
