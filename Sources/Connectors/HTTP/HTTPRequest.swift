/// One HTTP request as the client performs it: what to send and the limits
/// that apply. Defaults are the safe ones (TLS verified, bounded in time and
/// size).
public struct HTTPRequest: Sendable {
    public enum Auth: Sendable, Equatable {
        case basic(user: String, password: String)
        case bearer(String)
    }

    public var method: String
    public var url: String
    /// Query parameters, appended to `url` URL-encoded in this order.
    public var query: [(name: String, value: String)] = []
    public var headers: [(name: String, value: String)] = []
    public var body: [UInt8]?
    /// Total time for one attempt, in seconds.
    public var timeout: Double = 30
    public var connectTimeout: Double = 5
    public var auth: Auth?
    public var caFile: String?
    /// Skip TLS verification (the caller warns).
    public var insecure = false
    public var maxBytes = 64 << 20
    public var maxRedirects = 5
    /// Extra attempts for idempotent methods (see RetryPolicy).
    public var retries = 0
    /// A status >= 400 is an HTTPError, not a response.
    public var raiseStatus = true
    public var userAgent = "labsh"

    public init(method: String = "GET", url: String) {
        self.method = method.uppercased()
        self.url = url
    }

    /// `url` with the query appended (`?` or `&`), each part URL-encoded.
    public var fullURL: String {
        guard !query.isEmpty else { return url }
        let encoded = query.map { HTTPRequest.escape($0.name) + "=" + HTTPRequest.escape($0.value) }
        return url + (url.contains("?") ? "&" : "?") + encoded.joined(separator: "&")
    }

    /// Percent-encoding as curl_easy_escape does it: everything but
    /// ALPHA / DIGIT / "-" / "." / "_" / "~". In Swift, so it needs no libcurl.
    public static func escape(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
