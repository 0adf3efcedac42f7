package testkit

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"saferspaces/internal/content"
)

// CheckYAML is the self-check of every test module: three questions, pass mark 60, so two right
// answers (66 %) pass and one (33 %) fails. Answers: q1 single (a right, b wrong), q2 multiple
// (a and b right, c wrong), q3 single (x right, y wrong).
const CheckYAML = `pass_mark: 60
questions:
  - id: q1
    kind: single
    text: {de: "Erste Frage?", en: "First question?"}
    choices:
      - id: a
        text: {de: "Antwort A", en: "Answer A"}
        correct: true
        explanation: {de: "A stimmt, weil es so ist.", en: "A is right because it is."}
      - id: b
        text: {de: "Antwort B", en: "Answer B"}
        explanation: {de: "B stimmt nicht.", en: "B is wrong."}
  - id: q2
    kind: multiple
    text: {de: "Zweite Frage?", en: "Second question?"}
    choices:
      - id: a
        text: {de: "Teil A", en: "Part A"}
        correct: true
        explanation: {de: "A gehört dazu.", en: "A belongs."}
      - id: b
        text: {de: "Teil B", en: "Part B"}
        correct: true
        explanation: {de: "B gehört dazu.", en: "B belongs."}
      - id: c
        text: {de: "Teil C", en: "Part C"}
        explanation: {de: "C gehört nicht dazu.", en: "C does not belong."}
  - id: q3
    kind: single
    text: {de: "Dritte Frage?", en: "Third question?"}
    choices:
      - id: x
        text: {de: "Antwort X", en: "Answer X"}
        correct: true
        explanation: {de: "X stimmt.", en: "X is right."}
      - id: y
        text: {de: "Antwort Y", en: "Answer Y"}
        explanation: {de: "Y stimmt nicht.", en: "Y is wrong."}
`

// PoolCheckYAML is a self-check with a pool of n single-choice questions p1…pn, of which each
// attempt draws `draw`, pass mark 75. In every question choice a is correct, b, c and d are wrong;
// the explanation of choice X of question pN is "Erklärung NX." ("Explanation NX."), and every
// question is taught by the lesson with id lesson.
func PoolCheckYAML(n, draw int, lesson string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pass_mark: 75\ndraw: %d\nquestions:\n", draw)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - id: p%d\n    kind: single\n    lesson: %s\n    text: {de: \"Frage %d?\", en: \"Question %d?\"}\n    choices:\n", i, lesson, i, i)
		for _, c := range []string{"a", "b", "c", "d"} {
			fmt.Fprintf(&b, "      - id: %s\n        text: {de: \"Antwort %d%s\", en: \"Answer %d%s\"}\n", c, i, c, i, c)
			if c == "a" {
				b.WriteString("        correct: true\n")
			}
			fmt.Fprintf(&b, "        explanation: {de: \"Erklärung %d%s.\", en: \"Explanation %d%s.\"}\n", i, c, i, c)
		}
	}
	return b.String()
}

// Module describes a test module; empty fields get defaults.
type Module struct {
	ID               string
	TitleDE, TitleEN string   // default "Modul ID", "Module ID"
	Lessons          []string // lesson slugs, in order
	Minutes          int      // default 60
	Check            string   // check.yaml; default CheckYAML
}

// ContentFS is a valid content folder with the modules in the given order, each lesson in German
// and English with a short body.
func ContentFS(mods ...Module) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i, m := range mods {
		if m.TitleDE == "" {
			m.TitleDE, m.TitleEN = "Modul "+m.ID, "Module "+m.ID
		}
		if m.Minutes == 0 {
			m.Minutes = 60
		}
		if m.Check == "" {
			m.Check = CheckYAML
		}
		dir := fmt.Sprintf("%02d-%s", i+1, m.ID)
		fsys[dir+"/module.yaml"] = &fstest.MapFile{Data: fmt.Appendf(nil, `id: %s
title: {de: %q, en: %q}
summary: {de: "Worum es in %s geht.", en: "What %s is about."}
objectives:
  - {de: "Ziel von %s", en: "Goal of %s"}
minutes: %d
`, m.ID, m.TitleDE, m.TitleEN, m.TitleDE, m.TitleEN, m.TitleDE, m.TitleEN, m.Minutes)}
		fsys[dir+"/check.yaml"] = &fstest.MapFile{Data: []byte(m.Check)}
		for j, l := range m.Lessons {
			for _, lang := range []string{"de", "en"} {
				fsys[fmt.Sprintf("%s/lessons/%02d-%s.%s.md", dir, j+1, l, lang)] = &fstest.MapFile{
					Data: fmt.Appendf(nil, "---\ntitle: \"Lektion %s (%s)\"\n---\n## Inhalt\n\nText von %s auf %s.\n", l, lang, l, lang),
				}
			}
		}
	}
	return fsys
}

// Catalog loads ContentFS(mods...), failing the test on any problem.
func Catalog(t testing.TB, mods ...Module) *content.Catalog {
	t.Helper()
	cat, err := content.Load(ContentFS(mods...))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
