// Package modules holds the default training content; see FORMAT.md for the format.
package modules

import "embed"

// FS holds every NN-slug module folder. The pattern names folders only, so FORMAT.md and this
// file stay out of the content; content.Load ignores root files anyway.
//
//go:embed [0-9]*
var FS embed.FS
