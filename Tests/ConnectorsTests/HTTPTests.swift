import CCurlShim
import Testing
@testable import Connectors
#if canImport(Glibc)
import Glibc
#endif

// The pure parts of the HTTP connector (retry policy, query encoding, header
// parsing), and the client against loopback sockets made here: one that is
// closed, one that accepts connections and never answers.

@Suite struct HTTPRetryPolicyTests {
    func error(_ reason: HTTPError.Reason, method: String = "GET", status: Int? = nil) -> HTTPError {
        HTTPError(reason: reason, method: method, url: "http://127.0.0.1/", detail: "", status: status)
    }

    @Test func retriesOnlyIdempotentMethods() {
        let policy = RetryPolicy(retries: 3)
        for method in ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"] {
            #expect(policy.shouldRetry(error(.connect, method: method), attempt: 1), "\(method)")
        }
        for method in ["POST", "PATCH"] {
            #expect(!policy.shouldRetry(error(.connect, method: method), attempt: 1), "\(method)")
        }
    }

    @Test func retriesConnectionErrors429And5xxOnly() {
        let policy = RetryPolicy(retries: 1)
        #expect(policy.shouldRetry(error(.status, status: 429), attempt: 1))
        #expect(policy.shouldRetry(error(.status, status: 500), attempt: 1))
        #expect(policy.shouldRetry(error(.status, status: 503), attempt: 1))
        #expect(!policy.shouldRetry(error(.status, status: 404), attempt: 1))
        #expect(!policy.shouldRetry(error(.timeout), attempt: 1))
        #expect(!policy.shouldRetry(error(.tls), attempt: 1))
        #expect(!policy.shouldRetry(error(.tooLarge), attempt: 1))
        #expect(!policy.shouldRetry(error(.interrupted), attempt: 1))
        #expect(!policy.shouldRetry(error(.protocol), attempt: 1))
        var lost = error(.protocol)
        lost.connectionLost = true
        #expect(policy.shouldRetry(lost, attempt: 1))
    }

    @Test func countsAttempts() {
        let policy = RetryPolicy(retries: 2)
        #expect(policy.shouldRetry(error(.connect), attempt: 2))
        #expect(!policy.shouldRetry(error(.connect), attempt: 3))
        #expect(!RetryPolicy(retries: 0).shouldRetry(error(.connect), attempt: 1))
    }

    @Test func backoffDoublesWithinJitterBoundsUpToTheCap() {
        let policy = RetryPolicy(retries: 10)
        for attempt in 1...12 {
            let full = min(5.0, 0.2 * Double(1 << (attempt - 1)))
            let low = policy.delay(afterAttempt: attempt, retryAfter: nil, random: 0)
            let high = policy.delay(afterAttempt: attempt, retryAfter: nil, random: 1)
            #expect(abs(low - full / 2) < 1e-9, "attempt \(attempt)")
            #expect(abs(high - full) < 1e-9, "attempt \(attempt)")
            for _ in 0..<20 {
                let d = policy.delay(afterAttempt: attempt, retryAfter: nil, random: Double.random(in: 0...1))
                #expect(d >= low && d <= high)
            }
        }
        #expect(policy.delay(afterAttempt: 1000, retryAfter: nil, random: 1) == 5)
    }

    @Test func retryAfterIsHonouredAndCapped() {
        let policy = RetryPolicy(retries: 1)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 3, random: 0.5) == 3)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 3600, random: 0.5) == 10)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 0, random: 1) == 0.2)
        #expect(RetryPolicy.retryAfterSeconds(" 7 ") == 7)
        #expect(RetryPolicy.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(RetryPolicy.retryAfterSeconds("-1") == nil)
        #expect(RetryPolicy.retryAfterSeconds(nil) == nil)
    }
}

@Suite struct HTTPRequestTests {
    @Test func queryIsEncodedAndAppended() {
        var r = HTTPRequest(url: "http://127.0.0.1/api")
        r.query = [("a", "x y&z=1"), ("b", "é/~")]
        #expect(r.fullURL == "http://127.0.0.1/api?a=x%20y%26z%3D1&b=%C3%A9%2F~")
        r.url = "http://127.0.0.1/api?k=v"
        #expect(r.fullURL == "http://127.0.0.1/api?k=v&a=x%20y%26z%3D1&b=%C3%A9%2F~")
        #expect(HTTPRequest(method: "get", url: "u").method == "GET")
    }

    @Test func escapeMatchesCurlEasyEscape() throws {
        try #require(HTTPClient.loadError() == nil)
        var all = ""
        for scalar in 1...0x7f { all.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        for text in [all, "ünï cødé", "a+b=c&d"] {  // not "": curl reads length 0 as "use strlen"
            let bytes = Array(text.utf8)
            let curl = bytes.withUnsafeBufferPointer { buf -> String in
                let p = ccurl_escape(UnsafeRawPointer(buf.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                    .assumingMemoryBound(to: CChar.self), Int32(buf.count))!
                defer { ccurl_free(p) }
                return String(cString: p)
            }
            #expect(HTTPRequest.escape(text) == curl)
        }
    }
}

@Suite struct HTTPResponseTests {
    @Test func headBlockParsing() {
        let head = Array("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Empty:\r\n\r\n".utf8)
        let parsed = HTTPResponse.parseHead(head)
        #expect(parsed.reason == "Not Found")
        #expect(parsed.headers == ["content-type": "text/plain", "set-cookie": "a=1, b=2", "x-empty": ""])
        #expect(HTTPResponse.parseHead(Array("HTTP/2 200\r\n\r\n".utf8)).reason == "")
    }

    @Test func statusErrorMessage() {
        let response = HTTPResponse(status: 503, reason: "Service Unavailable", headers: [:],
                                    body: Array("down for maintenance\r\nmore".utf8), elapsed: 0, url: "http://127.0.0.1/x")
        let error = HTTPError.status(response, method: "GET", url: "http://127.0.0.1/x")
        #expect(error.message == "GET http://127.0.0.1/x: 503 Service Unavailable: down for maintenance")
        #expect(error.reason == .status && error.status == 503)
    }
}

/// A loopback socket on a free port, listening (never accepting) or closed.
func loopbackPort(listening: Bool) -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            _ = bind(fd, sa, len)
            _ = getsockname(fd, sa, &len)
        }
    }
    if listening { _ = listen(fd, 16) }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

@Suite(.serialized) struct HTTPClientTests {
    @Test func refusedConnection() {
        let (fd, port) = loopbackPort(listening: false)  // bound, not listening: refused
        defer { close(fd) }
        let outcome = HTTPClient.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/x"))
        guard case .failure(let error) = outcome else { Issue.record("expected a failure"); return }
        #expect(error.reason == .connect)
        #expect(error.message == "GET http://127.0.0.1:\(port)/x: connection refused")
    }

    @Test func aStopEndsTransfersInFlightWithin100ms() {
        let (fd, port) = loopbackPort(listening: true)  // accepts (backlog), never answers
        defer { close(fd) }
        let begin = now()
        let stop = HTTPStop(fd: -1) { now() - begin > 0.3 }
        let requests = (0..<3).map { HTTPRequest(url: "http://127.0.0.1:\(port)/\($0)") }
        let outcomes = HTTPClient.perform(requests, maxParallel: 2, stop: stop)
        let took = now() - begin
        #expect(took < 0.45, "took \(took) s")
        for outcome in outcomes {
            guard case .failure(let error) = outcome else { Issue.record("expected a failure"); continue }
            #expect(error.reason == .interrupted)
        }
    }

    @Test func timeoutOfASilentServer() {
        let (fd, port) = loopbackPort(listening: true)
        defer { close(fd) }
        var request = HTTPRequest(url: "http://127.0.0.1:\(port)/")
        request.timeout = 0.2
        let begin = now()
        guard case .failure(let error) = HTTPClient.perform(request) else { Issue.record("expected a failure"); return }
        #expect(error.reason == .timeout)
        #expect(error.detail == "timed out after 0.2 s")
        #expect(now() - begin < 1)
    }
}
