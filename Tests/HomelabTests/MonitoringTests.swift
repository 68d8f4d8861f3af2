import Testing
@testable import Homelab

@Suite struct MonitoringTests {
    @Test func endpointsAreURLsOrTablesWithSecretReferences() throws {
        var top = sampleInventory()
        top["monitoring"] = .map([
            "prometheus": .string("http://127.0.0.1:9090"),
            "alertmanager": .map(["url": .string("https://am.example.test:9093"), "ca_file": .string("/etc/ssl/lab.pem"),
                                  "user": .string("ops"), "password": .string("file:/etc/labsh/am.pass")]),
            "pushgateway": .map(["url": .string("http://127.0.0.1:9091"), "bearer": .string("env:PUSH_TOKEN"),
                                 "insecure": .boolean(true)]),
            "textfile_dir": .string("/var/lib/prometheus/node-exporter"),
        ])
        let (inventory, _) = try Inventory.load(.map(top), file: "test.lua")
        let m = inventory.monitoring
        #expect(m.prometheus?.url == "http://127.0.0.1:9090")
        #expect(m.prometheus?.bearer == nil)
        #expect(m.alertmanager?.caFile == "/etc/ssl/lab.pem")
        #expect(m.alertmanager?.password?.source == .file("/etc/labsh/am.pass"))
        #expect(m.pushgateway?.bearer?.description == "env:PUSH_TOKEN")
        #expect(m.pushgateway?.insecure == true)
        #expect(m.textfileDirectory == "/var/lib/prometheus/node-exporter")
    }

    @Test func aSecretWrittenOutIsRefusedWithoutEchoingIt() {
        var top = sampleInventory()
        top["monitoring"] = .map(["prometheus": .map(["url": .string("http://127.0.0.1:9090"),
                                                      "bearer": .string("hunter2-token")])])
        let errors = loadErrors(top)
        #expect(errors == ["monitoring.prometheus: a secret is given as a reference, env:NAME or file:PATH, never as the secret itself"])
        #expect(!errors.joined().contains("hunter2"))
    }

    @Test func badEndpointsNameTheirPath() {
        var top = sampleInventory()
        top["monitoring"] = .map([
            "prometheus": .string("192.168.20.10:9090"),
            "alertmanager": .map(["url": .string("http://127.0.0.1:9093"), "user": .string("ops")]),
            "pushgateway": .map(["url": .string("http://127.0.0.1:9091"), "token": .string("env:X")]),
        ])
        let errors = loadErrors(top)
        #expect(errors.contains("monitoring.prometheus: '192.168.20.10:9090' is not an http:// or https:// URL"))
        #expect(errors.contains("monitoring.alertmanager: 'user' and 'password' go together"))
        #expect(errors.contains("monitoring.pushgateway.token: unknown key 'token'"))
    }

    @Test func secretReferences() throws {
        #expect(try SecretReference(parsing: "env:PROM_TOKEN").source == .environment("PROM_TOKEN"))
        #expect(try SecretReference(parsing: "file:/run/secrets/x").source == .file("/run/secrets/x"))
        for bad in ["env:", "env:1X", "env:A-B", "file:", "PROM_TOKEN", ""] {
            #expect(throws: HomelabError.self) { try SecretReference(parsing: bad) }
        }
    }
}
