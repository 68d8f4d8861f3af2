/// §5.2's alert catalogue as rules: what each inventory alert becomes in
/// Prometheus (alert name, labels, annotations) and how fast someone must
/// answer it. PromQL itself is not parsed here: `promtool check rules` is
/// the judge of an expression; labsh checks only what it owns (names,
/// labels, links, durations, and that brackets and quotes are balanced).
public enum AlertSeverity: String, Sendable, CaseIterable, Comparable {
    case p1 = "P1", p2 = "P2", p3 = "P3", p4 = "P4"

    /// §5.2: P1 immediate, P2 within 30 minutes, P3 within 4 hours, P4 daily.
    public var responseTime: Duration {
        switch self {
        case .p1: return .zero
        case .p2: return .seconds(30 * 60)
        case .p3: return .seconds(4 * 3600)
        case .p4: return .seconds(24 * 3600)
        }
    }

    /// The response time as people say it: "immediate", "30m", "4h", "daily".
    public var responseText: String {
        switch self {
        case .p1: return "immediate"
        case .p2: return "30m"
        case .p3: return "4h"
        case .p4: return "daily"
        }
    }

    /// What answers it: P1 pages, P2 goes to chat, P3 opens a ticket, P4
    /// waits for the daily digest.
    public var channel: String {
        switch self {
        case .p1: return "page"
        case .p2: return "chat"
        case .p3: return "ticket"
        case .p4: return "digest"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// One rule of the catalogue, ready for Prometheus or for labsh.
public struct AlertRule: Sendable {
    public var name: String
    /// The Prometheus alert name: the inventory name in UpperCamelCase
    /// ("node-down" -> "NodeDown").
    public var alertname: String
    public var severity: AlertSeverity
    public var summary: String
    /// The PromQL condition as written, or nil for a labsh check.
    public var expr: String?
    /// The labsh check that decides it where no metric exists.
    public var check: String?
    public var holdFor: Duration?
    public var runbook: String?
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Where the model can judge the rule without Prometheus: a usage
    /// figure of the capacity baseline (cpu, ram, storage, network) and the
    /// percentage above which the rule fires.
    public var model: Inventory.AlertModelThreshold?

    public var responseTime: Duration { severity.responseTime }

    /// The expression Prometheus evaluates. A check rule reads the status
    /// labsh (or any external signal: an IDS, a webhook relay) publishes as
    /// `labsh_check_status{check="NAME"}` with the Monitoring Plugins codes,
    /// through the textfile collector or the Pushgateway: 2 is CRITICAL.
    public var prometheusExpr: String {
        if let expr { return expr }
        return "labsh_check_status{check=\"\(check ?? name)\"} >= 2"
    }

    /// Labels on the alert: the inventory's, then severity, the response
    /// time and the rule's name, which labsh owns.
    public var allLabels: [(String, String)] {
        var all = labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        all.append(("severity", severity.rawValue))
        all.append(("response", severity.responseText))
        all.append(("rule", name))
        return all
    }

    /// Annotations: summary, the runbook link, then the inventory's.
    public var allAnnotations: [(String, String)] {
        var all: [(String, String)] = [("summary", summary)]
        if let runbook { all.append(("runbook_url", runbook)) }
        all += annotations.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return all
    }
}

extension AlertRule {
    /// "node-down" -> "NodeDown"; "cert_expiry-7d" -> "CertExpiry7d".
    public static func alertname(for name: String) -> String {
        var out = ""
        var upper = true
        for ch in name {
            if ch == "-" || ch == "_" || ch == " " || ch == "." { upper = true; continue }
            out += upper ? ch.uppercased() : String(ch)
            upper = false
        }
        return out
    }

    public init(_ a: Inventory.Alert) {
        self.init(name: a.name, alertname: Self.alertname(for: a.name),
                  severity: AlertSeverity(rawValue: a.severity) ?? .p4, summary: a.summary,
                  expr: a.expr, check: a.check, holdFor: a.holdFor, runbook: a.runbook,
                  labels: a.labels, annotations: a.annotations, model: a.model)
    }
}

/// The catalogue of an inventory.
public enum AlertCatalogue {
    /// Every rule, in inventory order, or those of one severity.
    public static func rules(_ inventory: Inventory, severity: AlertSeverity? = nil) -> [AlertRule] {
        inventory.alerts.map(AlertRule.init).filter { severity == nil || $0.severity == severity }
    }

    /// A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not reserved (`__`).
    public static func isLabelName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !s.hasPrefix("__") else { return false }
        func letter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a || c == 0x5f }
        return letter(first) && s.utf8.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// What is wrong with an expression that labsh can see without parsing
    /// PromQL: unbalanced (), [], {} or an unterminated string.
    public static func bracketProblem(_ expr: String) -> String? {
        var stack: [UInt8] = []
        var quote: UInt8?
        var escaped = false
        for c in expr.utf8 {
            if let q = quote {
                if escaped { escaped = false } else if c == 0x5c && q != 0x60 { escaped = true } else if c == q { quote = nil }
                continue
            }
            switch c {
            case 0x22, 0x27, 0x60: quote = c
            case 0x28: stack.append(0x29)
            case 0x5b: stack.append(0x5d)
            case 0x7b: stack.append(0x7d)
            case 0x29, 0x5d, 0x7d:
                guard stack.popLast() == c else { return "unbalanced '\(Character(Unicode.Scalar(c)))'" }
            default: break
            }
        }
        if quote != nil { return "unterminated string" }
        if let open = stack.last { return "missing '\(Character(Unicode.Scalar(open)))'" }
        return nil
    }

    static let ownLabels = ["severity", "response", "rule", "alertname"]
    static let ownAnnotations = ["summary", "runbook_url"]

    /// Checks the catalogue as a whole and each rule's fields.
    static func validate(_ alerts: [(Inventory.Alert, FieldPath)], log: DiagnosticLog) {
        var seen: [String: FieldPath] = [:]
        var alertnames: [String: String] = [:]
        for (a, path) in alerts {
            if seen[a.name] != nil { log.error(path.appending("name"), "duplicate alert name '\(a.name)'") }
            seen[a.name] = path
            let alertname = AlertRule.alertname(for: a.name)
            if let other = alertnames[alertname], other != a.name {
                log.error(path.appending("name"), "'\(a.name)' and '\(other)' both become the alert \(alertname)")
            }
            alertnames[alertname] = a.name
            if alertname.isEmpty || !isLabelName(alertname) {
                log.error(path.appending("name"), "'\(a.name)' does not make a Prometheus alert name (letters, digits, - and _)")
            }
            if a.expr != nil && a.check != nil { log.error(path, "give 'expr' or 'check', not both") }
            if let expr = a.expr {
                if expr.allSatisfy(\.isWhitespace) { log.error(path.appending("expr"), "empty expression") }
                if let problem = bracketProblem(expr) { log.error(path.appending("expr"), "\(problem) in '\(expr)'") }
            }
            if let check = a.check, check.isEmpty || check.contains("\"") || check.contains("\\") {
                log.error(path.appending("check"), "a check name is a plain word, like 'backup-failed'")
            }
            for key in a.labels.keys.sorted() {
                if !isLabelName(key) {
                    let shown = InventoryText.visible(key)  // a key may hold anything: never echo a control character
                    log.error(path.appending("labels").appending(shown), "'\(shown)' is not a Prometheus label name")
                } else if ownLabels.contains(key) {
                    log.error(path.appending("labels").appending(key), "'\(key)' is set by labsh from the rule")
                }
            }
            for key in a.annotations.keys.sorted() {
                if !isLabelName(key) {
                    let shown = InventoryText.visible(key)
                    log.error(path.appending("annotations").appending(shown), "'\(shown)' is not an annotation name")
                } else if ownAnnotations.contains(key) {
                    log.error(path.appending("annotations").appending(key),
                              "'\(key)' comes from the rule's \(key == "summary" ? "summary" : "runbook")")
                }
            }
            if let runbook = a.runbook {
                if !MonitoringEndpoint.isHTTPURL(runbook) {
                    log.error(path.appending("runbook"), "'\(runbook)' is not an http:// or https:// link")
                }
            } else {
                log.warning(path, "alert '\(a.name)' has no runbook link")
            }
            if a.expr != nil && a.holdFor == nil && a.severity != "P1" {
                log.warning(path, "alert '\(a.name)' fires on the first evaluation: give it a 'for'")
            }
        }
    }
}
