/// How much downtime an availability target allows over a window (SRE error
/// budget), and how much of it an outage history has used.
public struct ErrorBudget: Hashable, Sendable, CustomStringConvertible {
    public let target: AvailabilityTarget
    public let window: Duration
    /// window × (1 − target), exact to the attosecond.
    public let allowedDowntime: Duration

    public static let thirtyDays = Duration.seconds(30 * 86_400)

    public init(target: AvailabilityTarget, window: Duration = ErrorBudget.thirtyDays) throws {
        guard window > .zero else {
            throw HomelabError("the window of an error budget must be longer than zero, not \(DurationText.compact(window))")
        }
        self.target = target
        self.window = window
        // attoseconds × (10^scale − digits) / 10^scale; the full-width
        // product cannot overflow and the division is exact whenever the
        // window is a whole number of seconds (scale ≤ 18).
        let denominator = Int128(powerOfTen(target.fraction.scale))
        let unavailable = denominator - Int128(target.fraction.digits)
        let product = window.attosecondsTotal.multipliedFullWidth(by: unavailable)
        let (quotient, _) = denominator.dividingFullWidth(product)
        allowedDowntime = Duration(attosecondsTotal: quotient)
    }

    /// "3h 36m per 30d at 99.5%".
    public var description: String {
        "\(DurationText.compact(allowedDowntime)) per \(DurationText.compact(window)) at \(target)"
    }

    /// The budget after `downtime` of outage within the window.
    public func usage(downtime: Duration) -> BudgetUsage {
        BudgetUsage(budget: self, consumed: downtime)
    }
}

public struct BudgetUsage: Hashable, Sendable, CustomStringConvertible {
    public let budget: ErrorBudget
    public let consumed: Duration

    /// Negative once the budget is overspent.
    public var remaining: Duration { budget.allowedDowntime - consumed }

    /// Share of the budget used, in percent; above 100 when overspent. A
    /// 100% target has no budget: any downtime is infinitely over it.
    public var consumedPercent: Double {
        let allowed = budget.allowedDowntime.attosecondsTotal
        let used = consumed.attosecondsTotal
        if allowed == 0 { return used == 0 ? 0 : .infinity }
        return Double(used) / Double(allowed) * 100
    }

    public var remainingPercent: Double { 100 - consumedPercent }

    public var exhausted: Bool { consumed >= budget.allowedDowntime && consumed > .zero }

    /// "1h 12m of 3h 36m used (33.3%), 2h 24m left".
    public var description: String {
        let percent = (consumedPercent * 10).rounded() / 10
        let left = remaining < .zero
            ? "overspent by \(DurationText.compact(.zero - remaining))"
            : "\(DurationText.compact(remaining)) left"
        return "\(DurationText.compact(consumed)) of \(DurationText.compact(budget.allowedDowntime)) used (\(percent)%), \(left)"
    }
}

extension Duration {
    /// The whole duration in attoseconds (10^-18 s).
    var attosecondsTotal: Int128 {
        Int128(components.seconds) * 1_000_000_000_000_000_000 + Int128(components.attoseconds)
    }

    init(attosecondsTotal total: Int128) {
        let perSecond: Int128 = 1_000_000_000_000_000_000
        self.init(secondsComponent: Int64(total / perSecond), attosecondsComponent: Int64(total % perSecond))
    }
}
