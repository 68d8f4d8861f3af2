
/// labsh's own command-line options, readable from Lua as `lab.options`.
public struct LabOptions {
    public var inventory: String?
    public var dryRun = false
    public var yes = false
    public var format = "text"
    public var timeout: Double?
    public var memoryLimit: Int?

    public init() {}
}
