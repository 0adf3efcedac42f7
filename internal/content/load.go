package content

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"saferspaces/internal/i18n"
)

var (
	folderPattern = regexp.MustCompile(`^[0-9]{2}-[a-z0-9][a-z0-9-]*$`)
	docPattern    = regexp.MustCompile(`^([0-9]{2})-([a-z0-9][a-z0-9-]*)\.([a-z]{2})\.md$`)
	mediaPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*\.(svg|png|jpg|jpeg|webp)$`)
)

// Folders and files at the root of the content beside the module folders.
const (
	casesFolder  = "cases"
	toolsFolder  = "tools"
	glossaryFile = "glossary.yaml"
	mediaFolder  = "media"
)

// maxMedia bounds a media file: figures are drawings and photos for the web, not print masters.
const maxMedia = 2 << 20

// Load reads and validates the content at the root of fsys — every NN-slug module folder, and the
// optional cases/ and tools/ folders and glossary.yaml — and renders every document. Other root
// files (FORMAT.md, embed.go) and hidden entries are ignored. When the content has problems,
// Load returns a *ValidationError listing all of them and no catalog: the platform must not start
// on half-valid content, since progress is stored against its ids. Things to fix that do not
// stop the platform are in Catalog.Warnings.
func Load(fsys fs.FS) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("content: read modules: %w", err)
	}
	l := &loader{fsys: fsys}
	cat := &Catalog{byID: map[string]*Module{}, cases: map[string]*Doc{}, tools: map[string]*Doc{}, glossed: map[string]*Term{}}
	for _, e := range entries { // ReadDir sorts by name, which is the NN order
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
			continue
		case !e.IsDir() && name == glossaryFile:
			n := len(l.ps)
			cat.Glossary = l.glossary()
			l.glossaryRead, l.glossaryBroken = true, cat.Glossary == nil && len(l.ps) > n
			continue
		case !e.IsDir():
			continue
		case name == casesFolder:
			cat.Cases = l.docs(casesFolder, "case", nil)
			continue
		case name == toolsFolder:
			cat.Tools = l.docs(toolsFolder, "tool", nil)
			continue
		case !folderPattern.MatchString(name):
			l.ps.add(name, 0, "folder name must be NN-slug (two digits, a dash, then a-z, 0-9 and -), %s or %s", casesFolder, toolsFolder)
			continue
		}
		m, idLine := l.module(name)
		if m.ID != "" {
			if first, dup := cat.byID[m.ID]; dup {
				l.ps.add(name+"/module.yaml", idLine, "id: %q is already used by %s/module.yaml", m.ID, first.Folder)
				continue
			}
			cat.byID[m.ID] = m
		}
		cat.Modules = append(cat.Modules, m)
	}
	if len(cat.Modules) == 0 && len(l.ps) == 0 {
		l.ps.add(".", 0, "no module folders (NN-slug) found")
	}
	for _, d := range cat.Cases {
		cat.cases[d.ID] = d
	}
	for _, d := range cat.Tools {
		cat.tools[d.ID] = d
	}
	for _, t := range cat.Glossary {
		cat.glossed[t.ID] = t
	}
	l.checkLinks(cat)
	l.checkGlossary(cat)
	sortProblems(l.ps)
	if len(l.ps) > 0 {
		return nil, &ValidationError{Problems: l.ps}
	}
	cat.Warnings = l.warnings(cat)
	sortProblems(cat.Warnings)
	return cat, nil
}

// sortProblems orders problems by file and line, the glossary's first: every lesson links into
// it, so a problem with the glossary explains problems of the lessons.
func sortProblems(ps []Problem) {
	later := func(p Problem) bool { return p.File != glossaryFile }
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmpBool(later(a), later(b)), strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

type loader struct {
	fsys   fs.FS
	ps     problems
	links  []link
	images []image
	// docFiles records which language files each document was read from, for the translation
	// warnings: document key (folder/slug) → language → file.
	docFiles map[string]map[i18n.Lang]string
	seeLines map[*Term]int // where each glossary term's "see" list is
	// glossaryRead: glossary.yaml is there; glossaryBroken: it has problems that left no terms,
	// so links to its terms cannot be checked (and are not reported one by one).
	glossaryRead, glossaryBroken bool
}

// read returns a file's bytes, or reports why it cannot.
func (l *loader) read(file string) ([]byte, bool) {
	b, err := fs.ReadFile(l.fsys, file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.ps.add(file, 0, "file is missing")
		return nil, false
	case err != nil:
		l.ps.add(file, 0, "cannot read: %v", err)
		return nil, false
	}
	return b, true
}

// readText returns a text file (YAML, Markdown) without a leading byte order mark, which editors on
// Windows like to write and which is harmless; a file that is not valid UTF-8 is a problem at the
// line of its first bad byte, since every text is shown on pages, in mails and PDFs as it is.
func (l *loader) readText(file string) ([]byte, bool) {
	b, ok := l.read(file)
	if !ok {
		return nil, false
	}
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	if !utf8.Valid(b) {
		bad := 0
		for bad < len(b) {
			r, size := utf8.DecodeRune(b[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		valid := b[:bad]
		line := 1 + bytes.Count(valid, []byte("\n"))
		l.ps.add(file, line, "not valid UTF-8: save the file as UTF-8 (in many editors: \"Save with encoding\" → UTF-8)")
		return nil, false
	}
	return b, true
}

// module reads one module folder. It returns the module even when parts are missing, so
// every problem in the folder is found and links into it can still be checked.
func (l *loader) module(folder string) (*Module, int) {
	m, idLine := &Module{}, 0
	if src, ok := l.readText(folder + "/module.yaml"); ok {
		m, idLine = decodeModule(src, folder+"/module.yaml", &l.ps)
	}
	m.Folder = folder
	l.media(m)
	// Images link to the module's media route with the file's hash as version, so browsers may
	// keep them for good: a changed drawing is a new URL.
	mediaURL := func(name string) string {
		u := "/modules/" + m.ID + "/media/" + name
		if f := m.Media[name]; f != nil {
			u += "?v=" + f.Hash
		}
		return u
	}
	for i, d := range l.docs(folder+"/lessons", "lesson", mediaURL) {
		m.Lessons = append(m.Lessons, &Lesson{Doc: *d, Module: m, Index: i})
	}
	if len(m.Lessons) == 0 {
		l.ps.add(m.Folder, 0, "module has no lessons: add lessons/NN-slug.de.md and lessons/NN-slug.en.md")
	}
	m.Check = &Check{}
	if src, ok := l.readText(folder + "/check.yaml"); ok {
		m.Check = decodeCheck(src, folder+"/check.yaml", &l.ps)
	}
	for _, q := range m.Check.Questions {
		if q.Lesson != "" && len(m.Lessons) > 0 && m.Lesson(q.Lesson) == nil {
			l.ps.add(folder+"/check.yaml", q.lessonLine, "question %q: lesson: module has no lesson %q", q.ID, q.Lesson)
		}
	}
	return m, idLine
}

// media lists the module's media/ folder and checks each file; images in lessons are matched
// against it after the lessons are read.
func (l *loader) media(m *Module) {
	dir := m.Folder + "/" + mediaFolder
	entries, err := fs.ReadDir(l.fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		l.ps.add(dir, 0, "cannot read: %v", err)
		return
	}
	m.Media = map[string]*MediaFile{}
	for _, e := range entries {
		name, file := e.Name(), path.Join(dir, e.Name())
		if strings.HasPrefix(name, ".") {
			continue
		}
		if e.IsDir() || !mediaPattern.MatchString(name) {
			l.ps.add(file, 0, "media file name must be lower-case a-z, 0-9, . _ - with .svg, .png, .jpg, .jpeg or .webp")
			continue
		}
		b, ok := l.read(file)
		if !ok {
			continue
		}
		if len(b) > maxMedia {
			l.ps.add(file, 0, "file has %d KiB; media files may have at most %d KiB", len(b)>>10, maxMedia>>10)
			continue
		}
		typ := mediaTypes[path.Ext(name)]
		if typ == "image/svg+xml" {
			if why := unsafeSVG(b); why != "" {
				l.ps.add(file, 0, "SVG %s; figures are drawings without scripts or outside references", why)
				continue
			}
		} else if !hasSignature(b, typ) {
			// Served with the type of its extension and nosniff, a mislabelled file would show as
			// a broken image; better the author hears it now.
			l.ps.add(file, 0, "file is not a %s image, as its extension says", strings.TrimPrefix(path.Ext(name), "."))
			continue
		}
		sum := sha256.Sum256(b)
		m.Media[name] = &MediaFile{Name: name, Path: file, Type: typ, Hash: hex.EncodeToString(sum[:8]), Data: b}
	}
}

// mediaTypes are the MIME types of the media files by extension (mediaPattern's list).
var mediaTypes = map[string]string{
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
}

// hasSignature reports whether b starts like an image of type typ.
func hasSignature(b []byte, typ string) bool {
	switch typ {
	case "image/png":
		return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n"))
	case "image/jpeg":
		return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF})
	case "image/webp":
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	}
	return false
}

// unsafeSVGPattern finds what an SVG served from the platform's own origin must not contain:
// scripts, event handlers, embedded HTML and references to anything outside the file.
var unsafeSVGPattern = regexp.MustCompile(`(?i)<script|<foreignobject|\son[a-z]+\s*=|(?:xlink:)?href\s*=\s*["']\s*(?:[a-z][a-z0-9+.-]*:|//)|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)|<!entity|@import`)

func unsafeSVG(b []byte) string {
	if m := unsafeSVGPattern.Find(b); m != nil {
		return fmt.Sprintf("contains %q", m)
	}
	return ""
}

// docs reads a folder of NN-slug.LANG.md documents (lessons, cases, tools: what) in NN order.
// Every document needs the required languages; the others may be missing. mediaURL as for
// decodeDoc.
func (l *loader) docs(dir, what string, mediaURL func(name string) string) []*Doc {
	rel := path.Base(dir) // how authors know the folder: "lessons", "cases"
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.ps.add(dir, 0, "cannot read: %v", err)
		}
		return nil
	}
	type docFiles struct {
		num, slug string
		files     map[i18n.Lang]string
	}
	var all []*docFiles
	bySlug := map[string]*docFiles{}
	for _, e := range entries {
		name, file := e.Name(), path.Join(dir, e.Name())
		if strings.HasPrefix(name, ".") { // editor and OS droppings, not content
			continue
		}
		match := docPattern.FindStringSubmatch(name)
		lang, known := i18n.Lang(""), false
		if match != nil {
			lang, known = i18n.Parse(match[3])
		}
		if e.IsDir() || match == nil || !known {
			l.ps.add(file, 0, "file name must be NN-slug.LANG.md with LANG one of %s (slug: a-z, 0-9 and -)", i18n.List())
			continue
		}
		num, slug := match[1], match[2]
		d := bySlug[slug]
		if d == nil {
			d = &docFiles{num: num, slug: slug, files: map[i18n.Lang]string{}}
			bySlug[slug] = d
			all = append(all, d)
		} else if d.num != num {
			l.ps.add(file, 0, "%s id %q is already used by %s/%s-%s", what, slug, rel, d.num, slug)
			continue
		}
		d.files[lang] = file
	}
	if l.docFiles == nil {
		l.docFiles = map[string]map[i18n.Lang]string{}
	}
	// ReadDir order already sorts by NN, then slug; documents keep that order.
	var out []*Doc
	for _, df := range all {
		doc := &Doc{ID: df.slug, Title: Text{}, Summary: map[i18n.Lang][]string{}, Body: map[i18n.Lang]template.HTML{},
			Source: map[i18n.Lang][]byte{}, Words: map[i18n.Lang]int{}}
		l.docFiles[dir+"/"+df.slug] = df.files
		for _, lang := range i18n.Required {
			if _, ok := df.files[lang]; !ok {
				var some string // the file to report it at: the first language that exists
				for _, l := range slices.Backward(i18n.Languages()) {
					if f, ok := df.files[l]; ok {
						some = f
					}
				}
				l.ps.add(some, 0, "%s has no %q version: add %s/%s-%s.%s.md", what, lang, rel, df.num, df.slug, lang)
			}
		}
		for _, lang := range i18n.Languages() {
			file, ok := df.files[lang]
			if !ok {
				continue
			}
			src, ok := l.readText(file)
			if !ok {
				continue
			}
			f := decodeDoc(src, file, what, lang, mediaURL, &l.ps)
			if f.title != "" {
				doc.Title[lang] = f.title
			}
			if len(f.summary) > 0 {
				doc.Summary[lang] = f.summary
			}
			doc.Body[lang], doc.Source[lang], doc.Words[lang] = f.body, f.source, f.words
			doc.Langs = append(doc.Langs, lang)
			l.links = append(l.links, f.links...)
			for _, ln := range f.links {
				doc.Links = append(doc.Links, linkTarget(ln.dest))
			}
			for _, img := range f.images {
				img.dir = path.Join(path.Dir(dir), mediaFolder)
				l.images = append(l.images, img)
			}
		}
		slices.Sort(doc.Links)
		doc.Links = slices.Compact(doc.Links)
		if len(doc.Langs) > 0 {
			out = append(out, doc)
		}
	}
	return out
}

// linkTarget is the page a link leads to: without query and fragment, a tool's PDF counted as
// the tool.
func linkTarget(dest string) string {
	p, _, _ := strings.Cut(dest, "#")
	p, _, _ = strings.Cut(p, "?")
	if strings.HasPrefix(p, "/"+toolsFolder+"/") {
		p = strings.TrimSuffix(p, ".pdf")
	}
	return p
}

// checkLinks reports links to modules, lessons, cases, tools or glossary terms that do not
// exist, and images whose file is not in the module's media folder. It runs after everything is
// read because documents link across modules.
func (l *loader) checkLinks(cat *Catalog) {
	// A module whose id could not be read may be the target of any link; reporting those links
	// too would bury the one real problem under its echoes.
	idUnknown := slices.ContainsFunc(cat.Modules, func(m *Module) bool { return m.ID == "" })
	// Likewise links to glossary terms when glossary.yaml is missing: said once, with a count.
	var toMissingGlossary []link
	for _, ln := range l.links {
		p, frag, _ := strings.Cut(ln.dest, "#")
		p, _, _ = strings.Cut(p, "?")
		parts := strings.Split(strings.Trim(p, "/"), "/")
		switch parts[0] {
		case "glossary":
			switch {
			case len(parts) > 1:
				l.ps.add(ln.file, ln.line, "link %s: the glossary is /glossary#TERM", ln.dest)
			case frag == "":
			case !l.glossaryRead:
				toMissingGlossary = append(toMissingGlossary, ln)
			case l.glossaryBroken: // its problems are reported; its terms are unknown
			case cat.Term(frag) == nil:
				l.ps.add(ln.file, ln.line, "link %s: the glossary has no term %q", ln.dest, frag)
			}
		case casesFolder:
			if len(parts) != 2 || cat.Case(parts[1]) == nil {
				l.ps.add(ln.file, ln.line, "link %s: the case library has no case %q", ln.dest, strings.Join(parts[1:], "/"))
			}
		case toolsFolder:
			if len(parts) != 2 || cat.Tool(strings.TrimSuffix(parts[1], ".pdf")) == nil {
				l.ps.add(ln.file, ln.line, "link %s: there is no tool %q", ln.dest, strings.Join(parts[1:], "/"))
			}
		case "modules":
			if len(parts) < 2 {
				continue // the module list itself
			}
			m := cat.Module(parts[1])
			switch {
			case m == nil && idUnknown:
			case m == nil:
				l.ps.add(ln.file, ln.line, "link %s: no module with id %q", ln.dest, parts[1])
			case len(parts) >= 4 && parts[2] == "lessons" && m.Lesson(parts[3]) == nil:
				l.ps.add(ln.file, ln.line, "link %s: module %q has no lesson %q", ln.dest, m.ID, parts[3])
			}
		}
	}
	if len(toMissingGlossary) > 0 {
		first := toMissingGlossary[0]
		l.ps.add(glossaryFile, 0, "file is missing, but %d links point to glossary terms (the first: %s in %s:%d); add %s or remove the links",
			len(toMissingGlossary), first.dest, first.file, first.line, glossaryFile)
	}
	for _, img := range l.images {
		folder, _, _ := strings.Cut(img.dir, "/")
		i := slices.IndexFunc(cat.Modules, func(m *Module) bool { return m.Folder == folder })
		if i < 0 {
			continue
		}
		if _, ok := cat.Modules[i].Media[img.name]; !ok {
			l.ps.add(img.file, img.line, "image media/%s: no such file in %s", img.name, img.dir)
		}
	}
}
