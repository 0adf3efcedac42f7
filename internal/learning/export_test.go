package learning

import "io"

// WritePDFUncompressed writes the PDF with plain-text streams, so tests can look into them.
func (c *Certificate) WritePDFUncompressed(w io.Writer, lang, verifyURL string) error {
	return writePDF(w, c, lang, verifyURL, false)
}
