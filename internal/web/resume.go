package web

import (
	"net/http"
	"net/url"
	"strings"

	"saferspaces/internal/paths"
)

// No lost work. A request whose session has expired (or whose cookie names no session) never gets
// a 403: a GET is sent to the sign-in page with ?next=, and a POST is answered with the sign-in
// page itself, which says that the session expired and carries what the POST was about in hidden
// fields. Signing in then returns the user to where they were — and for the two things a learner
// sends most, finishes the job: "mark as done" is carried out, and the self-check answers become
// the draft that the self-check form shows again. Nothing is kept for anonymous requests: the
// hidden fields travel with the page and come back only with the sign-in form.
//
// Whoever changes the sign-in flow (a second factor, single sign-on) carries the three fields
// next, resume and resume_form through it and calls resumeAfterSignIn once the session exists.

// maxResumeForm bounds the form carried through the sign-in page: a self-check of many questions
// is a few hundred bytes, anything much larger is not one of the platform's forms.
const maxResumeForm = 16 << 10

// pendingPost is a POST that arrived without a valid session, as the sign-in form carries it.
type pendingPost struct {
	Next string // the page to return to after signing in
	// Path and Form are set for the POSTs that are finished after signing in (see resumable).
	Path string
	Form string // URL-encoded
}

// resumable reports what kind of learner POST path is: a lesson's "mark as done" or a self-check
// submission (with its module and lesson), or neither.
func resumable(path string) (kind, moduleID, lessonID string) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case len(parts) == 5 && parts[0] == "modules" && parts[2] == "lessons" && parts[4] == "complete":
		return "complete", parts[1], parts[3]
	case len(parts) == 3 && parts[0] == "modules" && parts[2] == "check":
		return "check", parts[1], ""
	}
	return "", "", ""
}

// returnPage is the page to come back to after a POST to path: the GET page of the same address,
// else of the nearest address above it that has one (/admin/users/7/role → /admin/users/7,
// /admin/registrations/7/approve → /admin/registrations), else the dashboard.
func (s *Server) returnPage(path string) string {
	for p := path; p != "" && p != "/"; p = p[:strings.LastIndexByte(p, '/')] {
		probe := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Host: "localhost"}
		if _, pattern := s.mux.Handler(probe); pattern != "" && !strings.HasPrefix(pattern, "GET /static/") {
			return p
		}
	}
	return "/"
}

// signInAgain answers a POST that needs a signed-in user but has none: the sign-in page, saying
// why, with the POST carried in hidden fields (status 200: the page is what the POST gets).
func (s *Server) signInAgain(w http.ResponseWriter, r *http.Request) {
	pp := pendingPost{Next: s.returnPage(r.URL.Path)}
	if kind, _, _ := resumable(r.URL.Path); kind != "" {
		pp.Path = r.URL.Path
		if kind == "check" && r.ParseForm() == nil {
			if enc := r.PostForm.Encode(); len(enc) <= maxResumeForm {
				pp.Form = enc
			}
		}
	}
	d := &loginData{Form: loginForm{Next: pp.Next, Resume: pp.Path, ResumeForm: pp.Form}, Expired: hadSession(r)}
	// The language switch returns to the page, not to the address of the POST.
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawQuery = pp.Next, ""
	s.loginPage(w, r2, http.StatusOK, d)
}

// hadSession reports whether the request came with a session cookie: then its session has
// expired (or was ended elsewhere), rather than the visitor never having signed in.
func hadSession(r *http.Request) bool {
	_, err := r.Cookie(SessionCookie)
	return err == nil
}

// resumeAfterSignIn finishes a POST that the sign-in page carried, now that userID is signed
// in, and returns where to go: the page after the finished action, or the page to return to.
// A user who must first accept a new declaration is sent there, with "mark as done" offered
// again on the lesson rather than carried out past the declaration.
func (s *Server) resumeAfterSignIn(w http.ResponseWriter, r *http.Request, userID int64, f loginForm) string {
	kind, moduleID, lessonID := resumable(f.Resume)
	if kind == "" {
		return f.Next
	}
	ctx := r.Context()
	needs, err := s.acc.NeedsAcceptance(ctx, userID)
	if err != nil {
		s.log.Warn("resume after sign-in: declaration", "err", err)
		return f.Next
	}
	switch kind {
	case "check":
		form, err := url.ParseQuery(f.ResumeForm)
		if err != nil || len(f.ResumeForm) > maxResumeForm {
			return paths.Check(moduleID)
		}
		// The answers become the draft the form shows; submitting stays the learner's decision.
		if err := s.learn.SaveDraft(ctx, userID, moduleID, form); err != nil {
			s.log.Info("resume after sign-in: draft not kept", "module", moduleID, "err", err)
		}
		return paths.Check(moduleID)
	case "complete":
		l := s.learn.Catalog().Lesson(moduleID, lessonID)
		if l == nil {
			return "/"
		}
		if needs {
			return paths.Lesson(moduleID, lessonID)
		}
		issued, err := s.learn.CompleteLesson(ctx, userID, moduleID, lessonID)
		if err != nil {
			s.log.Warn("resume after sign-in: complete lesson", "err", err)
			return paths.Lesson(moduleID, lessonID)
		}
		return s.afterComplete(w, r, moduleID, lessonID, issued)
	}
	return f.Next
}
