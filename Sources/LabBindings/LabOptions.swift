import LuaHost

/// labsh's own command-line options, readable from Lua as `lab.options`.
public struct LabOptions {
    public var inventory: String?
    public var dryRun = false
    public var yes = false
    public var format = "text"
    public var timeout: Double?
    public var memoryLimit: Int?

    public init() {}

    var table: LuaTable {
        var t = LuaTable()
        t.fields[.str("dry_run")] = .boolean(dryRun)
        t.fields[.str("yes")] = .boolean(yes)
        t.fields[.str("format")] = .str(format)
        if let inventory { t.fields[.str("inventory")] = .str(inventory) }
        if let timeout { t.fields[.str("timeout")] = .number(timeout) }
        if let memoryLimit { t.fields[.str("memory_limit")] = .integer(Int64(memoryLimit)) }
        return t
    }
}
