package content_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"saferspaces/internal/i18n"
)

// Each case breaks one thing in the valid fixture and expects exactly the problems it causes.
func TestLoadProblems(t *testing.T) {
	const (
		mod   = "01-basics/module.yaml"
		check = "01-basics/check.yaml"
		en    = "01-basics/lessons/01-start.en.md"
		de    = "01-basics/lessons/01-start.de.md"
	)
	var codes []string
	for _, l := range i18n.Languages() {
		codes = append(codes, string(l))
	}
	langs := strings.Join(codes, ", ")
	type change func(t *testing.T, fsys fstest.MapFS)
	replace := func(file, old, new string) change {
		return func(t *testing.T, fsys fstest.MapFS) { edit(t, fsys, file, old, new) }
	}
	put := func(file, data string) change {
		return func(_ *testing.T, fsys fstest.MapFS) { fsys[file] = &fstest.MapFile{Data: []byte(data)} }
	}
	remove := func(files ...string) change {
		return func(_ *testing.T, fsys fstest.MapFS) {
			for _, f := range files {
				delete(fsys, f)
			}
		}
	}
	// copyModule copies 01-basics to folder, e.g. to collide ids.
	copyModule := func(folder string) change {
		return func(_ *testing.T, fsys fstest.MapFS) {
			for name, f := range fsys {
				if rest, ok := strings.CutPrefix(name, "01-basics/"); ok {
					fsys[folder+"/"+rest] = &fstest.MapFile{Data: f.Data}
				}
			}
		}
	}
	noBasics := []string{ // what every lesson says when module "basics" is renamed
		de + `:7: link /modules/basics/lessons/more#oben: no module with id "basics"`,
		en + `:14: link /modules/basics/lessons/more: no module with id "basics"`,
		`01-basics/lessons/02-more.de.md:4: link /modules/basics/lessons/start: no module with id "basics"`,
		`01-basics/lessons/02-more.en.md:4: link /modules/basics/lessons/start: no module with id "basics"`,
	}
	allowedChoice := "(allowed: id, text, correct, explanation)"

	for _, tc := range []struct {
		name    string
		changes []change
		want    []string
	}{
		// texts
		{"missing language", []change{replace(mod, `  en: "Basics"`+"\n", "")},
			[]string{mod + `:2: title: missing "en"`}},
		{"missing both languages", []change{replace(mod, "title:\n  de: \"Grundlagen\"\n  en: \"Basics\"", "title: {}")},
			[]string{mod + `:2: title: missing "de"`, mod + `:2: title: missing "en"`}},
		{"empty text", []change{replace(mod, `de: "Grundlagen"`, `de: "  "`)},
			[]string{mod + `:3: title: "de" is empty`}},
		{"text not a mapping", []change{replace(mod, "title:\n  de: \"Grundlagen\"\n  en: \"Basics\"", `title: "Basics"`)},
			[]string{mod + `:2: title: must be a text per language, e.g. {de: "…", en: "…"}`}},
		{"unknown language", []change{replace(mod, `  en: "Basics"`, `  en: "Basics"`+"\n  xx: \"Bases\"")},
			[]string{mod + `:5: title: unknown key "xx" (allowed: ` + langs + `)`}},
		{"objective missing language", []change{replace(mod, "    en: \"Goal one\"\n", "")},
			[]string{mod + `:9: objective 1: missing "en"`}},
		{"explanation missing language", []change{replace(check, `explanation: {de: "Falsch.", en: "Wrong."}`, `explanation: {de: "Falsch."}`)},
			[]string{check + `:13: question "first": choice "b": explanation: missing "en"`}},

		// unknown and duplicate keys
		{"unknown key in module.yaml", []change{replace(mod, "minutes: 30\n", "minutes: 30\ncolour: red\n")},
			[]string{mod + `:12: unknown key "colour" (allowed: id, title, summary, objectives, minutes)`}},
		{"unknown key in check.yaml", []change{replace(check, "pass_mark: 50\n", "pass_mark: 50\nretries: 3\n")},
			[]string{check + `:2: unknown key "retries" (allowed: pass_mark, draw, questions)`}},
		{"unknown key in question", []change{replace(check, "    kind: single\n", "    kind: single\n    hint: x\n")},
			[]string{check + `:5: question "first": unknown key "hint" (allowed: id, kind, lesson, text, choices)`}},
		{"unknown key in choice", []change{replace(check, "        correct: true\n", "        correct: true\n        weight: 2\n")},
			[]string{check + `:10: question "first": choice "a": unknown key "weight" ` + allowedChoice}},
		{"unknown key in front matter", []change{replace(en, `title: "Start"`, "title: \"Start\"\nauthor: me")},
			[]string{en + `:3: front matter: unknown key "author" (allowed: title, summary)`}},
		{"duplicate key", []change{replace(mod, "minutes: 30\n", "minutes: 30\nminutes: 40\n")},
			[]string{mod + `:12: duplicate key "minutes" (first on line 11)`}},

		// malformed files
		{"malformed module.yaml", []change{replace(mod, `  de: "Grundlagen"`, "\tde: \"Grundlagen\"")},
			[]string{mod + ":3: invalid YAML: found character '\t' that cannot start any token"}},
		{"malformed check.yaml", []change{replace(check, `en: "Question two?"}`, `en: "Question two?"}}`)},
			[]string{check + `:16: invalid YAML: value is not allowed in this context`}},
		{"malformed front matter", []change{replace(en, `title: "Start"`, `title: "Start`)},
			[]string{en + `:2: invalid YAML: could not find end character of double-quoted text`}},
		{"empty module.yaml", []change{put(mod, "# nothing yet\n")},
			[]string{mod + `: file is empty`}},
		{"module.yaml not a mapping", []change{put(mod, "- id: basics\n")},
			[]string{mod + `:1: must be a mapping of id, title, summary, objectives, minutes`}},
		{"missing front matter", []change{put(en, "# Start\n\nText.\n")},
			[]string{en + `:1: missing front matter: start the file with a "---" line, title: "…" and another "---" line`}},
		{"unclosed front matter", []change{put(en, "---\ntitle: x\n\nText.\n")},
			[]string{en + `:1: front matter is not closed by a "---" line`}},
		{"front matter without title", []change{replace(en, `title: "Start"`+"\n", "")},
			[]string{en + `:1: front matter: missing key "title"`}},
		{"empty title", []change{replace(en, `title: "Start"`, `title: ""`)},
			[]string{en + `:2: front matter: title: is empty`}},
		{"empty lesson", []change{put(en, "---\ntitle: Start\n---\n\n")},
			[]string{en + `:4: lesson text is empty`}},

		// ids
		{"invalid module id", []change{replace(mod, "id: basics", "id: Basics")},
			append([]string{mod + `:1: id: "Basics" is not a valid id (use a-z, 0-9 and -, starting with a letter or digit)`}, noBasics...)},
		{"invalid question id", []change{replace(check, "id: first", "id: first_one")},
			[]string{check + `:3: question "first_one": id: "first_one" is not a valid id (use a-z, 0-9 and -, starting with a letter or digit)`}},
		{"invalid choice id", []change{replace(check, "- id: a", "- id: -a")},
			[]string{check + `:7: question "first": choice "-a": id: "-a" is not a valid id (use a-z, 0-9 and -, starting with a letter or digit)`}},
		{"duplicate module id", []change{copyModule("02-again")},
			[]string{`02-again/module.yaml:1: id: "basics" is already used by 01-basics/module.yaml`}},
		{"duplicate lesson slug", []change{put("01-basics/lessons/03-more.de.md", moreDE), put("01-basics/lessons/03-more.en.md", moreEN)},
			[]string{
				`01-basics/lessons/03-more.de.md: lesson id "more" is already used by lessons/02-more`,
				`01-basics/lessons/03-more.en.md: lesson id "more" is already used by lessons/02-more`,
			}},
		{"duplicate question id", []change{replace(check, "id: second", "id: first")},
			[]string{check + `:14: question "first": id: already used on line 3`}},
		{"duplicate choice id", []change{replace(check, "- id: b", "- id: a")},
			[]string{check + `:11: question "first": choice "a": id: already used on line 7`}},

		// required values and ranges
		{"missing id", []change{replace(mod, "id: basics\n", "")},
			[]string{mod + `:1: missing key "id"`}},
		{"missing title", []change{replace(mod, "title:\n  de: \"Grundlagen\"\n  en: \"Basics\"\n", "")},
			[]string{mod + `:1: missing key "title"`}},
		{"missing minutes", []change{replace(mod, "minutes: 30\n", "")},
			[]string{mod + `:1: missing key "minutes"`}},
		{"minutes without value", []change{replace(mod, "minutes: 30", "minutes:")},
			[]string{mod + `:11: minutes: no value`}},
		{"minutes zero", []change{replace(mod, "minutes: 30", "minutes: 0")},
			[]string{mod + `:11: minutes: 0 is outside 1–1000`}},
		{"minutes too many", []change{replace(mod, "minutes: 30", "minutes: 1001")},
			[]string{mod + `:11: minutes: 1001 is outside 1–1000`}},
		{"minutes not a number", []change{replace(mod, "minutes: 30", "minutes: half an hour")},
			[]string{mod + `:11: minutes: must be a whole number from 1 to 1000`}},
		{"no objectives", []change{replace(mod, "objectives:\n  - de: \"Ziel eins\"\n    en: \"Goal one\"\n", "objectives: []\n")},
			[]string{mod + `:8: objectives: list is empty`}},
		{"pass mark zero", []change{replace(check, "pass_mark: 50", "pass_mark: 0")},
			[]string{check + `:1: pass_mark: 0 is outside 1–100`}},
		{"pass mark too high", []change{replace(check, "pass_mark: 50", "pass_mark: 101")},
			[]string{check + `:1: pass_mark: 101 is outside 1–100`}},

		// self-check rules
		{"check without questions", []change{put(check, "pass_mark: 50\nquestions: []\n")},
			[]string{check + `:2: questions: list is empty`}},
		{"check without questions key", []change{put(check, "pass_mark: 50\n")},
			[]string{check + `:1: missing key "questions"`}},
		{"one choice", []change{replace(check, "      - id: b\n        text: {de: \"Nein\", en: \"No\"}\n        explanation: {de: \"Falsch.\", en: \"Wrong.\"}\n", "")},
			[]string{check + `:6: question "first": choices: needs at least 2 choices, has 1`}},
		{"no correct choice", []change{replace(check, "        correct: true\n", "")},
			[]string{check + `:6: question "first": choices: no choice is marked correct: true`}},
		{"single with two correct", []change{replace(check, "        text: {de: \"Nein\", en: \"No\"}\n", "        text: {de: \"Nein\", en: \"No\"}\n        correct: true\n")},
			[]string{check + `:6: question "first": choices: kind single needs exactly one correct choice, has 2`}},
		{"unknown kind", []change{replace(check, "kind: single", "kind: either")},
			[]string{check + `:4: question "first": kind: unknown kind "either" (use single or multiple)`}},
		{"correct not a bool", []change{replace(check, "correct: true", "correct: yes please")},
			[]string{check + `:9: question "first": choice "a": correct: must be true or false`,
				check + `:6: question "first": choices: no choice is marked correct: true`}},
		{"choice without explanation", []change{replace(check, "        explanation: {de: \"Falsch.\", en: \"Wrong.\"}\n", "")},
			[]string{check + `:11: question "first": choice "b": missing key "explanation"`}},

		// folders and files
		{"module without lessons", []change{remove(de, en, "01-basics/lessons/02-more.de.md", "01-basics/lessons/02-more.en.md")},
			[]string{`01-basics: module has no lessons: add lessons/NN-slug.de.md and lessons/NN-slug.en.md`}},
		{"module without check.yaml", []change{remove(check)},
			[]string{check + `: file is missing`}},
		{"module without module.yaml", []change{remove(mod)},
			[]string{mod + `: file is missing`}},
		{"lesson in one language", []change{remove("01-basics/lessons/02-more.en.md")},
			[]string{`01-basics/lessons/02-more.de.md: lesson has no "en" version: add lessons/02-more.en.md`}},
		{"badly named lesson", []change{put("01-basics/lessons/03-extra.xx.md", moreEN), put("01-basics/lessons/notes.txt", "x")},
			[]string{
				`01-basics/lessons/03-extra.xx.md: file name must be NN-slug.LANG.md with LANG one of ` + langs + ` (slug: a-z, 0-9 and -)`,
				`01-basics/lessons/notes.txt: file name must be NN-slug.LANG.md with LANG one of ` + langs + ` (slug: a-z, 0-9 and -)`,
			}},
		{"badly named folder", []change{copyModule("2-other")},
			[]string{`2-other: folder name must be NN-slug (two digits, a dash, then a-z, 0-9 and -), cases or tools`}},
		{"no modules", []change{remove(mod, check, de, en, "01-basics/lessons/02-more.de.md", "01-basics/lessons/02-more.en.md", "01-basics/lessons/.01-start.en.swp")},
			[]string{`.: no module folders (NN-slug) found`}},

		// second edition: pools, lesson pointers, summaries, media, glossary, cases, tools
		{"draw larger than the pool", []change{replace(check, "pass_mark: 50", "pass_mark: 50\ndraw: 3")},
			[]string{check + `:2: draw: 3 is more than the 2 questions of the pool`}},
		{"question naming an unknown lesson", []change{replace(check, "kind: single", "kind: single\n    lesson: nope")},
			[]string{check + `:5: question "first": lesson: module has no lesson "nope"`}},
		{"summary of one point", []change{replace(en, `title: "Start"`, `title: "Start"`+"\nsummary:\n  - \"Only one.\"")},
			[]string{en + `:3: front matter: summary: has 1 points; give 2 to 6`}},
		{"image without alt text", []change{put("01-basics/media/plan.svg", svg), replace(en, "# Getting started", "![](media/plan.svg)\n\n# Getting started")},
			[]string{en + `:4: image media/plan.svg has no alt text: write ![what the image shows](media/plan.svg)`}},
		{"image file missing", []change{replace(en, "# Getting started", "![A plan](media/plan.svg)\n\n# Getting started")},
			[]string{en + `:4: image media/plan.svg: no such file in 01-basics/media`}},
		{"image outside media", []change{put("01-basics/media/plan.svg", svg), replace(en, "# Getting started", "![A plan](https://example.org/x.png)\n\n# Getting started")},
			[]string{en + `:4: image https://example.org/x.png: images must be files of the module's media folder, written media/FILE`}},
		{"SVG with a script", []change{put("01-basics/media/plan.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
			[]string{`01-basics/media/plan.svg: SVG contains "<script"; figures are drawings without scripts or outside references`}},
		{"SVG with an outside reference", []change{put("01-basics/media/plan.svg", `<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>`)},
			[]string{`01-basics/media/plan.svg: SVG contains "href=\"https:"; figures are drawings without scripts or outside references`}},
		{"link to unknown glossary term", []change{put("glossary.yaml", glossary), replace(en, "the next lesson", "[CPTED](/glossary#nope) and the next lesson")},
			[]string{en + `:14: link /glossary#nope: the glossary has no term "nope"`}},
		{"glossary missing", []change{replace(en, "the next lesson", "[CPTED](/glossary#cpted) [risk](/glossary#risk) the next lesson")},
			[]string{`glossary.yaml: file is missing, but 2 links point to glossary terms (the first: /glossary#cpted in ` + en + `:14); add glossary.yaml or remove the links`}},
		{"glossary invalid", []change{put("glossary.yaml", "terms: [\n"), replace(en, "the next lesson", "[CPTED](/glossary#cpted) the next lesson")},
			[]string{`glossary.yaml:1: invalid YAML: sequence end token ']' not found`}},
		{"glossary see to unknown term", []change{put("glossary.yaml", strings.Replace(glossary, "see: [risk]", "see: [gone]", 1))},
			[]string{`glossary.yaml:8: term "cpted": see: "gone" is not another term of the glossary`}},
		{"link to unknown case and tool", []change{replace(en, "the next lesson", "[a](/cases/nope) [b](/tools/nope.pdf) the next lesson")},
			[]string{en + `:14: link /cases/nope: the case library has no case "nope"`, en + `:14: link /tools/nope.pdf: there is no tool "nope.pdf"`}},
		{"case in one language", []change{put("cases/01-event.de.md", moreDE)},
			[]string{`cases/01-event.de.md: case has no "en" version: add cases/01-event.en.md`}},
		{"image in a tool", []change{put("tools/01-sheet.de.md", "---\ntitle: Bogen\n---\n![Plan](media/x.svg)\n"), put("tools/01-sheet.en.md", moreEN)},
			[]string{`tools/01-sheet.de.md:4: image media/x.svg: only lessons can have images`}},
		{"tool table too wide to print", []change{put("tools/01-sheet.de.md", "---\ntitle: Bogen\n---\nText.\n\n| a | b | c | d | e | f | g |\n|---|---|---|---|---|---|---|\n| 1 | 2 | 3 | 4 | 5 | 6 | 7 |\n"), put("tools/01-sheet.en.md", moreEN)},
			[]string{`tools/01-sheet.de.md:6: table has 7 columns; a tool's tables may have at most 6, so they fit an A4 page`}},
		{"PNG that is not one", []change{put("01-basics/media/photo.png", svg)},
			[]string{`01-basics/media/photo.png: file is not a png image, as its extension says`}},

		// links
		{"link to unknown lesson", []change{replace(en, "lessons/more", "lessons/nope")},
			[]string{en + `:14: link /modules/basics/lessons/nope: module "basics" has no lesson "nope"`}},
		{"link to unknown module", []change{replace(de, "/modules/basics/lessons/more#oben", "/modules/nowhere/lessons/x")},
			[]string{de + `:7: link /modules/nowhere/lessons/x: no module with id "nowhere"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := validFS()
			for _, c := range tc.changes {
				c(t, fsys)
			}
			// Order is TestLoadCollectsAllProblems' business; here only the set counts.
			got, want := problemsOf(t, fsys), slices.Clone(tc.want)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" role="img"><title>Plan</title><rect width="10" height="10" fill="#fff"/></svg>`

const glossary = `terms:
  - id: cpted
    term: {de: "CPTED", en: "CPTED"}
    definition:
      de: "Kriminalprävention durch Gestaltung."
      en: "Crime prevention through environmental design."
    source: "CEN/TS 14383-2:2022"
    see: [risk]
  - id: risk
    term: {de: "Risiko", en: "Risk"}
    definition: {de: "Plausibilität und Folgen.", en: "Plausibility and consequences."}
`
