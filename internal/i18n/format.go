package i18n

import (
	"strconv"
	"time"
)

// Dates are written from catalog entries, so that a new language brings its own month names and
// order: date.month.1 … date.month.12, date.month_short.1 … 12, date.first_day (how the first of
// a month is written: "1." in German, "1er" in French), date.long and date.datetime (templates over
// .Day, .Month, .MonthShort, .Year, .Numeric, .Time), date.numeric and date.time (Go layouts with
// numbers only, e.g. "02.01.2006" and "15:04").

// Date is the day of t in loc as people write it in running text: "2. Januar 2026",
// "2 January 2026", "1er janvier 2026". The zero time is "–".
func Date(lang Lang, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "–"
	}
	return T(lang, "date.long", dateData(lang, t.In(loc))...)
}

// DateTime is t in loc with the time of day: "02.01.2026, 14:05", "2 Jan 2026, 14:05".
func DateTime(lang Lang, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "–"
	}
	return T(lang, "date.datetime", dateData(lang, t.In(loc))...)
}

// NumericDate is the day of t in loc in the short numeric form of lang, for tables and
// spreadsheets: "02.01.2026", "2026-01-02", "02/01/2026". The zero time is "".
func NumericDate(lang Lang, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(T(lang, "date.numeric"))
}

// MonthYear names a month: "März 2026", "March 2026".
func MonthYear(lang Lang, t time.Time) string {
	return T(lang, "date.month_year", dateData(lang, t)...)
}

func dateData(lang Lang, t time.Time) []any {
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = T(lang, "date.first_day")
	}
	m := strconv.Itoa(int(t.Month()))
	return []any{
		"Day", day,
		"Month", T(lang, "date.month."+m),
		"MonthShort", T(lang, "date.month_short."+m),
		"Year", t.Year(),
		"Numeric", t.Format(T(lang, "date.numeric")),
		"Time", t.Format(T(lang, "date.time")),
	}
}

// Percent writes a percentage the way lang does: "42 %" with a no-break space in German and
// French, "42%" in English and Italian.
func Percent(lang Lang, n int) string { return T(lang, "number.percent", "N", n) }

// Colon is the colon of lang with the space French puts before it (punct.colon): a label and
// its value are joined as label + Colon(lang) + " " + value, never with a bare ": ".
func Colon(lang Lang) string { return T(lang, "punct.colon") }

// Semicolon is the semicolon of lang with the space French puts before it (punct.semicolon).
func Semicolon(lang Lang) string { return T(lang, "punct.semicolon") }
