import Homelab
import Testing

@Suite struct IPAMTests {
    @Test func nextFreeSkipsNetworkGatewayUsedAndBroadcast() {
        let vlan = net("192.168.10.0/24")
        let gateway = ip("192.168.10.1")
        #expect(vlan.nextFree(used: [], gateway: gateway) == ip("192.168.10.2"))
        #expect(vlan.nextFree(used: [], gateway: nil) == ip("192.168.10.1"))
        #expect(vlan.nextFree(used: [ip("192.168.10.2"), ip("192.168.10.3"), ip("192.168.10.5")], gateway: gateway)
            == ip("192.168.10.4"))
        // Addresses elsewhere, or of the other family, do not count.
        #expect(vlan.nextFree(used: [ip("192.168.20.2"), ip("::2")], gateway: gateway) == ip("192.168.10.2"))
        // The gateway may sit anywhere, here at the top.
        let allButLast = Set((1...253).map { try! vlan.host($0) })
        #expect(vlan.nextFree(used: allButLast, gateway: ip("192.168.10.254")) == nil)
        #expect(vlan.nextFree(used: allButLast, gateway: gateway) == ip("192.168.10.254"))
    }

    @Test func nextFreeIsNilWhenFull() {
        let link = net("10.0.0.0/30")
        #expect(link.nextFree(used: [ip("10.0.0.2")], gateway: ip("10.0.0.1")) == nil)
        #expect(link.nextFree(used: [], gateway: ip("10.0.0.1")) == ip("10.0.0.2"))
        #expect(net("10.0.0.0/31").nextFree(used: [ip("10.0.0.0")]) == ip("10.0.0.1"))
        #expect(net("10.0.0.0/31").nextFree(used: [ip("10.0.0.0"), ip("10.0.0.1")]) == nil)
        #expect(net("10.0.0.9/32").nextFree(used: []) == ip("10.0.0.9"))
        #expect(net("10.0.0.9/32").nextFree(used: [ip("10.0.0.9")]) == nil)
        #expect(net("255.255.255.254/31").nextFree(used: [ip("255.255.255.254")]) == ip("255.255.255.255"))
    }

    @Test func nextFreeInIPv6() {
        let v6 = net("2001:db8:0:30::/64")
        #expect(v6.nextFree(used: [], gateway: ip("2001:db8:0:30::1")) == ip("2001:db8:0:30::2"))
        #expect(v6.nextFree(used: [ip("2001:db8:0:30::2")], gateway: ip("2001:db8:0:30::1")) == ip("2001:db8:0:30::3"))
        #expect(net("2001:db8::/127").nextFree(used: []) == ip("2001:db8::"))
        #expect(net("2001:db8::/128").nextFree(used: [ip("2001:db8::")]) == nil)
        #expect(net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127").nextFree(used: [ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")])
            == ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
    }

    @Test func reversePointerNames() {
        #expect(ip("192.168.10.5").reversePointer == "5.10.168.192.in-addr.arpa.")
        #expect(ip("10.0.0.1").reversePointer == "1.0.0.10.in-addr.arpa.")
        #expect(ip("2001:db8::567:89ab").reversePointer
            == "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")
        // The example of RFC 3596 section 2.5.
        #expect(ip("4321:0:1:2:3:4:567:89ab").reversePointer
            == "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa.")
        #expect(ip("::1").reversePointer == "1" + String(repeating: ".0", count: 31) + ".ip6.arpa.")
    }

    @Test func reverseZonesOfIPv4Networks() {
        #expect(net("192.168.10.0/24").reverseZones == ["10.168.192.in-addr.arpa"])
        #expect(net("192.168.10.0/23").reverseZones == ["10.168.192.in-addr.arpa", "11.168.192.in-addr.arpa"])
        #expect(net("192.168.0.0/16").reverseZones == ["168.192.in-addr.arpa"])
        #expect(net("172.16.0.0/20").reverseZones == (0...15).map { "\($0).16.172.in-addr.arpa" })
        #expect(net("172.16.16.0/20").reverseZones.first == "16.16.172.in-addr.arpa")
        #expect(net("172.16.16.0/20").reverseZones.last == "31.16.172.in-addr.arpa")
        #expect(net("10.0.0.0/15").reverseZones == ["0.10.in-addr.arpa", "1.10.in-addr.arpa"])
        #expect(net("10.0.0.0/8").reverseZones == ["10.in-addr.arpa"])
        #expect(net("0.0.0.0/0").reverseZones == ["in-addr.arpa"])
        #expect(net("192.168.10.128/25").reverseZones == ["10.168.192.in-addr.arpa"])
        #expect(net("192.168.10.7/32").reverseZones == ["10.168.192.in-addr.arpa"])
    }

    @Test func reverseZonesOfIPv6Networks() {
        #expect(net("2001:db8:1:2::/64").reverseZones == ["2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"])
        #expect(net("2001:db8::/32").reverseZones == ["8.b.d.0.1.0.0.2.ip6.arpa"])
        #expect(net("2001:db8::/62").reverseZones == (0...3).map { "\($0).0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" })
        #expect(net("2001:db8::/31").reverseZones == ["8.b.d.0.1.0.0.2.ip6.arpa", "9.b.d.0.1.0.0.2.ip6.arpa"])
        #expect(net("::/0").reverseZones == ["ip6.arpa"])
    }
}
