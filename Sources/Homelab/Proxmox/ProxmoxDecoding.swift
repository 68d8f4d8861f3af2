/// Reads the inventory's `proxmox` section with the inventory's own field
/// rules (unknown keys with did-you-mean, types), then ProxmoxConfig's.
extension Inventory {
    static func decodeProxmox(_ t: FieldTable) -> ProxmoxConfig? {
        let log = t.log
        var servers: [ProxmoxConfig.Server] = []
        let sharedCA = t.string("ca_file", required: false)
        for (value, path) in t.list("urls") ?? [] {
            do {
                switch value {
                case .string(let url):
                    servers.append(try ProxmoxConfig.server(url: url, fingerprint: nil, caFile: sharedCA))
                default:
                    guard let s = FieldTable(value, at: path, log: log, allowed: ProxmoxConfig.serverKeys),
                          let url = s.string("url") else { continue }
                    let fingerprint = s.string("fingerprint", required: false)
                    servers.append(try ProxmoxConfig.server(url: url, fingerprint: fingerprint,
                                                            caFile: s.string("ca_file", required: false) ?? sharedCA))
                }
            } catch {
                log.error(path, "\(error)")
            }
        }
        if log.hasErrors { return nil }
        do {
            let secret = { (field: String) in try t.string(field, required: false).map(SecretReference.init(parsing:)) }
            return try ProxmoxConfig(servers: servers, token: secret("token"), user: t.string("user", required: false),
                                     password: secret("password"), insecure: t.boolean("insecure") ?? false,
                                     timeout: t.number("timeout", required: false))
        } catch {
            log.error(t.path, "\(error)")
            return nil
        }
    }
}

extension ProxmoxConfig {
    /// A `proxmox` section given outside an inventory (lab.pve.connect{}),
    /// checked by the same rules; every problem is in the one error.
    public init(decoding value: InventoryValue, at place: String) throws {
        let log = DiagnosticLog()
        guard let table = FieldTable(.map([place: value]), at: FieldPath(), log: log, allowed: [place]),
              let section = table.table(place, allowed: ProxmoxConfig.keys),
              let config = Inventory.decodeProxmox(section), !log.hasErrors else {
            throw HomelabError(log.items.map(\.description).joined(separator: "; "))
        }
        self = config
    }
}
