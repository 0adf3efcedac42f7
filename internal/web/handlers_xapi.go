package web

import (
	"mime"
	"net/http"
	"time"
)

// adminExportXAPI streams every learner's progress as xAPI statements (JSON lines). The export
// takes personal data out of the platform; the service audits it before the first byte is sent.
func (s *Server) adminExportXAPI(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": "saferspaces-xapi-" + now.UTC().Format("2006-01-02") + ".jsonl"}))
	h.Set("Cache-Control", "no-store")
	// The server's write timeout is sized for pages; a large export over a slow line needs longer.
	// The wall clock is right here, not the injected one: this is a network deadline.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(15 * time.Minute))
	sw := &sentWriter{w: w}
	if err := s.XAPI.Export(r.Context(), sw, s.actor(r), "a download"); err != nil {
		if !sw.sent {
			h.Del("Content-Disposition")
			s.fail(w, r, err)
			return
		}
		// Half a file is already out: break the connection, so the client sees a failed download
		// rather than a file that looks complete.
		s.log.Error("xapi export broke off", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// sentWriter notes whether anything reached the client, after which the status cannot change.
type sentWriter struct {
	w    http.ResponseWriter
	sent bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.sent = s.sent || len(p) > 0
	return s.w.Write(p)
}
