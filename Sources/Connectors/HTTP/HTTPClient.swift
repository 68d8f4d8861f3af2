import CCurlShim
#if canImport(Glibc)
import Glibc
#endif

/// How a caller lets a batch be stopped from outside (Ctrl-C, --timeout):
/// a file descriptor that becomes readable, and the check itself.
public struct HTTPStop {
    public var fd: Int32
    public var isRequested: () -> Bool
    public init(fd: Int32, isRequested: @escaping () -> Bool) {
        self.fd = fd
        self.isRequested = isRequested
    }
}

/// A bound on the body bytes of a whole batch, over the bound of each
/// request (HTTPRequest.maxBytes): bodies are held in memory until the batch
/// ends. Past it a transfer stops with reason "too_large" and
/// "<subject> larger than <bytes> bytes (<label>)".
public struct HTTPBodyBudget: Sendable {
    public var bytes: Int
    /// "body" for one request, "bodies together" for a batch.
    public var subject: String
    /// What sets the bound: "max_total_bytes", "what is left of --memory-limit".
    public var label: String

    public init(bytes: Int, subject: String, label: String) {
        self.bytes = bytes
        self.subject = subject
        self.label = label
    }
}

/// Performs requests over libcurl's multi interface: one request is a batch
/// of one. Waits are at most 100 ms, so a stop is noticed that fast.
public enum HTTPClient {
    public typealias Outcome = Result<HTTPResponse, HTTPError>

    /// Whether libcurl can be loaded; else the message to show.
    public static func loadError() -> String? {
        ccurl_load() == 0 ? nil : String(cString: ccurl_load_error())
    }

    public static func perform(_ request: HTTPRequest, budget: HTTPBodyBudget? = nil, stop: HTTPStop? = nil) -> Outcome {
        perform([request], maxParallel: 1, budget: budget, stop: stop)[0]
    }

    /// Results in request order; a failure of one never affects the others.
    /// `progress(done, total)` is called as the batch goes.
    public static func perform(_ requests: [HTTPRequest], maxParallel: Int, budget: HTTPBodyBudget? = nil,
                               stop: HTTPStop? = nil, progress: ((Int, Int) -> Void)? = nil) -> [Outcome] {
        if let message = loadError() {
            return requests.map { .failure(HTTPError(reason: .unavailable, method: $0.method, url: $0.fullURL, detail: message)) }
        }
        guard let multi = ccurl_multi_new() else {
            return requests.map { .failure(HTTPError(reason: .unavailable, method: $0.method, url: $0.fullURL, detail: "curl_multi_init failed")) }
        }
        defer { ccurl_multi_free(multi) }
        let counter = UnsafeMutablePointer<ccurl_budget>.allocate(capacity: 1)
        counter.initialize(to: ccurl_budget(used: 0, max: budget.map { max(0, $0.bytes) } ?? Int.max))
        defer { counter.deallocate() }
        var batch = Batch(requests: requests, multi: multi, maxParallel: max(1, maxParallel),
                          budget: budget, counter: counter)
        return batch.run(stop: stop, progress: progress)
    }
}

/// The state of one batch: what waits to start, what runs, what is done.
private struct Batch {
    let requests: [HTTPRequest]
    let multi: UnsafeMutableRawPointer
    let maxParallel: Int
    let budget: HTTPBodyBudget?
    let counter: UnsafeMutablePointer<ccurl_budget>
    var results: [HTTPClient.Outcome?]
    var next = 0                                  // the next request not yet started
    var retryAt: [(index: Int, time: Double)] = []  // retries waiting for their time
    var running: [Int: HTTPTransfer] = [:]        // by request index
    var attempts: [Int]
    var started: [Double]
    /// What each request sends now: itself, or where redirects led it.
    var current: [HTTPRequest]
    var hops: [Int]
    var hopsBegan: [Double]                       // when the attempt's first hop began
    var done = 0

    init(requests: [HTTPRequest], multi: UnsafeMutableRawPointer, maxParallel: Int,
         budget: HTTPBodyBudget?, counter: UnsafeMutablePointer<ccurl_budget>) {
        self.requests = requests
        self.multi = multi
        self.maxParallel = maxParallel
        self.budget = budget
        self.counter = counter
        results = Array(repeating: nil, count: requests.count)
        attempts = Array(repeating: 0, count: requests.count)
        started = Array(repeating: 0, count: requests.count)
        current = requests
        hops = Array(repeating: 0, count: requests.count)
        hopsBegan = Array(repeating: 0, count: requests.count)
    }

    mutating func run(stop: HTTPStop?, progress: ((Int, Int) -> Void)?) -> [HTTPClient.Outcome] {
        while done < requests.count {
            if let stop, stop.isRequested() {
                interruptAll()
                break
            }
            startWhatCan()
            var active: Int32 = 0
            _ = ccurl_multi_perform(multi, &active)
            collectFinished()
            progress?(done, requests.count)
            if done == requests.count { break }
            _ = ccurl_multi_poll(multi, stop?.fd ?? -1, pollTimeout())
        }
        return results.map { $0! }
    }

    /// At most 100 ms, less when a retry is due sooner.
    func pollTimeout() -> Int32 {
        var wait = 0.1
        if running.isEmpty, next >= requests.count, let soonest = retryAt.map(\.time).min() {
            wait = min(wait, max(0, soonest - now()))
        }
        return Int32(wait * 1000)
    }

    mutating func startWhatCan() {
        let time = now()
        while running.count < maxParallel {
            if let due = retryAt.firstIndex(where: { $0.time <= time }) {
                start(retryAt.remove(at: due).index)
            } else if next < requests.count {
                next += 1
                started[next - 1] = time
                start(next - 1)
            } else {
                break
            }
        }
    }

    /// Starts an attempt (`hop` 0) or the next hop of its redirects.
    mutating func start(_ index: Int, hop: Bool = false) {
        var request = current[index]
        if hop {
            request.elapsedBefore = now() - hopsBegan[index]
        } else {
            attempts[index] += 1
            hopsBegan[index] = now()
        }
        guard let transfer = HTTPTransfer(request, budget: budget, counter: counter) else {
            finish(index, .failure(HTTPError(reason: .protocol, method: request.method, url: request.fullURL,
                                             detail: "cannot create a curl handle")))
            return
        }
        if let error = transfer.configure() {
            finish(index, .failure(error))
            return
        }
        transfer.handle.pointee.user = UnsafeMutableRawPointer(bitPattern: index + 1)
        guard ccurl_multi_add(multi, transfer.handle) == 0 else {
            finish(index, .failure(HTTPError(reason: .protocol, method: request.method, url: request.fullURL,
                                             detail: "curl_multi_add_handle failed")))
            return
        }
        running[index] = transfer
    }

    mutating func collectFinished() {
        var code = CURLE_OK
        while let handle = ccurl_multi_next_done(multi, &code) {
            let index = Int(bitPattern: handle.pointee.user) - 1
            guard let transfer = running.removeValue(forKey: index) else { continue }
            _ = ccurl_multi_remove(multi, handle)
            let outcome = transfer.outcome(code, elapsed: now() - started[index])
            switch outcome {
            case .success(let response) where Redirect.statuses.contains(response.status) && transfer.request.maxRedirects > 0:
                guard let location = transfer.redirectURL else { finish(index, outcome); continue }
                ccurl_transfer_release_budget(handle)  // a redirect's body is not kept
                follow(index, response.status, location)
            case .failure(let error):
                ccurl_transfer_release_budget(handle)
                if retry(index, after: error) { continue }
                finish(index, outcome)
            case .success:
                finish(index, outcome)
            }
        }
    }

    /// The next hop after a redirect (Redirect has the rules), or the error
    /// that ends the request.
    mutating func follow(_ index: Int, _ status: Int, _ location: String) {
        let request = current[index]
        guard hops[index] < request.maxRedirects else {
            finish(index, .failure(failure(index, "too many redirects (max \(request.maxRedirects))")))
            return
        }
        switch Redirect.follow(request, status: status, to: location) {
        case .success(let next):
            if let why = next.permitsHop?(next.url) {
                finish(index, .failure(failure(index, why)))
                return
            }
            current[index] = next
            hops[index] += 1
            start(index, hop: true)
        case .failure(let refused):
            finish(index, .failure(failure(index, refused.detail)))
        }
    }

    /// An error about request `index` as the caller asked it.
    func failure(_ index: Int, _ detail: String) -> HTTPError {
        let r = requests[index]
        return HTTPError(reason: .protocol, method: r.method, url: r.fullURL, detail: detail)
    }

    /// Schedules another attempt if the policy allows one.
    mutating func retry(_ index: Int, after error: HTTPError) -> Bool {
        let policy = RetryPolicy(retries: requests[index].retries)
        guard policy.shouldRetry(error, attempt: attempts[index]) else { return false }
        let retryAfter = RetryPolicy.retryAfterSeconds(error.headers["retry-after"])
        let wait = policy.delay(afterAttempt: attempts[index], retryAfter: retryAfter, random: Double.random(in: 0...1))
        retryAt.append((index, now() + wait))
        return true
    }

    /// Errors name the request as the caller asked it, and the hop where a
    /// redirect led.
    mutating func finish(_ index: Int, _ outcome: HTTPClient.Outcome) {
        var outcome = outcome
        if hops[index] > 0, case .failure(var error) = outcome, error.url != requests[index].fullURL {
            error.detail += " (redirected to \(error.url))"
            error.method = requests[index].method
            error.url = requests[index].fullURL
            outcome = .failure(error)
        }
        results[index] = outcome
        done += 1
    }

    /// A stop: everything unfinished ends as "interrupted".
    mutating func interruptAll() {
        for (index, transfer) in running {
            _ = ccurl_multi_remove(multi, transfer.handle)  // the handle is freed with `running`
            let r = requests[index]
            finish(index, .failure(HTTPError(reason: .interrupted, method: r.method, url: r.fullURL, detail: "interrupted")))
        }
        running.removeAll()
        for index in results.indices where results[index] == nil {
            let r = requests[index]
            finish(index, .failure(HTTPError(reason: .interrupted, method: r.method, url: r.fullURL, detail: "interrupted")))
        }
    }
}

/// Monotonic seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
