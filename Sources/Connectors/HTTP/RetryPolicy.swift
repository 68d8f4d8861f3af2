/// When to try a request again, and how long to wait first. Pure, so it is
/// tested without a network.
public struct RetryPolicy: Sendable {
    /// Extra attempts after the first.
    public var retries: Int
    /// The first wait; it doubles each attempt, up to `cap`.
    public var base = 0.2
    public var cap = 5.0
    /// The most a server's Retry-After can make us wait.
    public var retryAfterCap = 10.0

    public init(retries: Int) { self.retries = retries }

    /// Methods that may be sent twice without harm (RFC 9110 9.2.2).
    public static func isIdempotent(_ method: String) -> Bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method)
    }

    /// Whether attempt number `attempt` (1 = the first) that ended in
    /// `error` gets another.
    public func shouldRetry(_ error: HTTPError, attempt: Int) -> Bool {
        guard attempt <= retries, RetryPolicy.isIdempotent(error.method) else { return false }
        switch error.reason {
        case .connect: return true
        case .status: return error.status == 429 || (error.status ?? 0) >= 500
        case .protocol: return error.connectionLost
        default: return false
        }
    }

    /// Seconds to wait before attempt `attempt + 1`: exponential backoff with
    /// jitter (half fixed, half random, so waits never collapse to zero), or
    /// the server's Retry-After when longer. `random` is in 0...1.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, random: Double) -> Double {
        let exponential = min(cap, base * Double(1 << min(max(attempt - 1, 0), 20)))
        let jittered = exponential * (0.5 + 0.5 * random)
        guard let server = retryAfter, server > 0 else { return jittered }
        return max(jittered, min(server, retryAfterCap))
    }

    /// Retry-After as seconds; HTTP dates are not honoured (backoff applies).
    public static func retryAfterSeconds(_ header: String?) -> Double? {
        guard let text = header?.trimmingSpaces, let seconds = Int(text), seconds >= 0 else { return nil }
        return Double(seconds)
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
