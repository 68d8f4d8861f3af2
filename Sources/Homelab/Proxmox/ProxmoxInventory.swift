/// The inventory with the cluster's guests in it: lab.inventory.from_pve()
/// and the model's live source (`source = "live"`). What the cluster gives
/// is read by the inventory's own guest and node readers, then the whole
/// inventory is checked as any inventory file is: the result is a normal
/// inventory, or the same errors a file with those guests would get.
extension Inventory {
    /// This inventory with `guests` (a list of guest tables, as an inventory
    /// file writes them) instead of its own, and `nodes` (the cluster's
    /// nodes it lacks) added to its nodes. Everything else stays.
    public func replacingGuests(_ guests: InventoryValue, addingNodes nodes: InventoryValue,
                                file: String) throws -> (Inventory, [Diagnostic]) {
        let log = DiagnosticLog()
        var inventory = self
        if let top = FieldTable(.map(["guests": guests, "nodes": nodes]), at: FieldPath(), log: log,
                                allowed: ["guests", "nodes"]) {
            inventory.guests = Inventory.decodeList(top, "guests", required: false, Inventory.decodeGuest)
            inventory.nodes += Inventory.decodeList(top, "nodes", required: false, Inventory.decodeNode)
        }
        if !log.hasErrors { InventoryChecks(inventory, log: log).run() }
        guard !log.hasErrors else { throw InventoryError(file: file, diagnostics: log.items) }
        return (inventory, log.items)
    }
}
