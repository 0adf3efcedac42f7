package account_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/mail"
)

func TestImportUsers(t *testing.T) {
	g := newGate(t)
	if _, err := g.svc.CreateCohort(t.Context(), audit.CLI, "Herbst 2026", "H26"); err != nil {
		t.Fatal(err)
	}
	// Excel's "CSV UTF-8": BOM, CRLF, header row; one row without the (optional) cohort column.
	file := "\uFEFFname;email;organisation;role;cohort\r\n" +
		"Jürgen Größe;juergen@stadt.example;Ordnungsamt;;Herbst 2026\r\n" +
		"Tanja Trainer;tanja@stadt.example;Präventionsrat;trainer;herbst 2026\r\n" +
		"\r\n" +
		"\"Müller; Anna\";anna@stadt.example;\"Stadtplanung\";admin;\r\n" +
		"Lars Lernend;lars@stadt.example;Ordnungsamt;learner\r\n"
	n, err := g.svc.ImportUsers(t.Context(), audit.CLI, "staff.csv", strings.NewReader(file), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("created %d, want 4", n)
	}
	cohort, _ := g.svc.CohortByName(t.Context(), "Herbst 2026")
	for _, want := range []struct {
		email, name   string
		role          account.Role
		member, leads bool
	}{
		{"juergen@stadt.example", "Jürgen Größe", account.RoleLearner, true, false},
		{"tanja@stadt.example", "Tanja Trainer", account.RoleTrainer, false, true},
		{"anna@stadt.example", "Müller; Anna", account.RoleAdmin, false, false},
		{"lars@stadt.example", "Lars Lernend", account.RoleLearner, false, false},
	} {
		u, err := g.svc.UserByEmail(t.Context(), want.email)
		if err != nil {
			t.Fatalf("%s: %v", want.email, err)
		}
		if u.Name != want.name || u.Role != want.role || u.Status != account.StatusApproved || u.PasswordHash != "" {
			t.Errorf("%s = %+v", want.email, u)
		}
		if got := u.CohortID == cohort.ID; got != want.member {
			t.Errorf("%s member = %v", want.email, got)
		}
		leads := g.count(`SELECT count(*) FROM cohort_trainers WHERE user_id = ? AND cohort_id = ?`, u.ID, cohort.ID) == 1
		if leads != want.leads {
			t.Errorf("%s leads = %v", want.email, leads)
		}
		token := g.lastActivation(want.email)
		if _, err := g.svc.LookupToken(t.Context(), token, account.PurposeActivation); err != nil {
			t.Errorf("%s: activation link: %v", want.email, err)
		}
		if got := g.auditActions(u.ID); len(got) != 1 || got[0] != "user.imported" {
			t.Errorf("%s audit = %v", want.email, got)
		}
	}
	if m := g.mails(string(mail.KindActivation)); len(m) != 4 {
		t.Errorf("%d activation mails, want 4", len(m))
	}
}

func TestImportReportsEveryBadLineAndAppliesNothing(t *testing.T) {
	g := newGate(t)
	g.user("known@stadt.example", account.RoleLearner, account.StatusApproved, "de")
	file := strings.Join([]string{
		"Gute Zeile;gut@stadt.example;Ordnungsamt;learner;",
		"Kaputte Adresse;not-an-address;Ordnungsamt;learner;",
		"Noch gut;gut2@stadt.example;Ordnungsamt;;",
		"Falsche Rolle;rolle@stadt.example;Ordnungsamt;chef;",
		"Zu wenig;spalten@stadt.example",
		"Doppelt;GUT@stadt.example;Ordnungsamt;;",
		"Bekannt;known@stadt.example;Ordnungsamt;;",
		"Ohne Kohorte;kohorte@stadt.example;Ordnungsamt;;Gibt es nicht",
	}, "\n") + "\n"
	n, err := g.svc.ImportUsers(t.Context(), audit.CLI, "bad.csv", strings.NewReader(file), nil)
	var ie *account.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *ImportError", err)
	}
	if n != 0 {
		t.Errorf("created %d", n)
	}
	wantLines := []int{2, 4, 5, 6, 7, 8}
	var got []int
	for _, p := range ie.Problems {
		got = append(got, p.Line)
	}
	if len(got) != len(wantLines) {
		t.Fatalf("problems on lines %v, want %v:\n%v", got, wantLines, err)
	}
	for i := range got {
		if got[i] != wantLines[i] {
			t.Fatalf("problems on lines %v, want %v:\n%v", got, wantLines, err)
		}
	}
	msg := err.Error()
	for _, want := range []string{"bad.csv:2: ", "bad.csv:4: role \"chef\"", "bad.csv:6: e-mail address GUT@stadt.example already appears on line 1",
		"bad.csv:7: e-mail address known@stadt.example is already registered", "bad.csv:8: cohort \"Gibt es nicht\" does not exist"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if n := g.count(`SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users after a refused import, want 1", n)
	}
	if n := g.count(`SELECT count(*) FROM mail_outbox`); n != 0 {
		t.Errorf("%d mails after a refused import", n)
	}
}

func TestImportRefusesEmptyAndBrokenFiles(t *testing.T) {
	g := newGate(t)
	for name, file := range map[string]string{
		"empty":       "",
		"header only": "name;email;organisation;role;cohort\n",
		"bad quote":   "Anna;anna@stadt.example;\"Ordnungsamt;learner;\nBernd;b@stadt.example;x;;\n",
	} {
		if _, err := g.svc.ImportUsers(t.Context(), audit.CLI, "f.csv", strings.NewReader(file), nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := g.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users created", n)
	}
}

// One run reports every row's problems: a bad row does not hide the name rules of later rows,
// and a file wrong throughout lists its first problems and counts the rest.
func TestImportReportsEveryRowInOneRun(t *testing.T) {
	g := newGate(t)
	file := "Anna Two;anna2@;Amt;;\n" +
		"Max\tTab;max@stadt.example;Amt;;\n" +
		"Ok Person;ok@stadt.example;Amt\x07Bell;;\n"
	_, err := g.svc.ImportUsers(t.Context(), audit.CLI, "two.csv", strings.NewReader(file), nil)
	var ie *account.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *ImportError", err)
	}
	msg := err.Error()
	for _, want := range []string{`two.csv:1: "anna2@" is not a valid e-mail address`, "two.csv:2: name: must be one line",
		"two.csv:3: organisation: must be one line"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if len(ie.Problems) != 3 {
		t.Errorf("%d problems, want 3:\n%s", len(ie.Problems), msg)
	}

	var b strings.Builder
	for i := range account.MaxShownProblems + 30 {
		fmt.Fprintf(&b, "Person %d;bad%d;Amt;;\n", i, i)
	}
	_, err = g.svc.ImportUsers(t.Context(), audit.CLI, "many.csv", strings.NewReader(b.String()), nil)
	if !errors.As(err, &ie) || len(ie.Problems) != account.MaxShownProblems+30 {
		t.Fatalf("err = %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != account.MaxShownProblems+1 || lines[len(lines)-1] != "many.csv: and 30 more problem(s)" {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	if n := g.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users created", n)
	}
}

// A comma-separated or UTF-16 file is one problem of the whole file, said once, not a column
// count on every line.
func TestImportNamesWrongSeparatorAndEncodingOnce(t *testing.T) {
	g := newGate(t)
	utf16 := func(s string, bom ...byte) string {
		b := slices.Clone(bom)
		for _, r := range s {
			b = append(b, byte(r), 0) // little-endian, ASCII only
		}
		return string(b)
	}
	rows := "name;email;organisation;role;cohort\r\nAnna Amt;anna@stadt.example;Amt;;\r\n"
	for _, tc := range []struct {
		name, file string
		want       error
		msg        string
	}{
		{"comma", "name,email,organisation,role,cohort\nAnna Amt,anna@stadt.example,Amt,,\nBernd Amt,b@stadt.example,Amt,learner,\n",
			account.ErrImportComma, "the file separates columns with ',' — saferspaces expects ';'"},
		{"comma without header", "\uFEFF\nAnna Amt,anna@stadt.example,Amt,learner\n", account.ErrImportComma, "expects ';'"},
		{"UTF-16 LE", utf16(rows, 0xFF, 0xFE), account.ErrImportUTF16, "the file is UTF-16 — save it as UTF-8 (CSV UTF-8)"},
		{"UTF-16 BE", "\xFE\xFF\x00n\x00a", account.ErrImportUTF16, "UTF-16"},
		{"UTF-16 without BOM", utf16(rows), account.ErrImportUTF16, "UTF-16"},
	} {
		_, err := g.svc.ImportUsers(t.Context(), audit.CLI, "f.csv", strings.NewReader(tc.file), nil)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "f.csv: ") || !strings.Contains(msg, tc.msg) || strings.Contains(msg, "\n") {
			t.Errorf("%s: message %q", tc.name, msg)
		}
	}
	// Commas inside a semicolon file's fields are fine.
	if _, err := g.svc.ImportUsers(t.Context(), audit.CLI, "f.csv", strings.NewReader("Amt, Stadt, Land, Fluss;a@stadt.example;Amt, Abt. 3;;\n"), nil); err != nil {
		t.Errorf("semicolon file with commas: %v", err)
	}
	if n := g.count(`SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}
