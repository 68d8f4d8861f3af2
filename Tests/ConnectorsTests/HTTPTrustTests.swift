import Testing
@testable import Connectors

// What lab.http trusts: the redirect rules (which headers, auth and body
// follow a Location, and where to), and the timeouts it accepts. Pure: no
// network (https -> http is also tested live in Tests/lua/http_trust_spec.lua).

@Suite struct RedirectRuleTests {
    func secretPost(_ url: String) -> HTTPRequest {
        var r = HTTPRequest(method: "POST", url: url)
        r.headers = [("X-Api-Key", "k1"), ("X-Vault-Token", "v1")]
        r.auth = .bearer("t1")
        r.body = Array("secret".utf8)
        return r
    }

    func next(_ r: HTTPRequest, _ status: Int, _ location: String) -> HTTPRequest? {
        if case .success(let n) = Redirect.follow(r, status: status, to: location) { return n }
        return nil
    }

    @Test func anotherOriginGetsNoHeadersAuthOrBody() throws {
        for location in ["http://127.0.0.1:8081/x", "http://127.0.0.2:8080/x", "https://127.0.0.1:8080/x",
                         "http://localhost:8080/x"] {
            let n = try #require(next(secretPost("http://127.0.0.1:8080/a"), 307, location), "\(location)")
            #expect(n.method == "POST", "\(location)")
            #expect(n.headers.isEmpty, "\(location)")
            #expect(n.auth == nil, "\(location)")
            #expect(n.body == nil, "\(location)")
            #expect(n.url == location)
        }
    }

    @Test func theSameOriginKeepsThemOn307And308() throws {
        for status in [307, 308] {
            for location in ["http://127.0.0.1:8080/b", "HTTP://127.0.0.1:8080/b", "http://127.0.0.1:8080/b?q=1"] {
                let n = try #require(next(secretPost("http://127.0.0.1:8080/a"), status, location))
                #expect(n.method == "POST")
                #expect(n.headers.map(\.name) == ["X-Api-Key", "X-Vault-Token"])
                #expect(n.auth == .bearer("t1"))
                #expect(n.body == Array("secret".utf8))
            }
        }
        // The default port written out is the same origin.
        let n = try #require(next(secretPost("https://api.example.org/a"), 307, "https://API.example.org:443/b"))
        #expect(n.headers.count == 2)
    }

    @Test func trustRedirectsKeepsThemEverywhereButHttp() throws {
        var r = secretPost("https://127.0.0.1:8443/a")
        r.trustRedirects = true
        let n = try #require(next(r, 308, "https://127.0.0.1:9443/x"))
        #expect(n.headers.count == 2 && n.auth == .bearer("t1") && n.body == Array("secret".utf8))
        #expect(next(r, 308, "http://127.0.0.1:9443/x") == nil)
    }

    @Test func httpsNeverRedirectsToHttp() {
        for status in [301, 302, 303, 307, 308] {
            guard case .failure(let refused) = Redirect.follow(HTTPRequest(url: "https://127.0.0.1/a"), status: status,
                                                                to: "http://127.0.0.1/b") else {
                Issue.record("\(status): https -> http followed")
                continue
            }
            #expect(refused.detail == "redirect from https to http refused: http://127.0.0.1/b")
        }
        #expect(next(HTTPRequest(url: "http://127.0.0.1/a"), 302, "https://127.0.0.1/b") != nil)
        #expect(next(HTTPRequest(url: "http://127.0.0.1/a"), 302, "file:///etc/passwd") == nil)
        #expect(next(HTTPRequest(url: "http://127.0.0.1/a"), 302, "ftp://127.0.0.1/x") == nil)
    }

    @Test func postBecomesGetOn301302And303() throws {
        for status in [301, 302, 303] {
            let n = try #require(next(secretPost("http://127.0.0.1:8080/a"), status, "http://127.0.0.1:8080/b"))
            #expect(n.method == "GET", "\(status)")
            #expect(n.body == nil, "\(status)")
            #expect(n.headers.count == 2, "same origin: headers stay")
        }
        var put = HTTPRequest(method: "PUT", url: "http://127.0.0.1/a")
        put.body = [1]
        #expect(try #require(next(put, 302, "http://127.0.0.1/b")).method == "PUT")
        #expect(try #require(next(put, 303, "http://127.0.0.1/b")).method == "GET")
        #expect(try #require(next(HTTPRequest(method: "HEAD", url: "http://127.0.0.1/a"), 303, "http://127.0.0.1/b")).method == "HEAD")
    }

    @Test func theQueryIsNotAppendedTwice() throws {
        var r = HTTPRequest(url: "http://127.0.0.1/a")
        r.query = [("q", "1")]
        let n = try #require(next(r, 302, "http://127.0.0.1/b?q=1"))
        #expect(n.fullURL == "http://127.0.0.1/b?q=1")
    }

    @Test func origins() {
        #expect(Origin("http://h/x") == Origin("http://h:80/y"))
        #expect(Origin("http://user:pw@h:81/") == Origin("http://h:81"))
        #expect(Origin("http://[::1]:8080/") != Origin("http://[::1]:8081/"))
        #expect(Origin("http://h./") == Origin("http://H/"))
        #expect(Origin("http://h:99999/") == nil)
        #expect(Origin("no scheme") == nil)
        #expect(Origin("http:///path") == nil)
    }
}

@Suite struct HTTPTimeoutRuleTests {
    @Test func anyNumberIsEitherMillisecondsOrRefused() {
        for bad in [0, -1, 0.0004, 0.000999, 1e300, 1e19, Double.infinity, -Double.infinity, Double.nan,
                    1_000_000.5, Double.greatestFiniteMagnitude, -0.0] {
            #expect(HTTPRequest.milliseconds(bad) == nil, "\(bad)")
        }
        #expect(HTTPRequest.milliseconds(0.001) == 1)
        #expect(HTTPRequest.milliseconds(0.0015) == 2, "rounded up, never down to 0")
        #expect(HTTPRequest.milliseconds(30) == 30_000)
        #expect(HTTPRequest.milliseconds(1_000_000) == 1_000_000_000)
    }
}
