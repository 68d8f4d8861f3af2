/// An address together with the network it sits on, as interfaces and
/// gateways are written: "192.168.10.1/24". Unlike `IPNetwork`, host bits
/// are the point here, so they are kept.
public struct IPInterface: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let network: IPNetwork

    public init(parsing text: String) throws {
        let (address, length) = try IPNetwork.split(text)
        try self.init(address: address, prefixLength: length)
    }

    public init(address: IPAddress, prefixLength: Int) throws {
        self.address = address
        network = try IPNetwork(containing: address, prefixLength: prefixLength)
    }

    public var description: String { "\(address)/\(network.prefixLength)" }
}
