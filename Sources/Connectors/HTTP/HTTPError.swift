/// A request that failed: no response, a response over the size cap, or a
/// status >= 400 (with its body, for the caller to read).
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case connect      // refused, unknown host
        case timeout
        case tls
        case tooLarge = "too_large"
        case interrupted  // Ctrl-C or --timeout while in flight
        case status       // the server answered >= 400
        case `protocol`   // anything else curl reports
        case unavailable  // libcurl cannot be loaded
    }

    public var reason: Reason
    public var method: String
    public var url: String
    public var status: Int?
    /// The first 64 KiB of the body of a status error.
    public var body: [UInt8]?
    /// The headers of a status error (for Retry-After).
    public var headers: [String: String] = [:]
    /// What went wrong, without the "METHOD url: " prefix.
    public var detail: String
    /// A dropped connection (empty reply, reset): worth a retry.
    public var connectionLost = false
    /// The response, for a status error.
    public var response: HTTPResponse?

    public init(reason: Reason, method: String, url: String, detail: String, status: Int? = nil) {
        self.reason = reason
        self.method = method
        self.url = url
        self.detail = detail
        self.status = status
    }

    /// `GET http://127.0.0.1:9/x: connection refused`
    public var message: String { "\(method) \(url): \(detail)" }
    public var description: String { message }

    static let bodyExcerpt = 64 << 10

    /// The error for a response with status >= 400.
    static func status(_ response: HTTPResponse, method: String, url: String) -> HTTPError {
        var detail = "\(response.status)"
        if !response.reason.isEmpty { detail += " " + response.reason }
        // Bytes, not Characters: "\r\n" is one Character and never equals "\n".
        let line = response.body.prefix(200).split(separator: 10, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        let firstLine = String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
        if !firstLine.isEmpty { detail += ": " + firstLine }
        var error = HTTPError(reason: .status, method: method, url: url, detail: detail, status: response.status)
        error.body = Array(response.body.prefix(bodyExcerpt))
        error.headers = response.headers
        error.response = response
        return error
    }
}
