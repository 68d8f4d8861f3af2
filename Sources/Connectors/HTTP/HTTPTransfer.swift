import CCurlShim
#if canImport(Glibc)
import Glibc
#endif

/// One attempt of one request: a curl easy handle set up from an
/// HTTPRequest, and what its outcome means once curl is done with it.
final class HTTPTransfer {
    let request: HTTPRequest
    let handle: UnsafeMutablePointer<ccurl_transfer>
    let budget: HTTPBodyBudget?

    /// nil when libcurl cannot make a handle (out of memory, not loaded).
    /// The body counts in `budget` (with `counter`, the batch's tally).
    init?(_ request: HTTPRequest, budget: HTTPBodyBudget? = nil, counter: UnsafeMutablePointer<ccurl_budget>? = nil) {
        guard let handle = ccurl_transfer_new(max(0, request.maxBytes)) else { return nil }
        self.request = request
        self.handle = handle
        self.budget = budget
        handle.pointee.budget = counter
        handle.pointee.no_body = request.method == "HEAD" ? 1 : 0
    }

    deinit { ccurl_transfer_free(handle) }

    /// Applies the request to the handle; an error names the option that failed.
    func configure() -> HTTPError? {
        let r = request
        var failed: String?
        func set(_ name: String, _ opt: CURLoption, _ value: Int) {
            if ccurl_setopt_long(handle, opt, value) != 0, failed == nil { failed = name }
        }
        func set(_ name: String, _ opt: CURLoption, _ value: String) {
            if ccurl_setopt_str(handle, opt, value) != 0, failed == nil { failed = name }
        }
        set("url", CURLOPT_URL, r.fullURL)
        // Only the web: no file://, no gopher:// behind a redirect.
        set("protocols", CURLOPT_PROTOCOLS_STR, "http,https")
        set("protocols", CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        // The batch follows redirects itself (see Redirect).
        set("redirects", CURLOPT_FOLLOWLOCATION, 0)
        // What is left of the attempt's time after earlier hops.
        let timeLeft = max(HTTPRequest.timeouts.lowerBound, r.timeout - r.elapsedBefore)
        guard let timeoutMS = HTTPRequest.milliseconds(timeLeft) else { return invalid("timeout", r.timeout) }
        guard let connectMS = HTTPRequest.milliseconds(r.connectTimeout) else { return invalid("connect_timeout", r.connectTimeout) }
        set("timeout", CURLOPT_TIMEOUT_MS, timeoutMS)
        set("connect_timeout", CURLOPT_CONNECTTIMEOUT_MS, connectMS)
        set("user agent", CURLOPT_USERAGENT, r.userAgent)
        set("encoding", CURLOPT_ACCEPT_ENCODING, "")  // whatever curl can decode
        // A HEAD's Content-Length announces no body: curl would still refuse it.
        if r.method != "HEAD", ccurl_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(r.maxBytes)) != 0 {
            failed = failed ?? "max_bytes"
        }
        if let ca = r.caFile { set("ca_file", CURLOPT_CAINFO, ca) }
        if let pin = r.pinnedPublicKey {
            set("pinned_public_key", CURLOPT_PINNEDPUBLICKEY, pin)
            set("pinned_public_key", CURLOPT_SSL_VERIFYPEER, 0)
            set("pinned_public_key", CURLOPT_SSL_VERIFYHOST, 0)
        } else if r.insecure {
            set("insecure", CURLOPT_SSL_VERIFYPEER, 0)
            set("insecure", CURLOPT_SSL_VERIFYHOST, 0)
        }
        switch r.auth {
        case .basic(let user, let password)?:
            set("auth", CURLOPT_HTTPAUTH, 1)  // CURLAUTH_BASIC, a macro Swift cannot see
            set("auth", CURLOPT_USERNAME, user)
            set("auth", CURLOPT_PASSWORD, password)
        case .bearer(let token)?:
            addHeader("Authorization: Bearer " + token, &failed)
        case nil:
            break
        }
        for (name, value) in r.headers { addHeader(name + ": " + value, &failed) }
        switch r.method {
        case "GET": break
        case "HEAD": set("method", CURLOPT_NOBODY, 1)
        default: set("method", CURLOPT_CUSTOMREQUEST, r.method)
        }
        if let body = r.body ?? (r.method == "POST" ? [] : nil) {
            if ccurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)) != 0 { failed = failed ?? "body" }
            // COPYPOSTFIELDS: curl keeps its own copy, so `body` may go away.
            let status = body.withUnsafeBufferPointer { buf in
                buf.baseAddress.map { base in
                    base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                        ccurl_setopt_str(handle, CURLOPT_COPYPOSTFIELDS, $0)
                    }
                } ?? ccurl_setopt_str(handle, CURLOPT_COPYPOSTFIELDS, "")
            }
            if status != 0 { failed = failed ?? "body" }
        }
        guard let option = failed else { return nil }
        return HTTPError(reason: .protocol, method: r.method, url: r.fullURL,
                         detail: "libcurl refused option '\(option)'")
    }

    private func invalid(_ option: String, _ value: Double) -> HTTPError {
        HTTPError(reason: .protocol, method: request.method, url: request.fullURL,
                  detail: "\(option) must be from \(HTTPRequest.timeouts.lowerBound) to \(seconds(HTTPRequest.timeouts.upperBound)) seconds, not \(value)")
    }

    /// Where a 3xx response points (absolute), if it has a Location.
    var redirectURL: String? {
        ccurl_getinfo_str(handle, CURLINFO_REDIRECT_URL).map { String(cString: $0) }
    }

    private func addHeader(_ line: String, _ failed: inout String?) {
        if line.utf8.contains(where: { $0 == 10 || $0 == 13 }) {  // header injection
            failed = failed ?? "header (has a line break)"
        } else if ccurl_add_header(handle, line) != 0 {
            failed = failed ?? "header"
        }
    }

    /// The response, or why there is none, once curl finished with `code`.
    func outcome(_ code: CURLcode, elapsed: Double) -> Result<HTTPResponse, HTTPError> {
        let r = request
        let url = ccurl_getinfo_str(handle, CURLINFO_EFFECTIVE_URL).map { String(cString: $0) } ?? r.fullURL
        // Errors name the URL asked for; a response, where it ended up.
        if code != CURLE_OK { return .failure(failure(code, url: r.fullURL)) }
        let t = handle.pointee
        let head = HTTPResponse.parseHead(t.head.map { Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: t.head_len)) } ?? [])
        let body = t.body.map { Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: t.body_len)) } ?? []
        let status = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE)
        let reason = head.reason.isEmpty ? HTTPResponse.standardReason(status) : head.reason
        let response = HTTPResponse(status: status, reason: reason, headers: head.headers, body: body, elapsed: elapsed, url: url)
        if status >= 400 && r.raiseStatus { return .failure(.status(response, method: r.method, url: r.fullURL)) }
        return .success(response)
    }

    private func failure(_ code: CURLcode, url: String) -> HTTPError {
        let r = request
        let said = withUnsafeBytes(of: handle.pointee.errbuf) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let curlText = said.isEmpty ? String(cString: ccurl_strerror(code)) : said
        func error(_ reason: HTTPError.Reason, _ detail: String) -> HTTPError {
            HTTPError(reason: reason, method: r.method, url: url, detail: detail)
        }
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return error(.connect, "unknown host (\(curlText))")
        case CURLE_COULDNT_CONNECT:
            switch Int32(truncatingIfNeeded: ccurl_getinfo_long(handle, CURLINFO_OS_ERRNO)) {
            case ECONNREFUSED: return error(.connect, "connection refused")
            case EHOSTUNREACH: return error(.connect, "host unreachable")
            case ENETUNREACH: return error(.connect, "network unreachable")
            default: return error(.connect, "cannot connect (\(curlText))")
            }
        case CURLE_OPERATION_TIMEDOUT:
            let connecting = curlText.hasPrefix("Connection timed out") || curlText.contains("connect")
            return connecting ? error(.timeout, "connect timed out after \(seconds(r.connectTimeout)) s")
                              : error(.timeout, "timed out after \(seconds(r.timeout)) s")
        case CURLE_FILESIZE_EXCEEDED:
            return error(.tooLarge, "body larger than \(r.maxBytes) bytes (max_bytes)")
        case CURLE_WRITE_ERROR where handle.pointee.too_large != 0:
            return error(.tooLarge, "body larger than \(r.maxBytes) bytes (max_bytes)")
        case CURLE_WRITE_ERROR where handle.pointee.over_budget != 0:
            let b = budget ?? HTTPBodyBudget(bytes: 0, subject: "body", label: "budget")
            return error(.tooLarge, "\(b.subject) larger than \(b.bytes) bytes (\(b.label))")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE,
             CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CLIENTCERT:
            return error(.tls, "TLS: " + curlText)
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            var e = error(.protocol, curlText)
            e.connectionLost = true
            return e
        default:
            return error(.protocol, curlText)
        }
    }
}

/// 1.5 -> "1.5", 30 -> "30".
func seconds(_ s: Double) -> String {
    s == s.rounded() && abs(s) < 1e15 ? String(Int64(s)) : String(s)
}
