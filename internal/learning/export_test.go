package learning

import (
	"io"
	"time"

	"saferspaces/internal/i18n"
)

// WritePDFUncompressed writes the PDF with plain-text streams, so tests can look into them.
func (c *Certificate) WritePDFUncompressed(w io.Writer, lang i18n.Lang, verifyURL string, loc *time.Location) error {
	return writePDF(w, c, lang, verifyURL, loc, false)
}
