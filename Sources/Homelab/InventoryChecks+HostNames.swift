/// A host name with dots is a full name: generators place it in the site's
/// DNS zone by what comes before the site's domain. One outside that
/// domain cannot be placed as written.
extension InventoryChecks {
    /// A dotted node or guest name outside `site.domain` is a warning:
    /// gen bind would append the domain to it (web1.other.lan.DOMAIN).
    func dottedNamesInTheDomain() {
        let domain = inventory.site.domain.lowercased()
        let places: [(String, [String])] = [("nodes", inventory.nodes.map(\.name)), ("guests", inventory.guests.map(\.name))]
        for (section, names) in places {
            for (i, name) in names.enumerated() where name.contains(".") {
                let lower = name.lowercased()
                guard lower != domain, !lower.hasSuffix("." + domain) else { continue }
                log.warning(FieldPath().appending(section).appending(index: i + 1).appending("name"),
                            "'\(name)' is a full name outside the site's domain \(domain): gen bind would name it "
                            + "\(lower).\(domain); use its first label or a name in \(domain)")
            }
        }
    }
}
