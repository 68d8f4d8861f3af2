import Homelab
import Testing

@Suite struct IPAddressTests {
    @Test(arguments: ["0.0.0.0", "255.255.255.255", "192.168.10.1", "10.0.0.0", "1.2.3.4"])
    func ipv4RoundTrips(text: String) throws {
        #expect(try IPv4Address(parsing: text).description == text)
    }

    @Test func ipv4Values() throws {
        #expect(try IPv4Address(parsing: "192.168.10.1").value == 0xC0A8_0A01)
        #expect(IPv4Address(192, 168, 10, 1).description == "192.168.10.1")
        #expect(try IPv4Address(parsing: "192.168.10.1").octets == [192, 168, 10, 1])
    }

    @Test func ipv4RejectsEverythingButTheDottedQuad() {
        #expect(errorMessage { try IPv4Address(parsing: "1.2.3") }
            == "'1.2.3' is not an IPv4 address: expected four numbers 0-255 separated by dots, like 192.168.10.1")
        #expect(errorMessage { try IPv4Address(parsing: "1.2.3.256") }
            == "'1.2.3.256' is not an IPv4 address: 256 is larger than 255")
        #expect(errorMessage { try IPv4Address(parsing: "01.2.3.4") }
            == "'01.2.3.4' is not an IPv4 address: '01' has a leading zero (some tools read that as octal)")
        for bad in ["1.2.3.4.5", "", "1..2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.-1", "1.2.3.4/24",
                    "0x1.2.3.4", "1.2.3.0001", "1.2.3.+4", "1.2.3.4 ", "١.2.3.4", "256.0.0.0"] {
            #expect(errorMessage { try IPv4Address(parsing: bad) } != nil, "\(bad)")
        }
    }

    /// Input, RFC 5952 canonical output.
    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("fe80::1:2:3:4:5:6", "fe80:0:1:2:3:4:5:6"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"),
        ("2001:db8::567:89ab", "2001:db8::567:89ab"),
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("::ffff:0102:0304", "::ffff:1.2.3.4"),
        ("0:0:0:0:0:ffff:c0a8:0a01", "::ffff:192.168.10.1"),
        ("::1.2.3.4", "::102:304"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
    ])
    func ipv6ParsesAndPrintsCanonically(input: String, canonical: String) throws {
        let address = try IPv6Address(parsing: input)
        #expect(address.description == canonical)
        #expect(try IPv6Address(parsing: canonical) == address)
    }

    @Test func ipv6Values() throws {
        #expect(try IPv6Address(parsing: "::1").value == 1)
        #expect(try IPv6Address(parsing: "8000::").value == UInt128(1) << 127)
        #expect(try IPv6Address(parsing: "2001:db8::567:89ab").groups == [0x2001, 0xdb8, 0, 0, 0, 0, 0x567, 0x89ab])
        #expect(try IPv6Address(parsing: "::ffff:10.0.0.1").ipv4Mapped == IPv4Address(10, 0, 0, 1))
        #expect(try IPv6Address(parsing: "::1").ipv4Mapped == nil)
    }

    @Test func ipv6RejectsWithAReason() {
        #expect(errorMessage { try IPv6Address(parsing: "1::2::3") }
            == "'1::2::3' is not an IPv6 address: '::' may appear only once")
        #expect(errorMessage { try IPv6Address(parsing: "12345::") }
            == "'12345::' is not an IPv6 address: group '12345' has more than four hex digits")
        #expect(errorMessage { try IPv6Address(parsing: ":::") }
            == "':::' is not an IPv6 address: ':::' is not allowed; '::' stands for the zero groups")
        #expect(errorMessage { try IPv6Address(parsing: "1:2:3:4:5:6:7") }
            == "'1:2:3:4:5:6:7' is not an IPv6 address: 7 groups; expected eight groups of 1-4 hex digits separated by ':', or fewer with one '::', like 2001:db8::1")
        #expect(errorMessage { try IPv6Address(parsing: "1:2:3:4:5:6:7:8::") }
            == "'1:2:3:4:5:6:7:8::' is not an IPv6 address: '::' must stand for at least one zero group, but there are already 8 groups")
        #expect(errorMessage { try IPv6Address(parsing: "::1.2.3.256") }
            == "'::1.2.3.256' is not an IPv6 address: its IPv4 part '1.2.3.256' is invalid: 256 is larger than 255")
        for bad in ["1:2:3:4:5:6:7:8:9", ":1::", "1::2:", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:", "g::1",
                    "::1.2.3", "::1.2.3.4:5", "1.2.3.4::", "fe80::1%eth0", "", "::+1", "::-1", "1:2:3:4:5:6:7:1.2.3.4",
                    "1:2:3:4:5:6:7:8:1.2.3.4", "::01.2.3.4", " ::1", "1.2.3.4"] {
            #expect(errorMessage { try IPv6Address(parsing: bad) } != nil, "\(bad)")
        }
    }

    @Test func eitherFamilyFromText() throws {
        #expect(try IPAddress(parsing: "192.168.10.1") == .v4(IPv4Address(192, 168, 10, 1)))
        #expect(try IPAddress(parsing: "::1") == .v6(IPv6Address(1)))
        #expect(try IPAddress(parsing: "::1").family == .v6)
        #expect(errorMessage { try IPAddress(parsing: "1.2.3") }?.hasPrefix("'1.2.3' is not an IPv4 address") == true)
        #expect(errorMessage { try IPAddress(parsing: "1::2::3") }?.hasPrefix("'1::2::3' is not an IPv6 address") == true)
        // Sorted: IPv4 first, then numerically (not as text: .9 before .10).
        let sorted = [ip("::1"), ip("192.168.10.10"), ip("10.0.0.1"), ip("192.168.10.9")].sorted()
        #expect(sorted.map(\.description) == ["10.0.0.1", "192.168.10.9", "192.168.10.10", "::1"])
    }
}
