import Homelab
import Testing

@Suite struct SLOTests {
    /// (target, budget over 30 days in ms, text, over 28 days in ms, text)
    @Test(arguments: [
        ("99", 25_920_000, "7h 12m", 24_192_000, "6h 43m 12s"),
        ("99.5", 12_960_000, "3h 36m", 12_096_000, "3h 21m 36s"),
        ("99.9", 2_592_000, "43m 12s", 2_419_200, "40m 19.2s"),
        ("99.95", 1_296_000, "21m 36s", 1_209_600, "20m 9.6s"),
        ("99.99", 259_200, "4m 19.2s", 241_920, "4m 1.92s"),
    ])
    func budgets(target: String, ms30: Int64, text30: String, ms28: Int64, text28: String) throws {
        let slo = try AvailabilityTarget(parsing: target)
        let month = try ErrorBudget(target: slo)
        #expect(month.window == .seconds(2_592_000))
        #expect(month.allowedDowntime == .milliseconds(ms30))
        #expect(DurationText.compact(month.allowedDowntime) == text30)
        let fourWeeks = try ErrorBudget(target: slo, window: .seconds(28 * 86_400))
        #expect(fourWeeks.allowedDowntime == .milliseconds(ms28))
        #expect(DurationText.compact(fourWeeks.allowedDowntime) == text28)
    }

    @Test func theSameTargetWrittenThreeWays() throws {
        let a = try AvailabilityTarget(parsing: "99.95%")
        #expect(try AvailabilityTarget(parsing: "99.95") == a)
        #expect(try AvailabilityTarget(parsing: "0.9995") == a)
        #expect(try AvailabilityTarget(parsing: " 99.950 % ") == a)
        #expect(try AvailabilityTarget(percent: 99.95) == a)
        #expect(try AvailabilityTarget(fraction: 0.9995) == a)
        #expect(a.description == "99.95%")
        #expect(a.percentText == "99.95")
        #expect(a.percent == 99.95)
        #expect(try AvailabilityTarget(parsing: "1").description == "100%")
        #expect(try AvailabilityTarget(parsing: "0.5").description == "50%")
        #expect(try AvailabilityTarget(parsing: "95").description == "95%")
    }

    @Test func exactWhereFloatingPointDrifts() throws {
        // (1 - 0.9995) * 2592000 is 1295.9999999999... in Double.
        #expect((1 - 0.9995) * 2_592_000 != 1296)
        #expect(try ErrorBudget(target: AvailabilityTarget(percent: 99.95)).allowedDowntime == .seconds(1296))
        #expect(try ErrorBudget(target: AvailabilityTarget(parsing: "99.9999")).allowedDowntime == .milliseconds(2592))
        #expect(try ErrorBudget(target: AvailabilityTarget(parsing: "95")).description == "1d 12h per 30d at 95%")
        #expect(try ErrorBudget(target: AvailabilityTarget(parsing: "100")).allowedDowntime == .zero)
        // A window that is not whole seconds: 99% of 1.5 s is 15 ms.
        #expect(try ErrorBudget(target: AvailabilityTarget(parsing: "99"), window: .milliseconds(1500)).allowedDowntime
            == .milliseconds(15))
    }

    @Test func rejectsImpossibleTargets() throws {
        let form = "expected a percentage like 99.5% or 99.95, or a fraction like 0.995"
        #expect(errorMessage { try AvailabilityTarget(parsing: "high") } == "'high' is not an availability target: \(form)")
        #expect(errorMessage { try AvailabilityTarget(parsing: "-5") } == "'-5' is not an availability target: \(form)")
        #expect(errorMessage { try AvailabilityTarget(parsing: "99.5.1") } != nil)
        #expect(errorMessage { try AvailabilityTarget(parsing: "100.1") }
            == "'100.1' is not an availability target: it must be above 0% and at most 100%")
        #expect(errorMessage { try AvailabilityTarget(parsing: "0") } != nil)
        #expect(errorMessage { try AvailabilityTarget(parsing: "0%") } != nil)
        #expect(errorMessage { try AvailabilityTarget(parsing: "99.12345678901234567") }
            == "'99.12345678901234567' has too many decimal places; at most 16 after the percent's point")
        #expect(try AvailabilityTarget(parsing: "99.1234567890123456").percentText == "99.1234567890123456")
        #expect(errorMessage { try AvailabilityTarget(percent: .nan) } != nil)
        #expect(errorMessage { try AvailabilityTarget(percent: -1) } != nil)
        #expect(errorMessage { try ErrorBudget(target: AvailabilityTarget(parsing: "99"), window: .zero) } != nil)
    }

    @Test func consumedBudget() throws {
        let budget = try ErrorBudget(target: AvailabilityTarget(parsing: "99.5"))
        #expect(budget.description == "3h 36m per 30d at 99.5%")

        let third = budget.usage(downtime: .seconds(4320))
        #expect(third.remaining == .seconds(8640))
        #expect(abs(third.consumedPercent - 100.0 / 3) < 1e-9)
        #expect(abs(third.remainingPercent - 200.0 / 3) < 1e-9)
        #expect(!third.exhausted)
        #expect(third.description == "1h 12m of 3h 36m used (33.3%), 2h 24m left")

        let all = budget.usage(downtime: .seconds(12_960))
        #expect(all.remaining == .zero)
        #expect(all.consumedPercent == 100)
        #expect(all.exhausted)

        let over = budget.usage(downtime: .seconds(4 * 3600))
        #expect(over.remaining == .seconds(-1440))
        #expect(over.exhausted)
        #expect(over.description == "4h of 3h 36m used (111.1%), overspent by 24m")

        let none = budget.usage(downtime: .zero)
        #expect(none.consumedPercent == 0 && !none.exhausted)

        let perfect = try ErrorBudget(target: AvailabilityTarget(parsing: "100%"))
        #expect(perfect.usage(downtime: .zero).consumedPercent == 0)
        #expect(perfect.usage(downtime: .seconds(1)).consumedPercent == .infinity)
        #expect(perfect.usage(downtime: .seconds(1)).exhausted)
    }

    @Test func durationText() {
        #expect(DurationText.compact(.zero) == "0s")
        #expect(DurationText.compact(.seconds(3605)) == "1h 0m 5s")
        #expect(DurationText.compact(.seconds(86_400)) == "1d")
        #expect(DurationText.compact(.seconds(90_061)) == "1d 1h 1m 1s")
        #expect(DurationText.compact(.milliseconds(500)) == "0.5s")
        #expect(DurationText.compact(.milliseconds(60_250)) == "1m 0.25s")
        #expect(DurationText.compact(.seconds(59) + .microseconds(999_600)) == "1m")
        #expect(DurationText.compact(.seconds(-90)) == "-1m 30s")
    }
}
