
/// labsh's own command-line options, readable from Lua as `lab.options`.
public struct LabOptions {
    public var inventory: String?
    public var dryRun = false
    public var yes = false
    /// --emergency: a normal change outside the maintenance window (§5.3).
    public var emergency = false
    public var format = "text"
    public var timeout: Double?
    public var memoryLimit: Int?

    public init() {}
}
