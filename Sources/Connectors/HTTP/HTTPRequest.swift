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
    /// Total time for one attempt, redirects included, in seconds
    /// (HTTPRequest.timeouts says which values are accepted).
    public var timeout: Double = 30
    public var connectTimeout: Double = 5
    public var auth: Auth?
    public var caFile: String?
    /// Skip TLS verification (the caller warns).
    public var insecure = false
    /// CURLOPT_PINNEDPUBLICKEY ("sha256//BASE64"): the server's public key is
    /// checked at every handshake, before the request is sent; the chain and
    /// host name are then not (a pinned self-signed certificate is trusted).
    public var pinnedPublicKey: String?
    public var maxBytes = 64 << 20
    public var maxRedirects = 5
    /// Keep headers, auth and body on a redirect to another origin
    /// (see Redirect); off, they stay with the origin they were meant for.
    public var trustRedirects = false
    /// Why a hop to `url` is refused (a script's capabilities), or nil.
    public var permitsHop: (@Sendable (String) -> String?)?
    /// Extra attempts for idempotent methods (see RetryPolicy).
    public var retries = 0
    /// A status >= 400 is an HTTPError, not a response.
    public var raiseStatus = true
    public var userAgent = "labsh"

    /// Seconds this attempt already spent on earlier hops of its redirects.
    var elapsedBefore = 0.0

    /// The timeouts accepted, in seconds: at least 1 ms (curl reads 0 as
    /// "no timeout"), at most about 11.5 days.
    public static let timeouts: ClosedRange<Double> = 0.001...1_000_000

    /// `seconds` as whole milliseconds, rounded up (0.0004 s is 1 ms, never
    /// 0); nil outside `timeouts` (NaN, infinities, negatives included).
    public static func milliseconds(_ seconds: Double) -> Int? {
        guard timeouts.contains(seconds) else { return nil }
        return Int((seconds * 1000).rounded(.up))
    }

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
        escape(bytes: text.utf8)
    }

    /// The same for bytes that need not be UTF-8 (lab.http.escape).
    public static func escape<Bytes: Collection<UInt8>>(bytes: Bytes) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
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
