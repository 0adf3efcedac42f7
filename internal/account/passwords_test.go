package account_test

import (
	"errors"
	"strings"
	"testing"

	"saferspaces/internal/account"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	phc, err := account.HashPassword("Käsekuchen mit Sahne")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("PHC string %q does not carry the required parameters", phc)
	}
	if parts := strings.Split(phc, "$"); len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Errorf("salt/key lengths %d/%d, want 16 and 32 bytes unpadded base64", len(parts[4]), len(parts[5]))
	}
	for pw, want := range map[string]bool{
		"Käsekuchen mit Sahne":        true,
		"Ka\u0308sekuchen mit Sahne":  true, // decomposed ä: NFC makes it the same password
		"käsekuchen mit Sahne":        false,
		"Käsekuchen mit Sahne ":       false,
		"":                            false,
		"Käsekuchen mit Sahne\x00xyz": false,
	} {
		ok, err := account.VerifyPassword(phc, pw)
		if err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	again, _ := account.HashPassword("Käsekuchen mit Sahne")
	if again == phc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyPasswordRefusesMalformedHashes(t *testing.T) {
	good, err := account.HashPassword("irrelevant but long")
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Split(good, "$")
	for name, phc := range map[string]string{
		"empty":            "",
		"bcrypt":           "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":          strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":      strings.Replace(good, "v=19", "v=16", 1),
		"missing part":     strings.Join(p[:5], "$"),
		"extra part":       good + "$x",
		"params reordered": strings.Replace(good, "m=19456,t=2,p=1", "t=2,m=19456,p=1", 1),
		"zero time":        strings.Replace(good, "t=2", "t=0", 1),
		"huge memory":      strings.Replace(good, "m=19456", "m=4194304", 1),
		"huge time":        strings.Replace(good, "t=2", "t=1000", 1),
		"threads overflow": strings.Replace(good, "p=1", "p=300", 1),
		"not a number":     strings.Replace(good, "m=19456", "m=lots", 1),
		"bad salt base64":  strings.Join([]string{"", p[1], p[2], p[3], "!!!!", p[5]}, "$"),
		"padded key":       good + "=",
		"short key":        strings.Join([]string{"", p[1], p[2], p[3], p[4], "AAAA"}, "$"),
		"leading garbage":  "x" + good,
	} {
		ok, err := account.VerifyPassword(phc, "irrelevant but long")
		if ok || !errors.Is(err, account.ErrMalformedHash) {
			t.Errorf("%s: VerifyPassword = %v, %v; want ErrMalformedHash", name, ok, err)
		}
	}
	if ok, err := account.VerifyPassword(account.DummyHash, "anything at all"); ok || err != nil {
		t.Errorf("dummy hash must parse and match nothing: %v, %v", ok, err)
	}
}
