import CLua
import CLuaShim
import Homelab
import LuaHost

/// `labsh.gen`: configuration files generated from an inventory (Homelab's
/// BindZones, OpenWrtConfig and Alerts), behind stdlib/lab/gen.lua. Each
/// function takes the inventory handle first (ARCHITECTURE.md: how a
/// binding gets the inventory) and returns text; writing files is the
/// caller's business (scripts/gen.lua writes them atomically).
enum GenModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 2)
        // bind([opts]) -> { {zone=, file=, text=}, ... }
        state.setFunction("bind") { call in
            let opts = try LuaOptions(call, 2, bindOptions)
            var settings = BindZones.Options()
            do {
                if let serial = opts.integer("serial") {
                    guard let s = UInt32(exactly: serial), s > 0 else { throw opts.fail("opts.serial must be an integer 1-4294967295") }
                    settings.serial = s
                    if opts["date"] != nil { throw opts.fail("give opts.serial or opts.date, not both") }
                } else if let date = opts.string("date") {
                    settings.serial = try BindZones.serial(date: date, revision: Int(opts.integer("revision") ?? 1))
                } else if opts["revision"] != nil {
                    throw opts.fail("opts.revision needs opts.date")
                }
                if let ttl = opts.integer("ttl") { settings.ttl = Int(ttl) }
                let zones = try BindZones.generate(try call.inventory(1), options: settings)
                let w = TableWriter(L: call.L)
                w.array(zones) { zone in
                    w.record {
                        w.field("zone", zone.zone)
                        w.field("file", zone.file)
                        w.field("text", zone.text)
                    }
                }
                return 1
            } catch let error as HomelabError {
                throw generatorError("bind", error)
            }
        }
        // openwrt([opts]) -> { network = text, firewall = text }
        state.setFunction("openwrt") { call in
            let opts = try LuaOptions(call, 2, openWrtOptions)
            var settings = OpenWrtConfig.Options()
            if let wan = opts.string("wan") { settings.wan = wan }
            if let trunk = opts["trunk"] {
                guard case .table(let list) = trunk, list.fields.isEmpty,
                      case let ports = list.array.compactMap(\.stringValue), ports.count == list.array.count else {
                    throw opts.fail("opts.trunk must be a list of port names")
                }
                settings.trunk = ports
            }
            do {
                let files = try OpenWrtConfig.generate(try call.inventory(1), options: settings)
                lua_createtable(call.L, 0, 2)
                files.network.push(call.L)
                lua_rawsetfield(call.L, -2, "network")
                files.firewall.push(call.L)
                lua_rawsetfield(call.L, -2, "firewall")
                return 1
            } catch let error as HomelabError {
                throw generatorError("openwrt", error)
            }
        }
        pushAlertExports(state)
        pushBlackbox(state)
    }

    /// blackbox([opts]) -> { {file=, text=}, ... }: blackbox.yml, the scrape
    /// jobs and their file_sd targets (Homelab/Generators/BlackboxConfig).
    static func pushBlackbox(_ state: LuaState) {
        state.setFunction("blackbox") { call in
            let opts = try LuaOptions(call, 2, blackboxOptions)
            var settings = BlackboxConfig.Options()
            if let exporter = opts.string("exporter") { settings.exporter = exporter }
            settings.caFile = opts.string("ca_file")
            if let seconds = opts.integer("interval") {
                guard seconds > 0 else { throw opts.fail("opts.interval must be a positive number of seconds") }
                settings.interval = .seconds(seconds)
            }
            do {
                let made = try BlackboxConfig.generate(try call.inventory(1), options: settings)
                let w = TableWriter(L: call.L)
                w.array(made.files) { file in
                    w.record {
                        w.field("file", file.name)
                        w.field("text", file.text)
                    }
                }
                return 1
            } catch let error as HomelabError {
                throw generatorError("blackbox", error)
            }
        }
        // probes() -> { {service=, kind=, target=}, ... }: the probed services (lab.slo).
        state.setFunction("probes") { call in
            let services = try call.inventory(1).services.filter { $0.probe != nil }
            let w = TableWriter(L: call.L)
            w.array(services) { service in
                w.record {
                    w.field("service", service.name)
                    w.field("kind", service.probe!.kind)
                    w.field("target", service.probe!.target)
                }
            }
            return 1
        }
    }

    /// prometheus_rules() -> text; alertmanager() -> text (Homelab/Alerts).
    static func pushAlertExports(_ state: LuaState) {
        state.setFunction("prometheus_rules") { call in
            _ = try LuaOptions(call, 2, noOptions)
            return call.push(PrometheusRules.generate(try call.inventory(1)))
        }
        state.setFunction("alertmanager") { call in
            _ = try LuaOptions(call, 2, noOptions)
            do { return call.push(try AlertmanagerConfig.generate(try call.inventory(1))) }
            catch let error as HomelabError { throw generatorError("alertmanager", error) }
        }
    }

    static let bindOptions = LuaOptions.Declaration(
        [.integer("serial"), .string("date"), .integer("revision"), .integer("ttl")], prefix: "opts.")
    static let openWrtOptions = LuaOptions.Declaration([.string("wan"), .any("trunk")], prefix: "opts.")
    static let blackboxOptions = LuaOptions.Declaration(
        [.string("exporter"), .string("ca_file"), .integer("interval")], prefix: "opts.")
    static let noOptions = LuaOptions.Declaration([])

    /// A generator's refusal as an error object: kind "gen", the target
    /// ("bind", "openwrt") and the model's message.
    static func generatorError(_ target: String, _ error: HomelabError) -> LuaRaise {
        .object(kind: "gen", message: "lab.gen.\(target): \(error.message)", fields: ["target": .str(target)])
    }
}
