// Package web holds the templates, static files and interface message catalogs, embedded into
// the binary so that one file is the whole platform.
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

// I18n holds one message catalog per interface language (de.yaml, en.yaml).
//
//go:embed i18n
var I18n embed.FS
