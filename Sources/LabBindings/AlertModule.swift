import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.alert`: the inventory's alert catalogue as Swift validated it
/// (Homelab/Alerts), for stdlib/lab/alert.lua. `rules(inventory, [severity])`
/// gives the rules as plain tables; `evaluate_model(inventory, [severity])`
/// judges them from the model alone. The inventory handle comes first, as
/// in every binding (ARCHITECTURE.md).
enum AlertModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        state.setFunction("rules") { call in
            let severity = try severityArgument(call, 2)
            let rules = AlertCatalogue.rules(try call.inventory(1), severity: severity)
            let w = TableWriter(L: call.L)
            w.array(rules) { push($0, w) }
            return 1
        }
        state.setFunction("evaluate_model") { call in
            let severity = try severityArgument(call, 2)
            let verdicts = AlertCatalogue.evaluateOnModel(try call.inventory(1), severity: severity)
            let w = TableWriter(L: call.L)
            w.array(verdicts) { v in
                w.record {
                    w.field("name", v.rule.name)
                    w.field("alertname", v.rule.alertname)
                    w.field("severity", v.rule.severity.rawValue)
                    w.field("state", v.state.rawValue)
                    w.field("value", v.value)
                    w.field("reason", v.reason)
                    w.field("summary", v.rule.summary)
                    w.field("runbook", v.rule.runbook)
                }
            }
            return 1
        }
    }

    static func severityArgument(_ call: LuaCall, _ i: Int32) throws -> AlertSeverity? {
        try call.optChoice(i, AlertSeverity.allCases.map(\.rawValue), what: "severity").flatMap(AlertSeverity.init(rawValue:))
    }

    static func push(_ rule: AlertRule, _ w: TableWriter) {
        w.record {
            w.field("name", rule.name)
            w.field("alertname", rule.alertname)
            w.field("severity", rule.severity.rawValue)
            w.field("response", rule.severity.responseText)
            w.field("response_seconds", Int64(rule.responseTime.components.seconds))
            w.field("channel", rule.severity.channel)
            w.field("summary", rule.summary)
            w.field("expr", rule.expr)
            w.field("check", rule.check)
            w.field("publisher", CheckPublishers.publisher(of: rule))
            w.field("query", rule.prometheusExpr)
            w.field("for", rule.holdFor.map { Int64($0.components.seconds) })
            w.field("runbook", rule.runbook)
            w.table("labels") { for (k, v) in rule.allLabels { w.field(k, v) } }
            w.table("annotations") { for (k, v) in rule.allAnnotations { w.field(k, v) } }
            if let m = rule.model {
                w.table("model") {
                    w.field("usage", m.usage)
                    w.field("above", m.above)
                }
            }
        }
    }
}
