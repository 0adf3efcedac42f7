package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"saferspaces/internal/app"
)

// Behind a trusted reverse proxy the client is the right-most X-Forwarded-For entry that is not
// a proxy; without one, X-Forwarded-For is ignored (anyone can send it).
func TestClientAddressBehindTrustedProxies(t *testing.T) {
	n := 0
	failedFrom := func(h *harness, xff ...string) string {
		t.Helper()
		n++ // a new address each time, so per-account throttling never kicks in
		b := h.browser()
		hd := http.Header{}
		for _, v := range xff {
			hd.Add("X-Forwarded-For", v)
		}
		b.postWith("/login", url.Values{"email": {fmt.Sprintf("niemand%d@stadt.example", n)}, "password": {"irgendein langes Passwort"}}, hd)
		var ip string
		if err := h.db.R.QueryRow(`SELECT ip FROM audit_log WHERE action = 'login.failed' ORDER BY id DESC LIMIT 1`).Scan(&ip); err != nil {
			t.Fatal(err)
		}
		return ip
	}

	direct := newHarness(t)
	if got := failedFrom(direct, "198.51.100.7"); got != "127.0.0.1" {
		t.Errorf("without trusted proxies the address is %q, want the peer 127.0.0.1", got)
	}

	proxied := newHarness(t, func(p *app.Parts) { p.Config.TrustedProxies = "127.0.0.0/8, 10.0.0.0/8" })
	for _, tc := range []struct {
		xff  []string
		want string
	}{
		{[]string{"198.51.100.7"}, "198.51.100.7"},
		{[]string{"203.0.113.66, 198.51.100.7"}, "198.51.100.7"},   // the left entry came from the client
		{[]string{"198.51.100.7, 10.1.2.3"}, "198.51.100.7"},       // a second proxy hop is skipped
		{[]string{"203.0.113.66", "198.51.100.8"}, "198.51.100.8"}, // several headers read as one list
		{[]string{"not-an-ip, 198.51.100.9"}, "198.51.100.9"},      // right-most wins before the junk
		{[]string{"198.51.100.9, garbage"}, "127.0.0.1"},           // junk at the right: trust nothing
		{nil, "127.0.0.1"},
	} {
		if got := failedFrom(proxied, tc.xff...); got != tc.want {
			t.Errorf("X-Forwarded-For %q: address %q, want %q", tc.xff, got, tc.want)
		}
	}
}
