package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// A bad --brand-color or --logo stops serve before anything opens: exit 2, the flag named.
func TestServeRefusesBadBrand(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--brand-color", "#ffcc00"}, "--brand-color #ffcc00: contrast with white is 1.51:1"},
		{[]string{"--brand-color", "red"}, "--brand-color \"red\""},
		{[]string{"--logo", filepath.Join(data, "none.svg")}, "--logo"},
	} {
		_, errOut, err := runCmd(t, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)...)
		if !errors.Is(err, errUsage) || !strings.Contains(errOut, tc.want) {
			t.Errorf("serve %v: %v\n%s", tc.args, err, errOut)
		}
	}
	// The environment works as for every flag.
	var out, errOut bytes.Buffer
	env := func(k string) string {
		if k == "SAFERSPACES_BRAND_COLOR" {
			return "#fff"
		}
		return ""
	}
	if err := run(t.Context(), []string{"serve", "--data", data}, env, &out, &errOut); !errors.Is(err, errUsage) || !strings.Contains(errOut.String(), "--brand-color \"#fff\"") {
		t.Errorf("SAFERSPACES_BRAND_COLOR=#fff: %v\n%s", err, errOut.String())
	}
}
