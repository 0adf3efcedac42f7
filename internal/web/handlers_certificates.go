package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"saferspaces/internal/learning"
)

type certificatesData struct {
	Base
	Certificates []learning.Certificate
}

// certificates lists the signed-in user's own certificates.
func (s *Server) certificates(w http.ResponseWriter, r *http.Request) {
	certs, err := s.learn.Certificates(r.Context(), state(r).user.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "certificates", &certificatesData{Base: s.base(r, "learning.certificates.title"), Certificates: certs})
}

type certificateData struct {
	Base
	Cert      *learning.Certificate
	VerifyURL string
	Platform  string
	Own       bool   // the viewer is the holder
	Issuer    string // the operator, or the platform when no operator is named
}

// certificate is the public verification page: anyone with the code (or the QR code) sees
// whose certificate it is, for what and since when. Codes typed in another spelling (lower
// case, without dashes) are sent on to the one canonical address.
func (s *Server) certificate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.certificateOf(w, r)
	if !ok {
		return
	}
	d := &certificateData{Base: s.base(r, "learning.certificate.title"), Cert: c, VerifyURL: s.absURL(r, c.Path()),
		Platform: learning.Platform, Issuer: c.Issuer}
	if d.Issuer == "" {
		d.Issuer = learning.Platform
	}
	d.Own = d.User != nil && d.User.ID == c.UserID
	s.page(w, r, http.StatusOK, "certificate", d)
}

// certificateQR is a QR code that leads to the certificate's verification page.
func (s *Server) certificateQR(w http.ResponseWriter, r *http.Request) {
	c, ok := s.certificateOf(w, r)
	if !ok {
		return
	}
	url := s.absURL(r, c.Path())
	f, err := s.files.get("qr\x00"+url, func() ([]byte, error) { return learning.QRPNG(url, 320) })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The QR code only encodes the public address: any cache may keep it.
	s.serveCached(w, r, f, "image/png", "public, max-age=86400")
}

// certificatePDF downloads the certificate as PDF, in the viewer's language.
func (s *Server) certificatePDF(w http.ResponseWriter, r *http.Request) {
	c, ok := s.certificateOf(w, r)
	if !ok {
		return
	}
	lang, url := state(r).lang, s.absURL(r, c.Path())
	// Everything the PDF shows is in the key, so a renamed holder gets a new file; an erasure
	// empties the cache (New), so no PDF with an erased holder's name stays in memory.
	key := strings.Join([]string{"pdf", string(lang), c.Code, c.Name, c.Title(lang), c.IssuedAt.String(), url}, "\x00")
	f, err := s.files.get(key, func() ([]byte, error) {
		var buf bytes.Buffer
		if err := c.WritePDF(&buf, lang, url, s.loc); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="saferspaces-certificate-`+c.Code+`.pdf"`)
	// Kept for a while by the browser, then revalidated by its ETag: a holder erased meanwhile
	// is answered with 404 at the next revalidation.
	w.Header().Set("Vary", "Accept-Language, Cookie")
	s.serveCached(w, r, f, "application/pdf", "private, max-age=300")
}

// serveCached answers with a cached file, or 304 when the browser has it already.
func (s *Server) serveCached(w http.ResponseWriter, r *http.Request, f *cachedFile, contentType, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", f.etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	w.Write(f.body)
}

// certificateOf looks up {code}; a code in another spelling is redirected to the canonical one.
func (s *Server) certificateOf(w http.ResponseWriter, r *http.Request) (*learning.Certificate, bool) {
	code := r.PathValue("code")
	c, err := s.learn.CertificateByCode(r.Context(), code)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	c.Issuer = s.Legal.Operator().Name
	if code != c.Code {
		rest := strings.TrimPrefix(r.URL.Path, "/certificates/"+code) // "", "/qr.png" or "/pdf"
		http.Redirect(w, r, c.Path()+rest, http.StatusMovedPermanently)
		return nil, false
	}
	return c, true
}

// absURL makes an absolute URL for links that leave the browser (QR codes, PDFs): from the
// configured public URL, or, when there is none, from the request.
func (s *Server) absURL(r *http.Request, path string) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.Link(path)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}
