/// The roadmap reads as a plan: phases in order, one of them current.
extension InventoryChecks {
    /// Phase numbers rise; at most one phase is current; a phase before the
    /// current one is not still planned, nor one after it done.
    func roadmapInOrder() {
        let roadmap = inventory.roadmap
        let at = FieldPath().appending("roadmap")
        for i in roadmap.indices.dropFirst() where roadmap[i].number <= roadmap[i - 1].number {
            log.error(at.appending(index: i + 1).appending("phase"),
                      "phase \(roadmap[i].number) comes after phase \(roadmap[i - 1].number): number the phases in order")
        }
        let current = roadmap.indices.filter { roadmap[$0].status == "current" }
        if current.count > 1 {
            log.error(at, "phases \(current.map { String(roadmap[$0].number) }.joined(separator: " and ")) "
                + "are both current: one phase is")
        }
        guard let now = current.first else { return }
        for (i, phase) in roadmap.enumerated() {
            if i < now && phase.status == "planned" || i > now && phase.status == "done" {
                log.warning(at.appending(index: i + 1).appending("status"),
                            "phase \(phase.number) is \(phase.status) while phase \(roadmap[now].number) is current")
            }
        }
    }
}
