package web

import (
	"net/http"
	"strings"

	"saferspaces/internal/errs"
	"saferspaces/internal/xapi"
)

// The learning records' queue towards the LRS, for admins: what waits, what was sent, what the LRS
// refused and why, and a retry.

type lrsData struct {
	adminBase
	Endpoint  string // the configured LRS, "" if none
	Canonical string
	Stats     xapi.QueueStats
	Sections  []lrsSection // failed, waiting, sent
}

type lrsSection struct {
	State string
	Items []xapi.Item
}

// listed is how many statements of each state the page shows.
const listed = 50

func (s *Server) adminXAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := &lrsData{adminBase: s.adminBase(w, r, "integration.lrs.title", "xapi"), Endpoint: s.cfg.XAPIEndpoint}
	var err error
	if d.Canonical, err = s.XAPI.CanonicalURL(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Stats, err = s.XAPI.Stats(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, state := range []string{xapi.StateFailed, xapi.StateWaiting, xapi.StateSent} {
		items, err := s.XAPI.Items(ctx, state, listed)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Sections = append(d.Sections, lrsSection{State: state, Items: items})
	}
	s.page(w, r, http.StatusOK, "admin_xapi", d)
}

// adminXAPIRetry puts one failed statement (field id) or all failed ones back into the queue and
// lets waiting ones go now.
func (s *Server) adminXAPIRetry(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostFormValue("id"))
	if len(id) > 64 {
		s.fail(w, r, errs.E(errs.Invalid, "not a statement id"))
		return
	}
	if _, err := s.XAPI.Retry(r.Context(), s.actor(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.XAPI.Kick()
	s.done(w, r, "/admin/xapi", "xapi_retried")
}
