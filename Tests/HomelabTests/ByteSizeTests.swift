import Homelab
import Testing

@Suite struct ByteSizeTests {
    @Test(arguments: [
        ("16GB", Int64(16_000_000_000)),
        ("1TB", 1_000_000_000_000),
        ("800MB", 800_000_000),
        ("512GiB", 549_755_813_888),
        ("2TiB", 2_199_023_255_552),
        ("64MiB", 67_108_864),
        ("64 MiB", 67_108_864),
        ("1.5TB", 1_500_000_000_000),
        ("1.5GiB", 1_610_612_736),
        ("0.5KiB", 512),
        ("1024", 1024),
        ("1024 B", 1024),
        ("1kB", 1000),
        ("2PB", 2_000_000_000_000_000),
        ("1PiB", 1_125_899_906_842_624),
        ("7EiB", 8_070_450_532_247_928_832),
        ("9223372036854775807", Int64.max),
        ("1.50000000000000000000000000000GB", 1_500_000_000),
        ("0", 0),
    ])
    func parsesExactly(text: String, bytes: Int64) throws {
        #expect(try ByteSize(parsing: text).bytes == bytes)
    }

    @Test func siAndIecAreDifferentSizes() throws {
        #expect(try ByteSize(parsing: "16GB") < ByteSize(parsing: "16GiB"))
        #expect(try ByteSize(parsing: "1000MB") == ByteSize(parsing: "1GB"))
        #expect(try ByteSize(parsing: "1024MiB") == ByteSize(parsing: "1GiB"))
    }

    @Test func rejectsWithAReason() {
        let units = "use B, kB, MB, GB, TB, PB, EB (powers of 1000) or KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024)"
        #expect(errorMessage { try ByteSize(parsing: "16gb") } == "'16gb' is not a size: unknown unit 'gb'; \(units)")
        #expect(errorMessage { try ByteSize(parsing: "16G") } == "'16G' is not a size: unknown unit 'G'; \(units)")
        #expect(errorMessage { try ByteSize(parsing: "-1GB") } == "'-1GB' is not a size: sizes cannot be negative")
        #expect(errorMessage { try ByteSize(parsing: "8EiB") }
            == "'8EiB' is not a size: larger than the largest size, 9223372036854775807 bytes (about 8 EiB)")
        #expect(errorMessage { try ByteSize(parsing: "10EB") } != nil)
        #expect(errorMessage { try ByteSize(parsing: "9223372036854775808") } != nil)
        #expect(errorMessage { try ByteSize(parsing: "0.1KiB") } == "'0.1KiB' is not a size: that is not a whole number of bytes")
        #expect(errorMessage { try ByteSize(parsing: "1.5") } == "'1.5' is not a size: that is not a whole number of bytes")
        #expect(errorMessage { try ByteSize(parsing: "GB") }
            == "'GB' is not a size: expected a number and a unit, like 16GB, 512GiB, 1.5TB or 1024 (bytes)")
        #expect(errorMessage { try ByteSize(parsing: "") } != nil)
        #expect(errorMessage { try ByteSize(parsing: "1.2.3GB") } == "'1.2.3GB' is not a size: '1.2.3' is not a plain decimal number")
        #expect(errorMessage { try ByteSize(parsing: ".5GB") } != nil)
        #expect(errorMessage { try ByteSize(parsing: "5.GB") } != nil)
        #expect(errorMessage { try ByteSize(parsing: "16 G B") } != nil)
    }

    @Test func formatsForPeopleInEitherSystem() {
        #expect(ByteSize(bytes: 16_000_000_000).formatted(.si) == "16 GB")
        #expect(ByteSize(bytes: 16_000_000_000).formatted(.iec) == "14.9 GiB")
        #expect(ByteSize(bytes: 17_073_741_824).formatted(.iec) == "15.9 GiB")
        #expect(ByteSize(bytes: 549_755_813_888).formatted(.iec) == "512 GiB")
        #expect(ByteSize(bytes: 549_755_813_888).formatted(.si) == "549.8 GB")
        #expect(ByteSize(bytes: 16_000_000_000).formatted(.iec, fractionDigits: 3) == "14.901 GiB")
        #expect(ByteSize(bytes: 16_000_000_000).formatted(.iec, fractionDigits: 0) == "15 GiB")
        #expect(ByteSize(bytes: 1500).formatted(.si) == "1.5 kB")
        #expect(ByteSize(bytes: 1536).formatted(.iec) == "1.5 KiB")
        #expect(ByteSize(bytes: 512).formatted(.iec) == "512 B")
        #expect(ByteSize(bytes: 0).formatted() == "0 B")
        #expect(ByteSize(bytes: -1_500_000_000).formatted() == "-1.5 GB")
        // Rounding up to the base moves to the next unit.
        #expect(ByteSize(bytes: 999_999_999_999).formatted(.si) == "1 TB")
        #expect(ByteSize(bytes: 1_099_468_678_103).formatted(.iec) == "1 TiB")
        #expect(ByteSize(bytes: Int64.max).formatted(.iec) == "8 EiB")
    }

    @Test func descriptionIsExactAndParsesBack() throws {
        let cases: [(String, String)] = [
            ("512GiB", "512 GiB"), ("16GB", "16 GB"), ("1.5TB", "1500 GB"), ("1536", "1536 B"),
            ("1000KiB", "1000 KiB"), ("0", "0 B"), ("7EiB", "7 EiB"), ("1.5GiB", "1536 MiB"),
        ]
        for (text, description) in cases {
            let size = try ByteSize(parsing: text)
            #expect(size.description == description)
            #expect(try ByteSize(parsing: size.description) == size)
        }
        for bytes: Int64 in [1, 999, 1000, 1023, 1024, 123_456_789, 549_755_813_888, Int64.max] {
            let size = ByteSize(bytes: bytes)
            #expect(try ByteSize(parsing: size.description) == size)
        }
    }
}
