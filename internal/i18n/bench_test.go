package i18n_test

import (
	"testing"

	"saferspaces/internal/i18n"
)

// The interface translates dozens of texts per page; these are the two kinds of call.
func BenchmarkT(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		i18n.T("de", "learning.dashboard.title")
	}
}

func BenchmarkTWithData(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		i18n.T("de", "learning.percent_done", "Percent", 42)
	}
}

// T's fast path writes every message exactly as go-i18n would: checked for every message of
// every language, with and without data.
func TestFastPathAgreesWithGoI18n(t *testing.T) {
	n := i18n.CompareFastPath(t)
	if n < 100 {
		t.Errorf("only %d messages on the fast path", n)
	}
}

func BenchmarkN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		i18n.N("de", "learning.lessons_done", 7, "Done", 3)
	}
}

// N's compiled plural messages choose the form by the same CLDR rules as go-i18n and write it
// the same way: checked for every plural message of every language over thousands of counts.
func TestPluralPathAgreesWithGoI18n(t *testing.T) {
	n := i18n.ComparePluralPath(t)
	if n < 50 {
		t.Errorf("only %d plural messages compiled", n)
	}
}
