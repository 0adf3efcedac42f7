package learning

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"

	"saferspaces/internal/content"
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
// holder's name (CertificateByCode fills it, and for the programme its modules); verifyURL is the
// public verification page, printed and encoded in the QR code. The fonts are the Go fonts,
// embedded as TrueType with Unicode, so umlauts, ß, guillemets and no-break spaces print as they
// are: every text comes from the catalogs, so each language's typography (quotation marks, the
// space before a French colon, date formats) is the catalog's.
func (c *Certificate) WritePDF(w io.Writer, lang i18n.Lang, verifyURL string, loc *time.Location) error {
	return writePDF(w, c, lang, verifyURL, loc, true)
}

// studyTime says a study time in lang: minutes below two hours (unless whole hours), else hours,
// rounded to the nearest hour.
func studyTime(lang i18n.Lang, minutes int) string {
	if minutes < 120 && minutes%60 != 0 {
		return i18n.N(lang, "learning.module.minutes_short", minutes)
	}
	return i18n.N(lang, "certificate.pdf.hours", (minutes+30)/60)
}

func writePDF(w io.Writer, c *Certificate, lang i18n.Lang, verifyURL string, loc *time.Location, compress bool) error {
	tr := func(id string, kv ...any) string { return i18n.T(lang, "certificate.pdf."+id, kv...) }
	title := c.Title(lang)
	date := i18n.Date(lang, c.IssuedAt, loc)
	issuer := c.Issuer
	if issuer == "" {
		issuer = Platform
	}
	docTitle := tr("heading") + ": " + c.Name + " – " + title

	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(compress)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes("go", "I", goitalic.TTF)
	// The document's metadata repeat what it certifies, so a file browser or screen reader shows
	// whose certificate it is without opening it; the language is the document's (/Lang, and in
	// the XMP metadata with the title, which viewers are told to show instead of the file name).
	pdf.SetTitle(docTitle, true)
	pdf.SetSubject(title, true)
	pdf.SetAuthor(issuer, true)
	pdf.SetCreator(Platform, true)
	pdf.SetLang(i18n.Tag(lang))
	pdf.SetXmpMetadata(xmp(docTitle, title, issuer, i18n.Tag(lang), c.IssuedAt))
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
	programme := c.Programme() && len(c.Modules) > 0
	top := 50.0
	if programme {
		top = 40 // the list of modules needs the room
	}
	pdf.SetTextColor(30, 80, 120)
	pdf.SetY(22)
	line("B", 16, 8, Platform)
	pdf.SetTextColor(80, 80, 80)
	line("", 11, 6, tr("platform_line"))
	pdf.SetTextColor(20, 20, 20)
	pdf.SetY(top)
	line("B", 30, 14, tr("heading"))
	pdf.Ln(5)
	line("", 13, 7, tr("certify"))
	pdf.Ln(2)
	line("B", 24, 12, c.Name)
	pdf.Ln(2)
	if c.Programme() {
		line("", 13, 7, tr("programme"))
	} else {
		line("", 13, 7, tr("module"))
		pdf.Ln(1)
		line("B", 17, 9, tr("quoted", "Title", title))
	}
	pdf.Ln(1)
	line("", 13, 7, tr("completed_on", "Date", date))
	if c.Module != nil && !c.Programme() {
		pdf.SetTextColor(80, 80, 80)
		line("", 10, 6, tr("module_line", "Hours", studyTime(lang, c.Module.Minutes)))
	}
	if programme {
		modulesList(pdf, c.Modules, lang)
	}

	// Signatory: the date and a line to sign on the left and right, the issuer below.
	sigY := max(pdf.GetY()+14, 140.0)
	colW := 80.0
	pdf.SetTextColor(20, 20, 20)
	pdf.SetDrawColor(60, 60, 60)
	pdf.SetLineWidth(0.3)
	pdf.SetFont("go", "", 11)
	pdf.SetXY(25, sigY-6)
	pdf.CellFormat(colW, 6, date, "", 0, "L", false, 0, "")
	pdf.Line(25, sigY, 25+colW, sigY)
	pdf.Line(pageW-25-36-10-colW, sigY, pageW-25-36-10, sigY)
	pdf.SetFont("go", "", 9)
	pdf.SetTextColor(80, 80, 80)
	pdf.SetXY(25, sigY+1)
	pdf.CellFormat(colW, 5, tr("date_label"), "", 0, "L", false, 0, "")
	pdf.SetXY(pageW-25-36-10-colW, sigY+1)
	pdf.CellFormat(colW, 5, tr("signature"), "", 0, "L", false, 0, "")
	pdf.SetXY(25, sigY+6)
	pdf.CellFormat(colW, 5, tr("issuer", "Issuer", issuer), "", 0, "L", false, 0, "")

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
	pdf.SetXY(25, pageH-40)
	pdf.SetFont("go", "", 10)
	pdf.CellFormat(textW-qrSize-10, 5, tr("code"), "", 0, "L", false, 0, "")
	pdf.SetXY(25, pageH-35)
	pdf.SetFont("go", "B", 14)
	pdf.CellFormat(textW-qrSize-10, 7, c.Code, "", 1, "L", false, 0, "")
	pdf.SetX(25)
	pdf.SetFont("go", "", 10)
	pdf.CellFormat(textW-qrSize-10, 5, tr("verify"), "", 1, "L", false, 0, "")
	pdf.SetX(25)
	pdf.SetFont("go", "I", 10)
	pdf.CellFormat(textW-qrSize-10, 5, verifyURL, "", 1, "L", false, 0, verifyURL)

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("certificate pdf: %w", err)
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return fmt.Errorf("certificate pdf: %w", err)
	}
	b, err := finishCatalog(out.Bytes())
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// modulesList writes the programme's modules with their study time in two columns, after the
// sentence that gives their number and the total time.
func modulesList(pdf *fpdf.Fpdf, mods []*content.Module, lang i18n.Lang) {
	total := 0
	for _, m := range mods {
		total += m.Minutes
	}
	pdf.SetTextColor(60, 60, 60)
	pdf.Ln(2)
	pdf.SetFont("go", "", 10)
	pdf.SetX(25)
	pageW, _ := pdf.GetPageSize()
	textW := pageW - 50
	pdf.MultiCell(textW, 5, i18n.N(lang, "certificate.pdf.programme_modules", len(mods), "Hours", studyTime(lang, total)), "", "C", false)
	pdf.Ln(1)
	rows := (len(mods) + 1) / 2
	colW := textW/2 - 5
	y := pdf.GetY()
	for i, m := range mods {
		col, row := i/rows, i%rows
		text := fmt.Sprintf("%d. %s", i+1, i18n.N(lang, "certificate.pdf.module_minutes", m.Minutes, "Title", m.Title.In(lang)))
		size := 9.0
		pdf.SetFont("go", "", size)
		for pdf.GetStringWidth(text) > colW && size > 6.5 {
			size -= 0.5
			pdf.SetFont("go", "", size)
		}
		pdf.SetXY(25+float64(col)*(colW+10), y+float64(row)*4.6)
		pdf.CellFormat(colW, 4.6, text, "", 0, "L", false, 0, "")
	}
	pdf.SetY(y + float64(rows)*4.6)
}

// xmp is the document's XMP metadata: title, subject, author and language in Dublin Core, as
// PDF/UA asks for.
func xmp(title, subject, author, lang string, at time.Time) []byte {
	esc := func(s string) string {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
	}
	return []byte(`<?xpacket begin="` + "\uFEFF" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + esc(title) + `</rdf:li></rdf:Alt></dc:title>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">` + esc(subject) + `</rdf:li></rdf:Alt></dc:description>
<dc:creator><rdf:Seq><rdf:li>` + esc(author) + `</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag><rdf:li>` + esc(lang) + `</rdf:li></rdf:Bag></dc:language>
<xmp:CreateDate>` + at.UTC().Format(time.RFC3339) + `</xmp:CreateDate>
<pdf:Producer>` + Platform + `</pdf:Producer>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>`)
}

var (
	rootRef   = regexp.MustCompile(`/Root (\d+) 0 R`)
	startXref = regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n?$`)
)

// finishCatalog adds what fpdf cannot write to the document catalog: the reference to the XMP
// metadata (fpdf writes the stream but does not link it) and the viewer preference to show the
// document title. fpdf writes the catalog as the last object before the cross-reference table, so
// only the table's own offset moves; anything else is an error rather than a damaged file.
func finishCatalog(b []byte) ([]byte, error) {
	m := rootRef.FindSubmatch(b)
	x := startXref.FindSubmatchIndex(b)
	if m == nil || x == nil {
		return nil, fmt.Errorf("certificate pdf: no catalog or startxref")
	}
	root, _ := strconv.Atoi(string(m[1]))
	catalog := fmt.Appendf(nil, "\n%d 0 obj\n<<\n/Type /Catalog", root)
	at := bytes.LastIndex(b, catalog)
	meta := fmt.Appendf(nil, "\n%d 0 obj\n<< /Type /Metadata /Subtype /XML", root-2)
	xrefAt, _ := strconv.Atoi(string(b[x[2]:x[3]]))
	if at < 0 || at > xrefAt || bytes.Count(b[at:xrefAt], []byte(" 0 obj\n")) != 1 || !bytes.Contains(b, meta) {
		return nil, fmt.Errorf("certificate pdf: catalog not where expected")
	}
	insert := fmt.Appendf(nil, "\n/Metadata %d 0 R\n/ViewerPreferences << /DisplayDocTitle true >>", root-2)
	at += len(catalog)
	out := make([]byte, 0, len(b)+len(insert)+4)
	out = append(out, b[:at]...)
	out = append(out, insert...)
	out = append(out, b[at:x[2]]...)
	out = strconv.AppendInt(out, int64(xrefAt+len(insert)), 10)
	out = append(out, b[x[3]:]...)
	return out, nil
}
