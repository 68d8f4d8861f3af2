/// The one error of the homelab model. The message names the value, what was
/// wrong with it and the form that was expected, so a caller can show it as
/// is; `kind` lets Lua code branch without parsing text.
public struct HomelabError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case size, address, network, policy, slo, inventory, schedule, backup
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The same error with the place it happened in front ("rule 3: ...").
    public func at(_ place: String) -> HomelabError {
        HomelabError(kind, "\(place): \(message)")
    }
}
