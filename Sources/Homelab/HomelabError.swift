/// The one error of the homelab model. The message names the value, what was
/// wrong with it and the form that was expected, so a caller can show it as
/// is.
public struct HomelabError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// The same error with the place it happened in front ("rule 3: ...").
    public func at(_ place: String) -> HomelabError {
        HomelabError("\(place): \(message)")
    }
}
