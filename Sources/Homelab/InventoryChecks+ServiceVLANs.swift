/// A service's `vlan` and where it is reached must agree (ServiceReach).
extension InventoryChecks {
    /// Stated addresses off the service's VLAN contradict it: an error. A
    /// service whose machine or platform has no address on its VLAN is not
    /// wrong, only unfinished (its address there is not stated): a warning,
    /// and `gen bind` gives it no record rather than one on another VLAN.
    func servicesOnTheirVLANs() {
        for (i, service) in inventory.services.enumerated() {
            let at = FieldPath().appending("services").appending(index: i + 1)
            if let vlan = inventory.vlan(id: service.vlan) {
                for (j, address) in service.addresses.enumerated() where !vlan.subnet.contains(address) {
                    log.error(at.appending("addresses").appending(index: j + 1),
                              "\(address) is outside VLAN \(vlan.id)'s subnet \(vlan.subnet) (the service's vlan)")
                }
            }
            if case .offVLAN(let why) = inventory.reach(of: service) {
                log.warning(at, "\(service.name) \(why): state its addresses on VLAN \(service.vlan) "
                    + "(addresses = {...}) or correct its vlan; gen bind gives it no record until then")
            }
        }
    }
}
