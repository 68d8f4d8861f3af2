/// Redirects are followed here, not by curl: curl re-sends the caller's own
/// headers (an API key, a vault token) and a 307/308 body to whatever host a
/// Location names. The rules, pure so they are tested without a network:
///
/// - https never redirects to http (the secrets and the answer would travel
///   in clear);
/// - on a hop to another origin (scheme, host or port), the caller's headers,
///   auth and body are dropped, for good, unless the request trusts redirects;
/// - 301/302 turn a POST into a GET and 303 anything but HEAD, without the
///   body (as curl and browsers do); 307/308 keep the method, and the body
///   only within the origin.
public enum Redirect {
    /// The statuses followed; any other 3xx is the response.
    public static let statuses: Set<Int> = [301, 302, 303, 307, 308]

    /// The request to send to `location` (an absolute URL) after `status`, or
    /// why the redirect is refused.
    public static func follow(_ request: HTTPRequest, status: Int, to location: String) -> Result<HTTPRequest, RefusedRedirect> {
        guard let to = Origin(location), to.scheme == "http" || to.scheme == "https" else {
            return .failure(RefusedRedirect(detail: "redirect to an unsupported URL refused: \(location)"))
        }
        let from = Origin(request.fullURL)
        if from?.scheme == "https" && to.scheme == "http" {
            return .failure(RefusedRedirect(detail: "redirect from https to http refused: \(location)"))
        }
        var next = request
        next.url = location
        next.query = []  // already part of the URL the server saw
        if status == 303 && request.method != "HEAD" || (status == 301 || status == 302) && request.method == "POST" {
            next.method = "GET"
            next.body = nil
        }
        if from != to && !request.trustRedirects {
            next.headers = []
            next.auth = nil
            next.body = nil
        }
        return .success(next)
    }
}

public struct RefusedRedirect: Error, Equatable {
    public var detail: String
}

/// Scheme, host and port of a URL: what a browser calls its origin.
public struct Origin: Equatable {
    public var scheme: String
    public var host: String
    public var port: Int

    /// nil when `url` is not `scheme://host[:port]...`.
    public init?(_ url: String) {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { return nil }
        scheme = url[..<colon].lowercased()
        var authority = url[url.index(colon, offsetBy: 3)...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var portText: Substring?
        if authority.hasPrefix("[") {  // [::1]:8080
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close].lowercased()
            let rest = authority[authority.index(after: close)...]
            if rest.hasPrefix(":") { portText = rest.dropFirst() } else if !rest.isEmpty { return nil }
        } else if let c = authority.lastIndex(of: ":") {
            host = authority[..<c].lowercased()
            portText = authority[authority.index(after: c)...]
        } else {
            host = authority.lowercased()
        }
        if host.hasSuffix(".") { host.removeLast() }  // "example.org." is example.org
        guard !host.isEmpty else { return nil }
        if let text = portText, !text.isEmpty {
            guard text.count <= 5, let p = Int(text), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            switch scheme {
            case "http": port = 80
            case "https": port = 443
            default: return nil
            }
        }
    }
}
