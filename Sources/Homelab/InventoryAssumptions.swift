/// `assumed = { "ram", "vcpu" }` on a node or guest: which of its own
/// fields are assumptions (plausible choices where the plan is silent), not
/// facts. Reports label every figure computed from one (`basis = "assumed"`).
extension FieldTable {
    /// The fields named by `assumed`, in order, each once. A name that is not
    /// one of `fields`, or that this entry does not set, is an error.
    func assumed(among fields: [String]) -> [String] {
        guard let items = list("assumed", required: false) else { return [] }
        var names: [String] = []
        for (value, at) in items {
            guard case .string(let name) = value else {
                log.error(at, "expected a field name, got a \(value.typeName)")
                continue
            }
            let shown = InventoryText.visible(name)
            guard FieldTable.isOne(of: fields, name) else {
                log.error(at, "'\(shown)' is not a field that can be assumed here (one of: \(fields.joined(separator: ", ")))")
                continue
            }
            guard has(name) else {
                log.error(at, "'\(shown)' is assumed but not set")
                continue
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }
}
