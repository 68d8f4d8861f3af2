import Testing
@testable import Homelab

/// ProxmoxSchema on a small schema written here: path matching (a literal
/// segment beats a variable), parameter checks, "[n]" names, privileges.
@Suite struct ProxmoxSchemaTests {
    static func param(_ type: String, optional: Bool = false, _ extra: InventoryFields = [:]) -> InventoryValue {
        var fields = extra
        fields["type"] = .string(type)
        if optional { fields["optional"] = .integer(1) }
        return .map(fields)
    }

    static let schema: ProxmoxSchema = {
        let vmid = param("integer", ["minimum": .integer(100), "maximum": .integer(999_999_999)])
        let paths: InventoryFields = [
            "/nodes/{node}/qemu/{vmid}/config": .map([
                "PUT": .map([
                    "parameters": .map(["additionalProperties": .integer(0), "properties": .map([
                        "node": param("string"), "vmid": vmid,
                        "cores": param("integer", optional: true, ["minimum": .integer(1)]),
                        "net[n]": param("string", optional: true),
                        "onboot": param("boolean", optional: true),
                    ])]),
                    "permissions": .map(["check": .list([.string("perm"), .string("/vms/{vmid}"),
                                                         .list([.string("VM.Config.CPU"), .string("VM.Config.Network")]),
                                                         .string("any"), .integer(1)])]),
                ]),
            ]),
            "/nodes/{node}/qemu/{vmid}": .map(["GET": .map(["parameters": .map(["properties": .map(["node": param("string"), "vmid": vmid])])])]),
            "/nodes/{node}/status": .map(["GET": .map(["permissions": .map(["user": .string("all")])])]),
            "/nodes/{node}/{other}": .map(["GET": .map([:])]),
        ]
        return try! ProxmoxSchema(.map(["paths": .map(paths)]))
    }()

    @Test func literalSegmentsBeatVariables() throws {
        #expect(try Self.schema.match("/nodes/pve1/status").template == "/nodes/{node}/status")
        #expect(try Self.schema.match("/nodes/pve1/anything").template == "/nodes/{node}/{other}")
        let m = try Self.schema.match("/nodes/pve%201/qemu/101")
        #expect(m.variables.map(\.value) == ["pve 1", "101"])
    }

    @Test func parametersAreCheckedAndEncoded() throws {
        let call = try Self.schema.check("PUT", "/nodes/pve1/qemu/101/config",
                                         [("cores", .integer(4)), ("net0", .string("virtio,bridge=vmbr0")), ("onboot", .boolean(true))])
        #expect(call.fields.map { "\($0.name)=\($0.value)" } == ["cores=4", "net0=virtio,bridge=vmbr0", "onboot=1"])
        #expect(Self.schema.privilege(call.operation, call.variables) == "VM.Config.CPU or VM.Config.Network on /vms/101")
    }

    @Test func refusalsNameTheProblemAndListTheParameters() {
        func problem(_ params: [(name: String, value: InventoryValue)], path: String = "/nodes/pve1/qemu/101/config") -> String {
            do { _ = try Self.schema.check("PUT", path, params); return "" } catch { return "\(error)" }
        }
        #expect(problem([("core", .integer(4))]).contains("unknown parameter 'core' (did you mean 'cores'?)"))
        #expect(problem([("cores", .integer(0))]).contains("'cores' (integer) must be at least 1, not 0"))
        #expect(problem([("cores", .string("4"))]).contains("'cores' (integer) must be an integer, not a string"))
        #expect(problem([("netx", .string("a"))]).contains("unknown parameter 'netx'"))
        #expect(problem([("vmid", .integer(5))]).contains("'vmid' is part of the path"))
        #expect(problem([], path: "/nodes/pve1/qemu/42/config").contains("'vmid' (integer) must be at least 100"))
        #expect(problem([("cores", .integer(0))]).contains("parameters of PUT /nodes/{node}/qemu/{vmid}/config:\n  node string required"))
    }

    @Test func privilegesInWords() throws {
        let status = try Self.schema.check("GET", "/nodes/pve1/status", [])
        #expect(Self.schema.privilege(status.operation, status.variables) == "any authenticated user")
        let other = try Self.schema.check("GET", "/nodes/pve1/x", [])
        #expect(Self.schema.privilege(other.operation, other.variables) == "no check declared")
    }

    @Test func upidsParseStrictly() throws {
        let u = try UPID(parsing: "UPID:pve2:0003A1B2:0123ABCD:6570F00D:vzdump:101:backup@pve!job:")
        #expect(u.node == "pve2" && u.pid == 0x3A1B2 && u.startTime == 0x6570F00D && u.type == "vzdump" && u.id == "101"
                && u.user == "backup@pve!job")
        #expect(try UPID(parsing: "UPID:pve2:0003A1B2:0123ABCD:6570F00D:vncproxy::root@pam:").id == "")
        for bad in ["UPID:pve2:1:2:3:t:i:u@pam", "upid:pve2:1:2:3:t:i:u@pam:", "UPID:pve 2:1:2:3:t:i:u@pam:",
                    "UPID:pve2:1:2:3:t:i/..:u@pam:", "UPID:pve2:g:2:3:t:i:u@pam:", "UPID:pve2:1:2:3::i:u@pam:"] {
            #expect(throws: HomelabError.self, "\(bad)") { try UPID(parsing: bad) }
        }
    }
}
