import Glibc
import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.backup`: lab.backup's Swift half. `prune` is the retention engine
/// (Homelab/Retention): snapshots are read straight off the Lua stack, and
/// the decision hands back the caller's own snapshot tables, so every field
/// they had survives. `check` judges the inventory's backups against their
/// runs (Homelab/Backup).
enum BackupModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        state.setFunction("prune") { call in try prune(call) }
        state.setFunction("check") { call in try check(call) }
    }

    static let pruneOptions = LuaOptions.Declaration([
        .string("semantics", choices: RetentionPolicy.Semantics.allCases.map(\.rawValue)), .raw("group_by"), .raw("now"),
    ])

    /// prune(snapshots, policy [, opts]) -> {keep, remove, reasons, groups}
    static func prune(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
        guard call.type(2) == LUA_TTABLE else { throw call.typeError(2, "table") }
        let policy: RetentionPolicy
        let keys = try LuaOptions(call, 2, policyKeys)
        do { policy = try readPolicy(L, 2, keys) } catch let e as HomelabError { throw keys.fail(e.message) }
        let opts = try LuaOptions(call, 3, pruneOptions)
        let semantics = opts.string("semantics").flatMap(RetentionPolicy.Semantics.init(rawValue:)) ?? .restic
        var fields: Set<RetentionGroup.Field> = [.host, .paths]
        var now = ZonedTime(unixSeconds: SysModule.clockSeconds(CLOCK_REALTIME), zone: SystemTimeZone())
        do {
            if opts["group_by"] != nil, let group = try groupFields(L, 3) { fields = group }
            if opts["now"] != nil {
                lua_rawgetfield(L, 3, "now")
                defer { lh_pop(L, 1) }
                now = try time(L, -1)
            }
        } catch let e as HomelabError {
            throw opts.fail(e.message)
        }

        let count = Int(lua_rawlen(L, 1))
        var snapshots: [RetentionSnapshot] = []
        snapshots.reserveCapacity(count)
        for i in 0..<count {
            lua_rawgeti(L, 1, lua_Integer(i + 1))
            defer { lh_pop(L, 1) }
            do {
                snapshots.append(try snapshot(L, lua_gettop(L), index: i))
            } catch let e as HomelabError {
                throw LuaRaise.argument(1, "snapshot \(i + 1): \(e.message)")
            }
        }

        let decisions: [(RetentionGroup, RetentionDecision)]
        do {
            decisions = try RetentionGroup.group(snapshots, by: fields).map {
                ($0, try Retention.apply($0.snapshots, policy, semantics: semantics, now: now))
            }
        } catch let e as HomelabError {
            throw LuaRaise.argument(2, e.message)
        }
        pushResult(L, decisions)
        return 1
    }

    // ---- reading -------------------------------------------------------------

    static func stringField(_ L: OpaquePointer, _ t: Int32, _ key: String) throws -> String? {
        defer { lh_pop(L, 1) }
        switch lua_rawgetfield(L, t, key) {
        case LUA_TNIL: return nil
        case LUA_TSTRING: return LuaState.string(L, -1)
        default: throw HomelabError("\(key): expected a string, got a \(String(cString: lh_typename(L, -1)))")
        }
    }

    static func strings(_ L: OpaquePointer, _ idx: Int32, _ what: String) throws -> [String] {
        switch lua_type(L, idx) {
        case LUA_TSTRING: return [LuaState.string(L, idx) ?? ""]
        case LUA_TTABLE:
            let t = lua_absindex(L, idx)
            return try (0..<Int(lua_rawlen(L, t))).map { i in
                lua_rawgeti(L, t, lua_Integer(i + 1))
                defer { lh_pop(L, 1) }
                guard lua_type(L, -1) == LUA_TSTRING, let s = LuaState.string(L, -1) else {
                    throw HomelabError("\(what)[\(i + 1)]: expected a string, got \(describe(L, -1))")
                }
                return s
            }
        default: throw HomelabError("\(what): expected a list of strings, got \(describe(L, idx))")
        }
    }

    static func describe(_ L: OpaquePointer, _ idx: Int32) -> String {
        "a " + String(cString: lh_typename(L, idx))
    }

    /// A policy's keys: a count per period, "within" durations, tags.
    static let policyKeys = LuaOptions.Declaration(
        RetentionPolicy.Period.allCases.map { .integer($0.rawValue) } + [.string("within")]
            + RetentionPolicy.Period.allCases.filter { $0 != .last }.map { .string("within_" + $0.rawValue) }
            + [.raw("tags")],
        noun: "key")

    /// {daily = 30, monthly = 12, within = "2d", within_daily = "10d", tags = {"pinned", {"a", "b"}}}
    static func readPolicy(_ L: OpaquePointer, _ t: Int32, _ keys: LuaOptions) throws -> RetentionPolicy {
        var counts: [RetentionPolicy.Period: Int] = [:]
        var withinPeriods: [RetentionPolicy.Period: RetentionDuration] = [:]
        for period in RetentionPolicy.Period.allCases {
            counts[period] = keys.integer(period.rawValue).map { Int($0) }
            if period != .last, let text = keys.string("within_" + period.rawValue) {
                withinPeriods[period] = try RetentionDuration(parsing: text)
            }
        }
        let within = try keys.string("within").map(RetentionDuration.init(parsing:))
        var tags: [[String]] = []
        if keys["tags"] != nil {
            lua_rawgetfield(L, t, "tags")
            let list = lua_gettop(L)
            defer { lh_pop(L, 1) }
            guard lua_type(L, list) == LUA_TTABLE else { throw HomelabError("tags: expected a list") }
            for i in 0..<Int(lua_rawlen(L, list)) {
                lua_rawgeti(L, list, lua_Integer(i + 1))
                defer { lh_pop(L, 1) }
                tags.append(try strings(L, -1, "tags[\(i + 1)]"))
            }
        }
        return try RetentionPolicy(counts: counts.compactMapValues { $0 }, within: within,
                                   withinPeriods: withinPeriods, tags: tags)
    }

    /// group_by = "host,paths" | {"host", "tags"} | "" (one group)
    static func groupFields(_ L: OpaquePointer, _ t: Int32) throws -> Set<RetentionGroup.Field>? {
        guard lua_rawgetfield(L, t, "group_by") != LUA_TNIL else { lh_pop(L, 1); return nil }
        defer { lh_pop(L, 1) }
        var names = try strings(L, -1, "group_by")
        if names.count == 1 { names = names[0].split(separator: ",").map(String.init) }
        return Set(try names.map { name in
            guard let field = RetentionGroup.Field(rawValue: name) else {
                throw HomelabError("group_by: '\(name)' is not one of host, paths, tags")
            }
            return field
        })
    }

    /// Unix seconds, or RFC 3339 text as restic prints it.
    static func time(_ L: OpaquePointer, _ idx: Int32) throws -> ZonedTime {
        switch lua_type(L, idx) {
        case LUA_TNUMBER: return ZonedTime(unixSeconds: lh_tonumber(L, idx, nil), zone: SystemTimeZone())
        case LUA_TSTRING: return try ZonedTime(parsingRFC3339: LuaState.string(L, idx) ?? "")
        default: throw HomelabError("time: expected Unix seconds or RFC 3339 text, got \(describe(L, idx))")
        }
    }

    /// A snapshot table: time (required), host or hostname (restic's JSON),
    /// paths, tags, protected. `index` stands in for its id.
    static func snapshot(_ L: OpaquePointer, _ idx: Int32, index: Int) throws -> RetentionSnapshot {
        guard lua_type(L, idx) == LUA_TTABLE else {
            throw HomelabError("expected a table, got \(describe(L, idx))")
        }
        guard lua_rawgetfield(L, idx, "time") != LUA_TNIL else {
            lh_pop(L, 1)
            throw HomelabError("missing time")
        }
        let when = try time(L, -1)
        lh_pop(L, 1)
        let host = try stringField(L, idx, "host") ?? stringField(L, idx, "hostname") ?? ""
        func list(_ key: String) throws -> [String] {
            defer { lh_pop(L, 1) }
            return lua_rawgetfield(L, idx, key) == LUA_TNIL ? [] : try strings(L, -1, key)
        }
        lua_rawgetfield(L, idx, "protected")
        let protected = lua_toboolean(L, -1) != 0
        lh_pop(L, 1)
        return RetentionSnapshot(id: String(index), time: when, host: host, paths: try list("paths"),
                                 tags: try list("tags"), protected: protected)
    }

    // ---- the result ------------------------------------------------------------

    /// {keep = {...}, remove = {...}, reasons = {{snapshot =, matches = {...}}},
    ///  groups = {{host =, paths =, tags =, keep =, remove =, reasons =}}}
    /// Snapshots are the caller's tables, newest first.
    static func pushResult(_ L: OpaquePointer, _ decisions: [(RetentionGroup, RetentionDecision)]) {
        func pushSnapshot(_ s: RetentionSnapshot) { lua_rawgeti(L, 1, lua_Integer(Int(s.id)! + 1)) }
        func pushLists(_ parts: [RetentionDecision]) {
            let keep = parts.flatMap(\.keep), remove = parts.flatMap(\.remove)
            lua_createtable(L, Int32(keep.count), 0)
            for (i, k) in keep.enumerated() { pushSnapshot(k.snapshot); lua_rawseti(L, -2, lua_Integer(i + 1)) }
            lua_rawsetfield(L, -2, "keep")
            lua_createtable(L, Int32(remove.count), 0)
            for (i, s) in remove.enumerated() { pushSnapshot(s); lua_rawseti(L, -2, lua_Integer(i + 1)) }
            lua_rawsetfield(L, -2, "remove")
            lua_createtable(L, Int32(keep.count), 0)
            for (i, k) in keep.enumerated() {
                lua_createtable(L, 0, 2)
                pushSnapshot(k.snapshot)
                lua_rawsetfield(L, -2, "snapshot")
                k.reasons.push(L)
                lua_rawsetfield(L, -2, "matches")
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            lua_rawsetfield(L, -2, "reasons")
        }
        lua_createtable(L, 0, 4)
        pushLists(decisions.map(\.1))
        lua_createtable(L, Int32(decisions.count), 0)
        for (i, (group, decision)) in decisions.enumerated() {
            lua_createtable(L, 0, 6)
            if let host = group.host { host.push(L); lua_rawsetfield(L, -2, "host") }
            if let paths = group.paths { paths.push(L); lua_rawsetfield(L, -2, "paths") }
            if let tags = group.tags { tags.push(L); lua_rawsetfield(L, -2, "tags") }
            pushLists([decision])
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_rawsetfield(L, -2, "groups")
    }

    // ---- the compliance check ----------------------------------------------------

    /// check(model, runs_by_name, now, tz) -> rows, in the
    /// inventory's order. runs_by_name[name] is a list of {time =, ok =}
    /// (ok absent: a snapshot, so good), or nil when the source has none.
    static func check(_ call: LuaCall) throws -> Int32 {
        let handle = try call.object(1, ModelModule.InventoryHandle.self)
        let source = try call.table(2)
        do {
            let now = call.isNoneOrNil(3) ? ScheduleModule.now() : try ScheduleModule.seconds(try call.value(3), "now")
            let zone = try ScheduleModule.zone(try call.optString(4))
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
                        return BackupRun(time: try ScheduleModule.seconds(time, "\(policy.name)[\(i + 1)].time"), ok: ok)
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
