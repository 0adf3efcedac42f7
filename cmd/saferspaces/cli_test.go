package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// An empty --data is refused by every command as serve refuses it (exit 2), instead of failing
// later with a message about "saferspaces.db" or "mkdir :"; nothing appears in the working
// directory.
func TestEveryCommandRefusesAnEmptyData(t *testing.T) {
	t.Chdir(t.TempDir())
	commands := [][]string{{"serve"}, {"migrate"}, {"backup"}, {"purge"}}
	for name := range subcommands() {
		commands = append(commands, strings.Fields(name))
	}
	for _, data := range []string{"", " "} {
		for _, cmd := range commands {
			var out, errOut bytes.Buffer
			err := run(t.Context(), append(cmd, "--data", data), noEnv, &out, &errOut)
			if err != errUsage || !strings.Contains(errOut.String(), "--data must not be empty") {
				t.Errorf("%v --data %q: err = %v, stderr %q; want the usage error \"--data must not be empty\"", cmd, data, err, errOut.String())
			}
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) > 0 {
		t.Errorf("the refused commands left %v in the working directory", entries)
	}
}
