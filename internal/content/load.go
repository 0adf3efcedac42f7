package content

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

var (
	folderPattern = regexp.MustCompile(`^[0-9]{2}-[a-z0-9][a-z0-9-]*$`)
	lessonPattern = regexp.MustCompile(`^([0-9]{2})-([a-z0-9][a-z0-9-]*)\.(de|en)\.md$`)
)

// Load reads and validates every NN-slug folder at the root of fsys and renders all lessons.
// Files at the root (FORMAT.md, embed.go) and hidden entries are ignored. When the content has
// problems, Load returns a *ValidationError listing all of them and no catalog: the platform
// must not start on half-valid content, since progress is stored against its ids.
func Load(fsys fs.FS) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("content: read modules: %w", err)
	}
	l := &loader{fsys: fsys}
	cat := &Catalog{byID: map[string]*Module{}}
	for _, e := range entries { // ReadDir sorts by name, which is the NN order
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		if !folderPattern.MatchString(name) {
			l.ps.add(name, 0, "folder name must be NN-slug: two digits, a dash, then a-z, 0-9 and -")
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
	l.checkLinks(cat)
	if len(l.ps) > 0 {
		slices.SortStableFunc(l.ps, func(a, b Problem) int {
			return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
		})
		return nil, &ValidationError{Problems: l.ps}
	}
	return cat, nil
}

type loader struct {
	fsys  fs.FS
	ps    problems
	links []link
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

// module reads one module folder. It returns the module even when parts are missing, so
// every problem in the folder is found and links into it can still be checked.
func (l *loader) module(folder string) (*Module, int) {
	m, idLine := &Module{}, 0
	if src, ok := l.read(folder + "/module.yaml"); ok {
		m, idLine = decodeModule(src, folder+"/module.yaml", &l.ps)
	}
	m.Folder = folder
	l.lessons(m)
	m.Check = &Check{}
	if src, ok := l.read(folder + "/check.yaml"); ok {
		m.Check = decodeCheck(src, folder+"/check.yaml", &l.ps)
	}
	return m, idLine
}

// lessonPair is the files of one lesson by language.
type lessonPair struct {
	num, slug string
	files     map[string]string // lang → file
}

func (l *loader) lessons(m *Module) {
	dir := m.Folder + "/lessons"
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.ps.add(dir, 0, "cannot read: %v", err)
		return
	}
	var pairs []*lessonPair
	bySlug := map[string]*lessonPair{}
	for _, e := range entries {
		name, file := e.Name(), path.Join(dir, e.Name())
		if strings.HasPrefix(name, ".") { // editor and OS droppings, not content
			continue
		}
		match := lessonPattern.FindStringSubmatch(name)
		if e.IsDir() || match == nil {
			l.ps.add(file, 0, "file name must be NN-slug.LANG.md with LANG de or en (slug: a-z, 0-9 and -)")
			continue
		}
		num, slug, lang := match[1], match[2], match[3]
		p := bySlug[slug]
		if p == nil {
			p = &lessonPair{num: num, slug: slug, files: map[string]string{}}
			bySlug[slug] = p
			pairs = append(pairs, p)
		} else if p.num != num {
			l.ps.add(file, 0, "lesson id %q is already used by lessons/%s-%s", slug, p.num, slug)
			continue
		}
		p.files[lang] = file
	}
	if len(pairs) == 0 {
		l.ps.add(m.Folder, 0, "module has no lessons: add lessons/NN-slug.de.md and lessons/NN-slug.en.md")
		return
	}
	// ReadDir order already sorts by NN, then slug; lessons keep that order.
	for _, p := range pairs {
		lesson := &Lesson{
			ID:     p.slug,
			Body:   map[string]template.HTML{},
			Words:  map[string]int{},
			Module: m,
			Index:  len(m.Lessons),
		}
		for _, lang := range []string{"de", "en"} {
			file, ok := p.files[lang]
			if !ok {
				other := p.files["de"] + p.files["en"] // exactly one exists
				l.ps.add(other, 0, "lesson has no %q version: add lessons/%s-%s.%s.md", lang, p.num, p.slug, lang)
				continue
			}
			src, ok := l.read(file)
			if !ok {
				continue
			}
			lf := decodeLesson(src, file, &l.ps)
			if lang == "en" {
				lesson.Title.EN = lf.title
			} else {
				lesson.Title.DE = lf.title
			}
			lesson.Body[lang], lesson.Words[lang] = lf.body, lf.words
			l.links = append(l.links, lf.links...)
		}
		m.Lessons = append(m.Lessons, lesson)
	}
}

// checkLinks reports links to modules or lessons that do not exist. It runs after every module
// is read because lessons link across modules.
func (l *loader) checkLinks(cat *Catalog) {
	// A module whose id could not be read may be the target of any link; reporting those links
	// too would bury the one real problem under its echoes.
	idUnknown := slices.ContainsFunc(cat.Modules, func(m *Module) bool { return m.ID == "" })
	for _, ln := range l.links {
		p, _, _ := strings.Cut(ln.dest, "#")
		p, _, _ = strings.Cut(p, "?")
		parts := strings.Split(strings.Trim(p, "/"), "/") // "modules", module, "lessons", lesson
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
