/// A Proxmox task id, as a write that starts a task returns it:
/// UPID:NODE:PID:PSTART:STARTTIME:TYPE:ID:USER:  (PID, PSTART, STARTTIME in
/// hex). Parsed strictly: it comes from the server and goes into a URL.
public struct UPID: Sendable, Equatable {
    public var text: String
    public var node: String
    public var pid: Int
    public var startTime: Int
    public var type: String
    public var id: String
    public var user: String

    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        func bad(_ why: String) -> HomelabError {
            HomelabError("not a task id (UPID): \(why): '\(InventoryText.visible(String(text.prefix(200))))'")
        }
        guard text.utf8.count <= 512 else { throw bad("longer than 512 bytes") }
        guard parts.count == 9, parts[0] == "UPID", parts[8].isEmpty else { throw bad("expected UPID:NODE:PID:PSTART:STARTTIME:TYPE:ID:USER:") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?")
                                     && $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "%") }) else {
            throw bad("it has spaces, controls, non-ASCII or URL bytes")
        }
        guard InventoryText.isHostName(String(parts[1])) else { throw bad("'\(parts[1])' is not a node name") }
        guard let pid = Int(parts[2], radix: 16), let _ = Int(parts[3], radix: 16),
              let start = Int(parts[4], radix: 16) else { throw bad("PID, PSTART and STARTTIME must be hex") }
        guard !parts[5].isEmpty, !parts[7].isEmpty else { throw bad("no task type or user") }
        self.text = text
        node = String(parts[1])
        self.pid = pid
        startTime = start
        type = String(parts[5])
        id = String(parts[6])
        user = String(parts[7])
    }
}
