/// The inventory's `alerting` section: who hears about an alert. Receivers
/// are data (webhook URLs, email addresses); their secrets are references
/// to files, which Alertmanager itself reads: a generated alertmanager.yml
/// never holds a secret.
extension Inventory {
    /// Where the model judges a rule without Prometheus: the usage figure
    /// (percent) of the capacity baseline for `usage` above `above`.
    public struct AlertModelThreshold: Sendable, Equatable {
        public var usage: String
        public var above: Double
    }

    public struct Alerting: Sendable {
        public var receivers: [Receiver] = []
        /// Severity ("P1"..."P4") -> receiver name; "default" for the root.
        public var route: [String: String] = [:]
        public var email: Email?
        public init() {}
    }

    public struct Receiver: Sendable {
        public var name: String
        public var webhook: Webhook?
        public var email: String?
    }

    public struct Webhook: Sendable {
        public var url: String
        /// Bearer token, as file:PATH (Alertmanager's credentials_file).
        public var bearer: SecretReference?
    }

    /// The SMTP relay for email receivers.
    public struct Email: Sendable {
        public var smarthost: String
        public var from: String
        public var user: String?
        public var password: SecretReference?
        public var requireTLS: Bool
    }
}

extension Inventory {
    static let alertKeys = ["name", "severity", "expr", "check", "for", "summary", "runbook",
                            "labels", "annotations", "model"]
    static let modelUsages = ["cpu", "ram", "storage", "network"]

    /// A table of strings ("labels", "annotations").
    static func stringMap(_ t: FieldTable, _ key: String) -> [String: String] {
        guard let v = t.fields[key] else { return [:] }
        let path = t.path.appending(key)
        switch v {
        case .list(let l) where l.isEmpty: return [:]
        case .map(let m):
            var out: [String: String] = [:]
            for (k, value) in m {
                guard case .string(let s) = value else {
                    t.log.error(path.appending(InventoryText.visible(k)), "expected a string, got a \(value.typeName)")
                    continue
                }
                out[k] = t.checkedText(s, at: path.appending(InventoryText.visible(k)))
            }
            return out
        default:
            t.log.error(path, "expected a table of strings, got a \(v.typeName)")
            return [:]
        }
    }

    static func decodeAlertModel(_ t: FieldTable) -> AlertModelThreshold? {
        guard let m = t.table("model", required: false, allowed: ["usage", "above"]) else { return nil }
        let usage = m.choice("usage", modelUsages), above = m.number("above")
        guard let usage, let above else { return nil }
        if !(0...100).contains(above) { m.log.error(m.path.appending("above"), "a percentage 0-100, not \(above)") }
        return AlertModelThreshold(usage: usage, above: above)
    }

    static func decodeAlerting(_ t: FieldTable) -> Alerting {
        var alerting = Alerting()
        alerting.receivers = (t.list("receivers") ?? []).compactMap { v, p in
            guard let r = FieldTable(v, at: p, log: t.log, allowed: ["name", "webhook", "email"]) else { return nil }
            guard let name = r.string("name") else { return nil }
            var webhook: Webhook?
            switch r.fields["webhook"] {
            case .string(let url)?:
                webhook = r.checkedText(url, at: p.appending("webhook")).map { Webhook(url: $0) }
            case .some(let other):
                if let w = FieldTable(other, at: p.appending("webhook"), log: t.log, allowed: ["url", "bearer"]),
                   let url = w.string("url") {
                    webhook = Webhook(url: url, bearer: fileSecret(w, "bearer"))
                }
            case nil: break
            }
            if let url = webhook?.url, !MonitoringEndpoint.isHTTPURL(url) {
                t.log.error(p.appending("webhook"), "'\(url)' is not an http:// or https:// URL")
            }
            let email = r.string("email", required: false)
            if let email, !InventoryText.isMailbox(email) {
                t.log.error(p.appending("email"), "'\(email)' is not one email address (like ops@example.org)")
            }
            if webhook == nil && email == nil { t.log.error(p, "a receiver needs a 'webhook' or an 'email'") }
            return Receiver(name: name, webhook: webhook, email: email)
        }
        let names = Set(alerting.receivers.map(\.name))
        if names.count != alerting.receivers.count { t.log.error(t.path.appending("receivers"), "receiver names must be unique") }
        if let route = t.table("route", allowed: AlertSeverity.allCases.map(\.rawValue) + ["default"]) {
            for key in route.fields.keys.sorted() {
                guard let name = route.string(key) else { continue }
                if !names.contains(name) {
                    t.log.error(route.path.appending(key), "no receiver named '\(name)'\(Suggestion.didYouMean(name, in: names.sorted()))")
                }
                alerting.route[key] = name
            }
            for severity in AlertSeverity.allCases where alerting.route[severity.rawValue] == nil {
                t.log.error(route.path, "missing route for \(severity.rawValue) (\(severity.channel))")
            }
        }
        if let e = t.table("email", required: false, allowed: ["smarthost", "from", "user", "password", "require_tls"]) {
            let smarthost = e.string("smarthost"), from = e.string("from")
            if let smarthost, !smarthost.contains(":") {
                e.log.error(e.path.appending("smarthost"), "host:port, like smtp.example.org:587")
            }
            if let from, !InventoryText.isMailbox(from) {
                e.log.error(e.path.appending("from"), "'\(from)' is not one email address (like alertmanager@example.org)")
            }
            let user = e.string("user", required: false), password = fileSecret(e, "password")
            if (user == nil) != (password == nil) { e.log.error(e.path, "'user' and 'password' go together") }
            if let smarthost, let from {
                alerting.email = Email(smarthost: smarthost, from: from, user: user, password: password,
                                       requireTLS: e.boolean("require_tls") ?? true)
            }
        } else if alerting.receivers.contains(where: { $0.email != nil }) {
            t.log.error(t.path, "email receivers need 'email = {smarthost =, from =}'")
        }
        return alerting
    }

    /// A secret that Alertmanager reads itself: only file:PATH will do
    /// (Alertmanager does not expand environment variables).
    static func fileSecret(_ t: FieldTable, _ key: String) -> SecretReference? {
        guard let text = t.string(key, required: false) else { return nil }
        do {
            let ref = try SecretReference(parsing: text)
            guard case .file = ref.source else {
                t.log.error(t.path.appending(key), "Alertmanager reads secrets from files: give file:PATH")
                return nil
            }
            return ref
        } catch {
            t.log.error(t.path.appending(key), "\(error)")
            return nil
        }
    }
}
