package content

import "fmt"

// glossary reads glossary.yaml: a list of terms, each with an id (the anchor that lessons link
// to as /glossary#ID), the term and its definition per language, an optional source and optional
// ids of related terms.
func (l *loader) glossary() []*Term {
	src, ok := l.readText(glossaryFile)
	if !ok {
		return nil
	}
	y := &yamlFile{name: glossaryFile, ps: &l.ps}
	body, ok := y.parse(src)
	if !ok {
		return nil
	}
	if body == nil {
		y.errorf(0, "file is empty")
		return nil
	}
	f, ok := y.mappingOf(body, 1, "", "must be a mapping with the key terms", "terms")
	if !ok {
		return nil
	}
	items, ok := f.list("terms")
	if !ok {
		return nil
	}
	var out []*Term
	seen := map[string]int{}
	l.seeLines = map[*Term]int{}
	for i, n := range items {
		prefix := itemPrefix(n, "term", i)
		tf, ok := y.mappingOf(n, y.line(n), prefix, "must be a mapping of id, term, definition, source, see",
			"id", "term", "definition", "source", "see")
		if !ok {
			continue
		}
		t := &Term{}
		var idLine int
		t.ID, idLine = tf.id("id")
		if first, dup := seen[t.ID]; dup && t.ID != "" {
			y.errorf(idLine, "%sid: already used on line %d", prefix, first)
		} else {
			seen[t.ID] = idLine
		}
		t.Term = tf.text("term")
		t.Definition = tf.text("definition")
		if tf.optional("source") {
			t.Source = tf.str("source")
		}
		if tf.optional("see") {
			t.See, l.seeLines[t] = tf.strList("see")
		}
		out = append(out, t)
	}
	return out
}

// checkGlossary reports "see" references to terms that do not exist.
func (l *loader) checkGlossary(cat *Catalog) {
	for _, t := range cat.Glossary {
		for _, id := range t.See {
			if cat.Term(id) == nil || id == t.ID {
				l.ps.add(glossaryFile, l.seeLines[t], "%s", fmt.Sprintf("term %q: see: %q is not another term of the glossary", t.ID, id))
			}
		}
	}
}
