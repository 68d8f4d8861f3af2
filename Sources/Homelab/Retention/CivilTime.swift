/// Calendar arithmetic on the proleptic Gregorian calendar, the way Go's
/// `time` package does it (restic's retention is defined in those terms):
/// dates normalise (February 31 is March 3), weeks are ISO 8601 weeks.
public struct CivilDate: Hashable, Sendable, Comparable {
    public var year: Int
    public var month: Int  // 1...12
    public var day: Int    // 1...31

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (negative: before).
    public init(daysSinceEpoch days: Int) {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01 of any year, month and day, normalised the way
    /// Go's time.Date does: months beyond 1...12 carry into the year, days
    /// beyond the month's length carry into the next months.
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let m0 = month - 1
        let carry = m0 >= 0 ? m0 / 12 : (m0 - 11) / 12
        let y = year + carry
        let m = m0 - carry * 12 + 1
        // Hinnant's days_from_civil for day 1 of (y, m), then the days.
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yearOfEra = yy - era * 400
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468 + (day - 1)
    }

    public var daysSinceEpoch: Int { Self.daysSinceEpoch(year: year, month: month, day: day) }

    /// 1 = Monday ... 7 = Sunday.
    public var isoWeekday: Int {
        let d = daysSinceEpoch  // 1970-01-01 was a Thursday
        return ((d + 3) % 7 + 7) % 7 + 1
    }

    /// The ISO 8601 week: (week-numbering year, week 1...53). Week 1 holds the
    /// year's first Thursday, so Dec 29 can be in next year's week 1 and Jan 3
    /// in last year's week 53.
    public var isoWeek: (year: Int, week: Int) {
        let thursday = CivilDate(daysSinceEpoch: daysSinceEpoch - isoWeekday + 4)
        let firstDay = Self.daysSinceEpoch(year: thursday.year, month: 1, day: 1)
        return (thursday.year, (thursday.daysSinceEpoch - firstDay) / 7 + 1)
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}
