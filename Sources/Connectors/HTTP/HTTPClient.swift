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

/// Performs requests over libcurl's multi interface: one request is a batch
/// of one. Waits are at most 100 ms, so a stop is noticed that fast.
public enum HTTPClient {
    public typealias Outcome = Result<HTTPResponse, HTTPError>

    /// Whether libcurl can be loaded; else the message to show.
    public static func loadError() -> String? {
        ccurl_load() == 0 ? nil : String(cString: ccurl_load_error())
    }

    public static func perform(_ request: HTTPRequest, stop: HTTPStop? = nil) -> Outcome {
        perform([request], maxParallel: 1, stop: stop)[0]
    }

    /// Results in request order; a failure of one never affects the others.
    /// `progress(done, total)` is called as the batch goes.
    public static func perform(_ requests: [HTTPRequest], maxParallel: Int, stop: HTTPStop? = nil,
                               progress: ((Int, Int) -> Void)? = nil) -> [Outcome] {
        if let message = loadError() {
            return requests.map { .failure(HTTPError(reason: .unavailable, method: $0.method, url: $0.fullURL, detail: message)) }
        }
        guard let multi = ccurl_multi_new() else {
            return requests.map { .failure(HTTPError(reason: .unavailable, method: $0.method, url: $0.fullURL, detail: "curl_multi_init failed")) }
        }
        defer { ccurl_multi_free(multi) }
        var batch = Batch(requests: requests, multi: multi, maxParallel: max(1, maxParallel))
        return batch.run(stop: stop, progress: progress)
    }
}

/// The state of one batch: what waits to start, what runs, what is done.
private struct Batch {
    let requests: [HTTPRequest]
    let multi: UnsafeMutableRawPointer
    let maxParallel: Int
    var results: [HTTPClient.Outcome?]
    var next = 0                                  // the next request not yet started
    var retryAt: [(index: Int, time: Double)] = []  // retries waiting for their time
    var running: [Int: HTTPTransfer] = [:]        // by request index
    var attempts: [Int]
    var started: [Double]
    var done = 0

    init(requests: [HTTPRequest], multi: UnsafeMutableRawPointer, maxParallel: Int) {
        self.requests = requests
        self.multi = multi
        self.maxParallel = maxParallel
        results = Array(repeating: nil, count: requests.count)
        attempts = Array(repeating: 0, count: requests.count)
        started = Array(repeating: 0, count: requests.count)
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

    mutating func start(_ index: Int) {
        let request = requests[index]
        attempts[index] += 1
        guard let transfer = HTTPTransfer(request) else {
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
            if case .failure(let error) = outcome, retry(index, after: error) { continue }
            finish(index, outcome)
        }
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

    mutating func finish(_ index: Int, _ outcome: HTTPClient.Outcome) {
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
