// Package modules holds the default training content; see FORMAT.md for the format.
package modules

import "embed"

// FS holds the content: the NN-slug module folders, cases/, tools/ and glossary.yaml. FORMAT.md
// and this file come along and are ignored by content.Load, which reads only what the format
// names.
//
//go:embed *
var FS embed.FS
