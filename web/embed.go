// Package web holds the templates and static files, embedded into the binary so that one file is
// the whole platform. The message catalogs belong to package i18n.
package web

import "embed"

// Templates holds layouts/, partials/ and pages/ under templates/.
//
//go:embed templates
var Templates embed.FS

// Static holds the files served under /static/.
//
//go:embed static
var Static embed.FS
