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

    /// prune's options: semantics, group_by (read by groupFields), now (by time).
    static let pruneOptions = LuaOptions.Declaration([
        .string("semantics", choices: RetentionPolicy.Semantics.allCases.map(\.rawValue)), .raw("group_by"), .raw("now"),
    ])

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
        let w = TableWriter(L: L)
        func snapshot(_ s: RetentionSnapshot) { lua_rawgeti(L, 1, lua_Integer(Int(s.id)! + 1)) }
        func lists(_ parts: [RetentionDecision]) {
            let keep = parts.flatMap(\.keep)
            w.list("keep", keep) { snapshot($0.snapshot) }
            w.list("remove", parts.flatMap(\.remove), snapshot)
            w.list("reasons", keep) { k in
                w.record {
                    snapshot(k.snapshot)
                    lua_rawsetfield(L, -2, "snapshot")
                    w.field("matches", k.reasons)
                }
            }
        }
        w.record {
            lists(decisions.map(\.1))
            w.list("groups", decisions) { group, decision in
                w.record {
                    w.field("host", group.host)
                    w.field("paths", group.paths)
                    w.field("tags", group.tags)
                    lists([decision])
                }
            }
        }
    }

    // ---- the compliance check ----------------------------------------------------

    /// check(model, runs_by_name, now, tz) -> rows, in the
    /// inventory's order. runs_by_name[name] is a list of {time =, ok =}
    /// (ok absent: a snapshot, so good), or nil when the source has none.
    static func check(_ call: LuaCall) throws -> Int32 {
        let inventory = try call.inventory(1)
        let source = try call.table(2)
        do {
            let now = call.isNoneOrNil(3) ? ScheduleModule.now() : try ScheduleModule.seconds(try call.value(3), "now")
            let zone = try ScheduleModule.zone(try call.optString(4))
            var rows: [(BackupCompliance, BackupPolicy)] = []
            for policy in try BackupPolicy.all(in: inventory) {
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
                rows.append((BackupCompliance.evaluate(policy, runs: runs, now: now, zone: zone), policy))
            }
            let w = TableWriter(L: call.L)
            w.array(rows) { push($0.0, $0.1, zone, w) }
            return 1
        } catch let e as HomelabError {
            throw LuaRaise.message(e.message)
        }
    }

    static func push(_ c: BackupCompliance, _ p: BackupPolicy, _ zone: TimeZoneRules, _ w: TableWriter) {
        w.record {
            w.field("name", c.name)
            w.field("resource", p.resource)
            w.field("status", c.status.rawValue)
            w.field("schedule", p.schedule.text)
            w.field("newest", c.newest.map { ZonedTime(unixSeconds: Double($0), zone: zone).description })
            // Text for people (the table's columns), seconds for machines.
            for (key, seconds) in [("age", c.age), ("max_age", c.maxAge), ("rpo", c.rpo)] {
                w.field(key, seconds.map(BackupCompliance.text))
                w.field(key + "_seconds", seconds)
            }
            w.field("interval_seconds", c.interval)
            for (key, count) in [("runs", c.runs), ("good", c.good), ("gaps", c.gaps), ("copies", c.copies),
                                 ("media", c.media), ("offsite", c.offsite)] {
                w.field(key, count)
            }
            w.field("success", c.successRate)
            w.field("semantics", p.semantics.rawValue)
            w.field("problems", c.problems)
        }
    }
}
