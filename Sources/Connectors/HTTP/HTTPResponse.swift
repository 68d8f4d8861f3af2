/// What came back: the final response after redirects.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The status line's reason ("Not Found"), or the standard one (HTTP/2 has none).
    public var reason: String
    /// Lower-cased names; repeated headers joined with ", ".
    public var headers: [String: String]
    public var body: [UInt8]
    /// Seconds from the first attempt to the end of the last.
    public var elapsed: Double
    /// The URL of the final response, after redirects.
    public var url: String

    public init(status: Int, reason: String, headers: [String: String], body: [UInt8], elapsed: Double, url: String) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.elapsed = elapsed
        self.url = url
    }

    /// Parses the header block of one response: a status line, then
    /// "Name: value" lines. Returns the reason phrase and the headers.
    static func parseHead(_ bytes: [UInt8]) -> (reason: String, headers: [String: String]) {
        var reason = ""
        var headers: [String: String] = [:]
        // Split on bytes: as Characters, "\r\n" is one and never equals "\n".
        let lines = bytes.split(separator: 10).map { line -> String in
            String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
        }
        for (i, line) in lines.enumerated() where !line.isEmpty {
            if i == 0 {  // "HTTP/1.1 404 Not Found"
                let parts = line.split(separator: " ", maxSplits: 2)
                reason = parts.count == 3 ? String(parts[2]) : ""
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        return (reason, headers)
    }

    /// Reason phrases for responses without one (HTTP/2).
    static func standardReason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return ""
        }
    }
}
