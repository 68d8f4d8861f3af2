import Glibc
import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.retention`: the retention engine for `lab.backup.prune`.
/// Snapshots are read straight off the Lua stack, and the decision hands
/// back the caller's own snapshot tables, so every field they had survives.
enum RetentionModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 1)
        state.setFunction("prune") { call in try prune(call) }
    }

    /// prune(snapshots, policy [, opts]) -> {keep, remove, reasons, groups}
    static func prune(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
        guard call.type(2) == LUA_TTABLE else { throw call.typeError(2, "table") }
        let policy: RetentionPolicy
        do { policy = try readPolicy(L, 2) } catch { throw LuaRaise.argument(2, "\(error)") }
        var semantics = RetentionPolicy.Semantics.restic
        var fields: Set<RetentionGroup.Field> = [.host, .paths]
        var now = ZonedTime(unixSeconds: SysModule.clockSeconds(CLOCK_REALTIME), zone: SystemTimeZone())
        if !call.isNoneOrNil(3) {
            guard call.type(3) == LUA_TTABLE else { throw call.typeError(3, "table") }
            do {
                if let text = try stringField(L, 3, "semantics") {
                    guard let s = RetentionPolicy.Semantics(rawValue: text) else {
                        throw HomelabError("semantics '\(text)' is not one of restic, restic-0.14, pbs")
                    }
                    semantics = s
                }
                if let group = try groupFields(L, 3) { fields = group }
                if lua_rawgetfield(L, 3, "now") != LUA_TNIL { now = try time(L, -1) }
                lh_pop(L, 1)
            } catch let e as HomelabError {
                throw LuaRaise.argument(3, e.message)
            }
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

    static func integerField(_ L: OpaquePointer, _ t: Int32, _ key: String) throws -> Int? {
        defer { lh_pop(L, 1) }
        switch lua_rawgetfield(L, t, key) {
        case LUA_TNIL: return nil
        case LUA_TNUMBER where lua_isinteger(L, -1) != 0: return Int(lh_tointeger(L, -1, nil))
        default: throw HomelabError("\(key): expected an integer, got \(describe(L, -1))")
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

    static let policyKeys = ["last", "hourly", "daily", "weekly", "monthly", "yearly", "within", "within_hourly",
                             "within_daily", "within_weekly", "within_monthly", "within_yearly", "tags"]

    /// {daily = 30, monthly = 12, within = "2d", within_daily = "10d", tags = {"pinned", {"a", "b"}}}
    static func readPolicy(_ L: OpaquePointer, _ t: Int32) throws -> RetentionPolicy {
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            lh_pop(L, 1)
            guard lua_type(L, -1) == LUA_TSTRING, let key = LuaState.string(L, -1), policyKeys.contains(key) else {
                let key = LuaState.string(L, -1) ?? "?"
                lh_pop(L, 1)
                throw HomelabError("unknown key '\(key)'\(Suggestion.didYouMean(key, in: policyKeys))")
            }
        }
        var counts: [RetentionPolicy.Period: Int] = [:]
        var withinPeriods: [RetentionPolicy.Period: RetentionDuration] = [:]
        for period in RetentionPolicy.Period.allCases {
            counts[period] = try integerField(L, t, period.rawValue)
            if period != .last, let text = try stringField(L, t, "within_" + period.rawValue) {
                withinPeriods[period] = try RetentionDuration(parsing: text)
            }
        }
        let within = try stringField(L, t, "within").map(RetentionDuration.init(parsing:))
        var tags: [[String]] = []
        if lua_rawgetfield(L, t, "tags") != LUA_TNIL {
            let list = lua_gettop(L)
            defer { lh_pop(L, 1) }
            guard lua_type(L, list) == LUA_TTABLE else { throw HomelabError("tags: expected a list") }
            for i in 0..<Int(lua_rawlen(L, list)) {
                lua_rawgeti(L, list, lua_Integer(i + 1))
                defer { lh_pop(L, 1) }
                tags.append(try strings(L, -1, "tags[\(i + 1)]"))
            }
        } else {
            lh_pop(L, 1)
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
}
