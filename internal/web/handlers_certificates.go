package web

import (
	"bytes"
	"net/http"
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
	png, err := learning.QRPNG(s.absURL(r, c.Path()), 320)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(png)
}

// certificatePDF downloads the certificate as PDF, in the viewer's language.
func (s *Server) certificatePDF(w http.ResponseWriter, r *http.Request) {
	c, ok := s.certificateOf(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := c.WritePDF(&buf, state(r).lang, s.absURL(r, c.Path()), s.loc); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="saferspaces-certificate-`+c.Code+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Write(buf.Bytes())
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
