import Homelab
import Testing

@Suite struct IPNetworkTests {
    @Test func parsesStrictly() throws {
        #expect(net("192.168.10.0/24").description == "192.168.10.0/24")
        #expect(net("2001:DB8::/32").description == "2001:db8::/32")
        #expect(net("0.0.0.0/0").prefixLength == 0)
        #expect(net("::/0").family == .v6)
        #expect(errorMessage { try IPNetwork(parsing: "192.168.10.5/24") }
            == "192.168.10.5/24 has host bits set; the network is 192.168.10.0/24")
        #expect(errorMessage { try IPNetwork(parsing: "2001:db8::1/64") }
            == "2001:db8::1/64 has host bits set; the network is 2001:db8::/64")
        #expect(errorMessage { try IPNetwork(parsing: "192.168.10.0/33") }
            == "'192.168.10.0/33' is not a network: prefix length 33 is out of range for IPv4 (0-32)")
        #expect(errorMessage { try IPNetwork(parsing: "192.168.10.0") }
            == "'192.168.10.0' is not a network: expected ADDRESS/LENGTH, like 192.168.10.0/24 or 2001:db8::/64")
        #expect(errorMessage { try IPNetwork(parsing: "2001:db8::/129") } != nil)
        for bad in ["192.168.10.0/", "192.168.10.0/024", "10.0.0.0/8/8", "10.0.0.0/-8", "10.0.0.0/ 8", "/24", "1.2.3/24"] {
            #expect(errorMessage { try IPNetwork(parsing: bad) } != nil, "\(bad)")
        }
        #expect(try IPNetwork(containing: ip("192.168.10.77"), prefixLength: 24) == net("192.168.10.0/24"))
    }

    @Test func interfaceFormKeepsTheAddress() throws {
        let gateway = try IPInterface(parsing: "192.168.10.1/24")
        #expect(gateway.address == ip("192.168.10.1"))
        #expect(gateway.network == net("192.168.10.0/24"))
        #expect(gateway.description == "192.168.10.1/24")
        #expect(try IPInterface(parsing: "2001:db8::1/64").network == net("2001:db8::/64"))
        #expect(errorMessage { try IPInterface(parsing: "192.168.10.1/40") } != nil)
    }

    @Test func masksAndEnds() {
        #expect(net("192.168.10.0/24").netmask == ip("255.255.255.0"))
        #expect(net("192.168.10.0/23").netmask == ip("255.255.254.0"))
        #expect(net("0.0.0.0/0").netmask == ip("0.0.0.0"))
        #expect(net("10.0.0.1/32").netmask == ip("255.255.255.255"))
        #expect(net("2001:db8::/64").netmask == ip("ffff:ffff:ffff:ffff::"))
        #expect(net("192.168.10.0/24").lastAddress == ip("192.168.10.255"))
        #expect(net("192.168.10.0/24").firstHost == ip("192.168.10.1"))
        #expect(net("192.168.10.0/24").lastHost == ip("192.168.10.254"))
        #expect(net("10.0.0.0/31").firstHost == ip("10.0.0.0"))
        #expect(net("10.0.0.0/31").lastHost == ip("10.0.0.1"))
        #expect(net("10.0.0.7/32").firstHost == ip("10.0.0.7"))
        #expect(net("2001:db8::/64").lastAddress == ip("2001:db8::ffff:ffff:ffff:ffff"))
        #expect(net("192.168.10.0/24").isUsableHost(ip("192.168.10.1")))
        #expect(!net("192.168.10.0/24").isUsableHost(ip("192.168.10.0")))
        #expect(!net("192.168.10.0/24").isUsableHost(ip("192.168.10.255")))
        #expect(!net("192.168.10.0/24").isUsableHost(ip("192.168.11.1")))
    }

    @Test func containsAddresses() {
        let vlan = net("192.168.10.0/24")
        #expect(vlan.contains(ip("192.168.10.0")))
        #expect(vlan.contains(ip("192.168.10.77")))
        #expect(vlan.contains(ip("192.168.10.255")))
        #expect(!vlan.contains(ip("192.168.11.0")))
        #expect(!vlan.contains(ip("192.168.9.255")))
        #expect(!vlan.contains(ip("::ffff:192.168.10.1")))
        #expect(net("0.0.0.0/0").contains(ip("255.255.255.255")))
        #expect(!net("0.0.0.0/0").contains(ip("::")))
        #expect(net("2001:db8::/32").contains(ip("2001:db8:ffff::1")))
        #expect(!net("2001:db8::/32").contains(ip("2001:db9::")))
        #expect(net("::/0").contains(ip("ffff::")))
    }

    /// (a, b, a contains b, a and b overlap)
    @Test(arguments: [
        ("10.0.0.0/8", "10.1.0.0/16", true, true),
        ("10.1.0.0/16", "10.0.0.0/8", false, true),
        ("192.168.10.0/24", "192.168.10.0/24", true, true),
        ("192.168.10.0/23", "192.168.11.0/24", true, true),
        ("192.168.10.0/24", "192.168.11.0/24", false, false),
        ("192.168.10.0/25", "192.168.10.128/25", false, false),
        ("0.0.0.0/0", "192.168.50.0/24", true, true),
        ("2001:db8::/32", "2001:db8:1::/48", true, true),
        ("2001:db8::/32", "2001:db9::/32", false, false),
        ("::/0", "2001:db8::/32", true, true),
        ("0.0.0.0/0", "::/0", false, false),
    ])
    func containsAndOverlapsNetworks(a: String, b: String, contains: Bool, overlaps: Bool) {
        #expect(net(a).contains(net(b)) == contains)
        #expect(net(a).overlaps(net(b)) == overlaps)
        #expect(net(b).overlaps(net(a)) == overlaps)
    }

    /// (network, addresses, usable hosts)
    @Test(arguments: [
        ("0.0.0.0/0", UInt128(4_294_967_296), UInt128(4_294_967_294)),
        ("10.0.0.0/8", 16_777_216, 16_777_214),
        ("192.168.10.0/24", 256, 254),
        ("192.168.10.0/23", 512, 510),
        ("10.0.0.0/30", 4, 2),
        ("10.0.0.0/31", 2, 2),
        ("10.0.0.0/32", 1, 1),
        ("2001:db8::/64", UInt128(1) << 64, UInt128(1) << 64),
        ("2001:db8::/127", 2, 2),
        ("2001:db8::/128", 1, 1),
        ("::/1", UInt128(1) << 127, UInt128(1) << 127),
        ("::/0", UInt128.max, UInt128.max),
    ])
    func counts(network: String, addresses: UInt128, usable: UInt128) {
        #expect(net(network).addressCount == addresses)
        #expect(net(network).usableHostCount == usable)
    }

    @Test func nthHostLikeCidrhost() throws {
        let vlan = net("192.168.10.0/24")
        #expect(try vlan.host(0) == ip("192.168.10.0"))
        #expect(try vlan.host(1) == ip("192.168.10.1"))
        #expect(try vlan.host(255) == ip("192.168.10.255"))
        #expect(try vlan.host(-1) == ip("192.168.10.255"))
        #expect(try vlan.host(-2) == ip("192.168.10.254"))
        #expect(try vlan.host(-256) == ip("192.168.10.0"))
        #expect(errorMessage { try vlan.host(256) }
            == "host 256 is outside 192.168.10.0/24, which has 256 addresses (0 to 255, or -256 to -1 from the end)")
        #expect(errorMessage { try vlan.host(-257) } != nil)
        #expect(try net("2001:db8::/64").host(0x10) == ip("2001:db8::10"))
        #expect(try net("2001:db8::/64").host(-1) == ip("2001:db8::ffff:ffff:ffff:ffff"))
        #expect(try net("::/0").host(-1) == ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(try net("10.0.0.5/32").host(0) == ip("10.0.0.5"))
        #expect(errorMessage { try net("10.0.0.5/32").host(1) } != nil)
    }

    @Test func sortsByAddressThenWidth() {
        let sorted = [net("192.168.20.0/24"), net("2001:db8::/64"), net("192.168.10.0/25"), net("192.168.10.0/24")].sorted()
        #expect(sorted.map(\.description) == ["192.168.10.0/24", "192.168.10.0/25", "192.168.20.0/24", "2001:db8::/64"])
    }
}
