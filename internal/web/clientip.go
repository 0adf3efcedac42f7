package web

import (
	"net/http"
	"net/netip"
	"strings"
)

// peerIP is the address of the TCP peer.
func peerIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

func (s *Server) trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// resolveIP is the client's address, used for throttling and the audit log. Without trusted
// proxies it is the TCP peer: X-Forwarded-For can be set by anyone, and believing it would let an
// attacker escape the per-address sign-in cap. When the peer is a trusted proxy (a TLS-terminating
// reverse proxy in front of the platform), the client is the right-most X-Forwarded-For entry that
// is not itself a trusted proxy — entries further left were written by the client and prove nothing.
func (s *Server) resolveIP(r *http.Request) string {
	ip := peerIP(r)
	if len(s.proxies) == 0 || !s.trusted(ip) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(hop)
		if err != nil {
			break // a malformed entry ends what can be believed
		}
		if !s.trusted(a.Unmap().String()) {
			return a.Unmap().String()
		}
		ip = a.Unmap().String()
	}
	return ip
}

// clientIP is the request's client address as resolved once per request by withState.
func clientIP(r *http.Request) string {
	if st, ok := r.Context().Value(ctxKey{}).(*reqState); ok && st.ip != "" {
		return st.ip
	}
	return peerIP(r)
}
