package learning

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"

	"saferspaces/internal/i18n"
)

// Platform is the issuing platform named on certificates.
const Platform = "saferspaces"

// QRPNG is a QR code of url as a PNG of size×size pixels.
func QRPNG(url string, size int) ([]byte, error) {
	png, err := qrcode.Encode(url, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return png, nil
}

// WritePDF writes the certificate as an A4 landscape PDF in lang, dated in loc. c must carry the
// holder's name (CertificateByCode fills it); verifyURL is the public verification page, printed
// and encoded in the QR code. The fonts are the Go fonts, embedded as TrueType with Unicode, so
// umlauts and ß in names and titles print as they are.
func (c *Certificate) WritePDF(w io.Writer, lang i18n.Lang, verifyURL string, loc *time.Location) error {
	return writePDF(w, c, lang, verifyURL, loc, true)
}

func writePDF(w io.Writer, c *Certificate, lang i18n.Lang, verifyURL string, loc *time.Location, compress bool) error {
	tr := func(id string, kv ...any) string { return i18n.T(lang, "certificate.pdf."+id, kv...) }
	title := c.Title(lang)
	date := i18n.Date(lang, c.IssuedAt, loc)
	name := c.Name
	if c.Anonymised {
		name = i18n.T(lang, "legal.cert.no_name")
	}
	issuer := Platform
	if c.Issuer != "" {
		issuer = c.Issuer
	}

	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(compress)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes("go", "I", goitalic.TTF)
	// The document's metadata repeat what it certifies, so a file browser or screen reader shows
	// whose certificate it is without opening it.
	pdf.SetTitle(tr("heading")+": "+name, true)
	pdf.SetSubject(title, true)
	pdf.SetAuthor(issuer, true)
	pdf.SetCreator(Platform, true)
	pdf.SetLang(i18n.Tag(lang))
	// A fixed date makes the same certificate the same file, whenever it is downloaded.
	pdf.SetCreationDate(c.IssuedAt)
	pdf.SetModificationDate(c.IssuedAt)
	pdf.SetMargins(25, 20, 25)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()

	pageW, pageH := pdf.GetPageSize()
	textW := pageW - 50
	pdf.SetDrawColor(30, 80, 120)
	pdf.SetLineWidth(1.2)
	pdf.Rect(10, 10, pageW-20, pageH-20, "D")
	pdf.SetLineWidth(0.3)
	pdf.Rect(13, 13, pageW-26, pageH-26, "D")

	line := func(style string, size, h float64, text string) {
		pdf.SetFont("go", style, size)
		pdf.SetX(25)
		pdf.MultiCell(textW, h, text, "", "C", false)
	}
	pdf.SetTextColor(30, 80, 120)
	pdf.SetY(24)
	line("B", 16, 8, Platform)
	pdf.SetTextColor(80, 80, 80)
	line("", 11, 6, tr("platform_line"))
	pdf.SetTextColor(20, 20, 20)
	pdf.SetY(50)
	line("B", 30, 14, tr("heading"))
	pdf.Ln(6)
	line("", 13, 7, tr("certify"))
	pdf.Ln(3)
	line("B", 24, 12, name)
	pdf.Ln(3)
	if c.Programme() {
		line("", 13, 7, tr("programme"))
	} else {
		line("", 13, 7, tr("module"))
		pdf.Ln(1)
		line("B", 17, 9, tr("quoted", "Title", title))
	}
	pdf.Ln(2)
	line("", 13, 7, tr("completed_on", "Date", date))
	if c.Issuer != "" {
		pdf.Ln(2)
		line("I", 11, 6, i18n.T(lang, "legal.cert.issuer", "Name", c.Issuer))
	}

	// Verification: code and address on the left, the QR code to the same address on the right.
	png, err := QRPNG(verifyURL, 512)
	if err != nil {
		return err
	}
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	qrSize := 36.0
	pdf.ImageOptions("qr", pageW-25-qrSize, pageH-22-qrSize, qrSize, qrSize, false,
		fpdf.ImageOptions{ImageType: "PNG"}, 0, verifyURL)
	pdf.SetTextColor(60, 60, 60)
	pdf.SetXY(25, pageH-44)
	pdf.SetFont("go", "", 10)
	pdf.CellFormat(textW-qrSize-10, 6, tr("code")+": ", "", 0, "L", false, 0, "")
	pdf.SetXY(25, pageH-38)
	pdf.SetFont("go", "B", 14)
	pdf.CellFormat(textW-qrSize-10, 7, c.Code, "", 1, "L", false, 0, "")
	pdf.SetX(25)
	pdf.SetFont("go", "", 10)
	pdf.CellFormat(textW-qrSize-10, 6, tr("verify"), "", 1, "L", false, 0, "")
	pdf.SetX(25)
	pdf.SetFont("go", "I", 10)
	pdf.CellFormat(textW-qrSize-10, 6, verifyURL, "", 1, "L", false, 0, verifyURL)

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("certificate pdf: %w", err)
	}
	return pdf.Output(w)
}
