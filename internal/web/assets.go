package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"saferspaces/internal/config"
)

// The static files are read once at start-up into memory and served from there:
//   - every file has a content hash; {{static "css/app.css"}} gives /static/css/app.css?v=HASH,
//     which browsers keep for a year;
//   - stylesheets are rewritten so that their url()s are such URLs too: a relative url (KERN's
//     fonts) resolves against the stylesheet's folder, and a data: SVG (KERN's icons, which the
//     CSP's default-src 'self' would block) becomes a file of its own under vendor/kern/icons/;
//     the vendored files themselves stay byte for byte as published;
//   - text files (CSS, SVG, JS) are gzip-compressed once and sent compressed to every client that
//     accepts gzip.
//
// Operator files (--logo, the stylesheet of --brand-color) are added the same way (addAsset).

// asset is one file served under /static/.
type asset struct {
	body  []byte
	gz    []byte // nil: not worth compressing (fonts, PNGs)
	ctype string
	hash  string
	etag  string
}

type assets struct {
	files map[string]*asset // path below /static/ → file
}

// cssURL matches url(...) with or without quotes.
var cssURL = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]+))\s*\)`)

// kernIcon finds KERN's icon classes, so that their SVGs are served under their names
// (vendor/kern/icons/success.svg) and our stylesheet can use them too.
var kernIcon = regexp.MustCompile(`\.kern-icon--([a-z0-9-]+)\{-webkit-mask:url\("(data:image/svg\+xml,[^"]+)"\)`)

// loadAssets reads every file below static/ of fsys.
func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	var sheets []string
	raw := map[string][]byte{}
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		if strings.HasSuffix(name, ".css") {
			sheets = append(sheets, name)
			raw[name] = b
			return nil
		}
		a.add(name, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	// Vendored stylesheets first: ours may use the icons they bring (vendor/kern/icons/NAME.svg).
	sort.Slice(sheets, func(i, j int) bool {
		vi, vj := strings.HasPrefix(sheets[i], "vendor/"), strings.HasPrefix(sheets[j], "vendor/")
		if vi != vj {
			return vi
		}
		return sheets[i] < sheets[j]
	})
	for _, name := range sheets {
		b, err := a.rewriteCSS(name, raw[name])
		if err != nil {
			return nil, err
		}
		a.add(name, b)
	}
	return a, nil
}

// add stores a file under name (replacing one of the same name).
func (a *assets) add(name string, b []byte) *asset {
	sum := sha256.Sum256(b)
	f := &asset{body: b, hash: hex.EncodeToString(sum[:6])}
	f.etag = `"` + f.hash + `"`
	f.ctype = mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".woff2":
		f.ctype = "font/woff2"
	case ".svg":
		f.ctype = "image/svg+xml"
	}
	if f.ctype == "" {
		f.ctype = http.DetectContentType(b)
	}
	if compressible(f.ctype) && len(b) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		if buf.Len() < len(b) {
			f.gz = buf.Bytes()
		}
	}
	a.files[name] = f
	return f
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "image/svg+xml", "application/javascript", "application/json"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// url is the content-hash URL of a file, or its plain URL if there is none of that name.
func (a *assets) url(name string) string {
	if f, ok := a.files[name]; ok {
		return "/static/" + name + "?v=" + f.hash
	}
	return "/static/" + name
}

// rewriteCSS turns every url() of a stylesheet into a content-hash URL of a served file. A url()
// naming a file that is not there stops the start: a stylesheet must never point to a 404.
func (a *assets) rewriteCSS(name string, b []byte) ([]byte, error) {
	var bad error
	named := map[string]string{} // data: URL → icon name
	for _, m := range kernIcon.FindAllSubmatch(b, -1) {
		if _, ok := named[string(m[2])]; !ok {
			named[string(m[2])] = string(m[1])
		}
	}
	out := cssURL.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := cssURL.FindSubmatch(m)
		ref := string(sub[1]) + string(sub[2]) + string(sub[3])
		switch {
		case strings.HasPrefix(ref, "data:image/svg+xml,"):
			svg, err := url.PathUnescape(strings.TrimPrefix(ref, "data:image/svg+xml,"))
			if err != nil {
				bad = fmt.Errorf("%s: data: URL: %w", name, err)
				return m
			}
			file := named[ref]
			if file == "" {
				sum := sha256.Sum256([]byte(svg))
				file = hex.EncodeToString(sum[:8])
			}
			icon := path.Join(path.Dir(name), "icons", file+".svg")
			if _, ok := a.files[icon]; !ok {
				a.add(icon, []byte(svg))
			}
			return []byte(`url("` + a.url(icon) + `")`)
		case strings.HasPrefix(ref, "data:"), strings.HasPrefix(ref, "#"):
			bad = fmt.Errorf("%s: url(%.40s…) is neither a file nor an SVG", name, ref)
			return m
		case strings.Contains(ref, "://"):
			bad = fmt.Errorf("%s: url(%s) is on another origin", name, ref)
			return m
		}
		target := strings.SplitN(ref, "?", 2)[0]
		if strings.HasPrefix(target, "/static/") {
			target = strings.TrimPrefix(target, "/static/")
		} else if strings.HasPrefix(target, "/") {
			return m // a page of the platform (none today); left alone
		} else {
			target = path.Join(path.Dir(name), target)
		}
		if _, ok := a.files[target]; !ok {
			bad = fmt.Errorf("%s: url(%s) names %s, which is not a static file", name, ref, target)
			return m
		}
		return []byte(`url("` + a.url(target) + `")`)
	})
	return out, bad
}

// serveStatic answers GET /static/NAME (the prefix already stripped): the file, compressed if the
// client accepts gzip, cacheable for a year when asked for by its content-hash URL.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.assets.files[r.URL.Path]
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	h := w.Header()
	if v := r.URL.Query().Get("v"); v == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	h.Set("Content-Type", f.ctype)
	if f.ctype == "image/svg+xml" {
		// An SVG opened on its own (the operator's logo, an icon) runs nothing.
		h.Set("Content-Security-Policy", svgCSP)
	}
	h.Set("ETag", f.etag)
	h.Set("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		if v, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			q, err := strconv.ParseFloat(v, 64)
			return err == nil && q > 0
		}
		return true
	}
	return false
}

// addBrand adds the operator's colour as a stylesheet and the logo as a file (serve --brand-color,
// --logo) and returns their content-hash URLs ("" for what is not set). The colour is KERN's
// action colour in the light theme; the dark theme gets a lighter shade of it (config.DarkVariant)
// with black text on buttons, so both keep AA contrast.
func (a *assets) addBrand(b config.Brand) (css, logo string, err error) {
	if b.Color != "" {
		c := strings.ToLower(b.Color)
		dark := config.DarkVariant(c)
		sheet := fmt.Sprintf(`/* the operator's colour: serve --brand-color %s */
:root { --ss-brand: %s; }
@media (prefers-color-scheme: light) {
  :root { --kern-color-action-default: %s; --kern-color-action-on-default: #ffffff; }
}
@media (prefers-color-scheme: dark) {
  :root { --ss-brand: %s; --kern-color-action-default: %s; --kern-color-action-on-default: #000000; }
}
`, c, c, c, dark, dark)
		a.add("brand/brand.css", []byte(sheet))
		css = a.url("brand/brand.css")
	}
	if b.Logo != "" {
		data, ext, err := b.ReadLogo()
		if err != nil {
			return "", "", err
		}
		a.add("brand/logo"+ext, data)
		logo = a.url("brand/logo" + ext)
	}
	return css, logo, nil
}
