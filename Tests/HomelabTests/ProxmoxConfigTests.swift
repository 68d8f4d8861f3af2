import Testing
@testable import Homelab

/// The inventory's `proxmox` section: what it accepts and each refusal.
@Suite struct ProxmoxConfigTests {
    static let fingerprint = (0..<32).map { String(format2($0)) }.joined(separator: ":")

    static func format2(_ n: Int) -> String {
        let hex = Array("0123456789abcdef")
        return String([hex[n / 16], hex[n % 16]])
    }

    func errors(_ proxmox: InventoryFields) -> [String] {
        var top = sampleInventory()
        top["proxmox"] = .map(proxmox)
        return loadErrors(top)
    }

    @Test func urlsWithFingerprintsAndATokenReference() throws {
        var top = sampleInventory()
        top["proxmox"] = .map([
            "urls": .list([.map(["url": .string("https://127.0.0.1:8006"), "fingerprint": .string(Self.fingerprint)]),
                           .string("https://pve2.lab.test:8006")]),
            "token": .string("env:PVE_TOKEN"), "ca_file": .string("/etc/ssl/pve.pem"),
        ])
        let (inventory, _) = try Inventory.load(.map(top), file: "test.lua")
        let p = try #require(inventory.proxmox)
        #expect(p.servers.count == 2)
        #expect(p.servers[0].fingerprint == Self.fingerprint.uppercased())
        #expect(p.servers[1].caFile == "/etc/ssl/pve.pem")
        #expect(p.token?.description == "env:PVE_TOKEN")
        #expect(p.insecure == false)
    }

    @Test func aLiteralTokenIsRefusedWithoutEchoingIt() {
        let e = errors(["urls": .list([.string("https://127.0.0.1:8006")]), "token": .string("root@pam!labsh=s3cr3t-uuid")])
        #expect(e == ["proxmox: a secret is given as a reference, env:NAME or file:PATH, never as the secret itself"])
        #expect(!e.joined().contains("s3cr3t"))
    }

    @Test func aLiteralPasswordIsRefused() {
        let e = errors(["urls": .list([.string("https://127.0.0.1:8006")]), "user": .string("root@pam"),
                        "password": .string("hunter2")])
        #expect(e.count == 1 && e[0].contains("never as the secret itself") && !e[0].contains("hunter2"))
    }

    @Test func aBadFingerprintIsRefused() {
        for bad in ["AB:CD", String(Self.fingerprint.dropLast(3)), Self.fingerprint.replacingOccurrences(of: ":", with: ""),
                    "ZZ" + Self.fingerprint.dropFirst(2)] {
            let e = errors(["urls": .list([.map(["url": .string("https://127.0.0.1:8006"), "fingerprint": .string(bad)])]),
                            "token": .string("env:T")])
            #expect(e.count == 1 && e[0].hasPrefix("proxmox.urls[1]: fingerprint must be the SHA-256"), "\(bad): \(e)")
        }
    }

    @Test func onlyHTTPSURLsOfANode() {
        for bad in ["http://127.0.0.1:8006", "127.0.0.1:8006", "https://", "https://u:p@127.0.0.1:8006",
                    "https://127.0.0.1:8006/?x=1", "https://127.0.0.1:8006/a b"] {
            let e = errors(["urls": .list([.string(bad)]), "token": .string("env:T")])
            #expect(e.count == 1 && e[0].contains("is not an https:// URL"), "\(bad): \(e)")
        }
        #expect(errors(["urls": .list([]), "token": .string("env:T")]) == ["proxmox: 'urls' lists no URL: give at least one node's API URL"])
    }

    @Test func tokenOrUserAndPasswordNeverBoth() {
        let url = InventoryValue.list([.string("https://127.0.0.1:8006")])
        #expect(errors(["urls": url, "token": .string("env:T"), "user": .string("root@pam"), "password": .string("env:P")])
                == ["proxmox: give either 'token' or 'user' and 'password', not both"])
        #expect(errors(["urls": url, "user": .string("root@pam")]) == ["proxmox: 'user' and 'password' go together"])
        #expect(errors(["urls": url]).first?.contains("no credentials") == true)
        #expect(errors(["urls": url, "user": .string("root"), "password": .string("env:P")]).first?.contains("is not USER@REALM") == true)
    }

    @Test func insecureContradictsAPin() {
        let e = errors(["urls": .list([.map(["url": .string("https://127.0.0.1:8006"), "fingerprint": .string(Self.fingerprint)])]),
                        "token": .string("env:T"), "insecure": .boolean(true)])
        #expect(e == ["proxmox: 'insecure' and a 'fingerprint' contradict: a pinned certificate is verified"])
    }

    @Test func unknownKeysSuggest() {
        let e = errors(["url": .string("https://127.0.0.1:8006"), "token": .string("env:T")])
        #expect(e.contains("proxmox.url: unknown key 'url' (did you mean 'urls'?)"))
    }

    @Test func guestsMayGiveAVMID() throws {
        var top = sampleInventory()
        guard case .list(var guests)? = top["guests"], case .map(var g)? = guests.first else {
            Issue.record("the sample has no guest"); return
        }
        g["vmid"] = .integer(101)
        guests[0] = .map(g)
        top["guests"] = .list(guests)
        #expect(try Inventory.load(.map(top), file: "t").0.guests[0].vmid == 101)
        g["vmid"] = .integer(5)
        guests[0] = .map(g)
        top["guests"] = .list(guests)
        #expect(loadErrors(top).first?.contains("5 is out of range 100...999999999") == true)
    }
}
