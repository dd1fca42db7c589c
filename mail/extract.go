package mail

import (
	"bytes"
	"context"
	"errors"
	"path"
	"strings"
	"unicode/utf8"
)

// Media types the extractors know.
const (
	mediaDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	mediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	mediaPPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	mediaODT  = "application/vnd.oasis.opendocument.text"
	mediaODS  = "application/vnd.oasis.opendocument.spreadsheet"
	mediaODP  = "application/vnd.oasis.opendocument.presentation"
	mediaPDF  = "application/pdf"
	mediaTNEF = "application/ms-tnef"
)

// extByName maps lower-case file extensions to media types. It is a fixed
// table (not mime.TypeByExtension) so results do not depend on the host.
var extByName = map[string]string{
	".docx": mediaDOCX, ".docm": "application/vnd.ms-word.document.macroenabled.12",
	".dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
	".xlsx": mediaXLSX, ".pptx": mediaPPTX,
	".odt": mediaODT, ".ods": mediaODS, ".odp": mediaODP,
	".ott": "application/vnd.oasis.opendocument.text-template",
	".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
	".rtf": "application/rtf", ".pdf": mediaPDF,
	".txt": "text/plain", ".text": "text/plain", ".log": "text/plain", ".md": "text/markdown",
	".csv": "text/csv", ".tsv": "text/tab-separated-values",
	".htm": "text/html", ".html": "text/html", ".xml": "application/xml",
	".ics": "text/calendar", ".vcf": "text/vcard", ".eml": "message/rfc822",
	".zip": "application/zip", ".7z": "application/x-7z-compressed", ".rar": "application/vnd.rar",
	".gz":  "application/gzip",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
	".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".webp": "image/webp",
	".heic": "image/heic", ".svg": "image/svg+xml",
	".mp3": "audio/mpeg", ".mp4": "video/mp4",
	".p7s": "application/pkcs7-signature", ".p7m": "application/pkcs7-mime",
	".asc": "application/pgp-signature", ".isdoc": "application/xml",
}

// genericMediaTypes are declared types that say nothing about the file.
var genericMediaTypes = map[string]bool{
	"":                           true,
	"application/octet-stream":   true,
	"application/x-octet-stream": true,
	"application/octetstream":    true,
	"application/unknown":        true,
	"application/binary":         true,
	"application/download":       true,
	"application/force-download": true,
	"application/x-download":     true,
	"application/save":           true,
	"binary/octet-stream":        true,
}

// sniffMediaType returns the media type to record for a file: the declared
// one unless it is generic, else one from the file name, else one from the
// first bytes.
func sniffMediaType(declared, filename string, data []byte) string {
	declared = strings.ToLower(strings.TrimSpace(declared))
	if !genericMediaTypes[declared] && validMediaType(declared) {
		return declared
	}
	if strings.EqualFold(filename, "winmail.dat") {
		return mediaTNEF
	}
	if t := extByName[strings.ToLower(path.Ext(filename))]; t != "" {
		return t
	}
	if t := sniffContent(data); t != "" {
		return t
	}
	return "application/octet-stream"
}

// sniffContent recognizes a few file formats by their magic bytes.
func sniffContent(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return mediaPDF
	case bytes.HasPrefix(data, []byte{0x78, 0x9f, 0x3e, 0x22}):
		return mediaTNEF
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		head := data
		if len(head) > 4096 {
			head = head[:4096]
		}
		switch {
		case bytes.Contains(head, []byte("mimetype"+"application/vnd.oasis.opendocument.text")):
			return mediaODT
		case bytes.Contains(head, []byte("word/")):
			return mediaDOCX
		case bytes.Contains(head, []byte("xl/")):
			return mediaXLSX
		case bytes.Contains(head, []byte("ppt/")):
			return mediaPPTX
		}
		return "application/zip"
	case bytes.HasPrefix(data, []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}):
		return "application/x-ole-storage"
	case bytes.HasPrefix(data, []byte("\x89PNG")):
		return "image/png"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(data, []byte("GIF8")):
		return "image/gif"
	case bytes.HasPrefix(data, []byte("{\\rtf")):
		return "application/rtf"
	}
	return ""
}

// extractor kinds.
const (
	kindNone = iota
	kindText
	kindHTML
	kindDOCX
	kindXLSX
	kindPPTX
	kindODF
	kindPDF
)

// textKind decides how to read a file: by media type, then by extension.
func textKind(mediaType, name string) int {
	switch mediaType {
	case mediaDOCX, "application/vnd.ms-word.document.macroenabled.12",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.template":
		return kindDOCX
	case mediaXLSX:
		return kindXLSX
	case mediaPPTX:
		return kindPPTX
	case mediaODT, mediaODS, mediaODP, "application/vnd.oasis.opendocument.text-template":
		return kindODF
	case mediaPDF, "application/x-pdf", "application/acrobat", "text/pdf":
		return kindPDF
	case "text/html", "application/xhtml+xml":
		return kindHTML
	}
	if strings.HasPrefix(mediaType, "text/") {
		return kindText
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".docx", ".docm", ".dotx":
		return kindDOCX
	case ".xlsx":
		return kindXLSX
	case ".pptx":
		return kindPPTX
	case ".odt", ".ods", ".odp", ".ott":
		return kindODF
	case ".pdf":
		return kindPDF
	case ".htm", ".html":
		return kindHTML
	case ".txt", ".csv", ".tsv", ".text", ".log", ".md":
		return kindText
	}
	return kindNone
}

// ExtractText extracts searchable text from a file, chosen by media type
// (which may carry a charset parameter, e.g. "text/plain; charset=windows-1250")
// and, failing that, by the extension of name. It reads DOCX, XLSX, PPTX,
// ODT/ODS/ODP, PDF (text layer), HTML and other text/* files; for other
// types it returns "" and no error. The result is capped at 1 MiB. On a
// damaged file it returns what it could read together with the error.
func ExtractText(name, mediaType string, data []byte) (string, error) {
	mt, params := mediaParams(mediaType)
	text, _, err := extractText(name, mt, params["charset"], data, defaultMaxAttachmentText)
	return text, err
}

// extractAttachment is how Parse reads an attachment: a PDF goes to x when
// one is set (a child process; see Extractor), after a cheap screen that
// spares a child on files that are refused anyway; everything else, and
// PDFs when x is nil, is read in process by extractText.
func extractAttachment(x Extractor, name, mediaType, charsetLabel string, data []byte, limit int) (text string, truncated bool, err error) {
	if x == nil || textKind(mediaType, name) != kindPDF {
		return extractText(name, mediaType, charsetLabel, data, limit)
	}
	if limit <= 0 {
		limit = defaultMaxAttachmentText
	}
	if err := pdfScreen(data); err != nil {
		return "", false, err
	}
	// Parse has no context: the child's own deadline bounds the call.
	return x.ExtractText(context.Background(), name, mediaType, data, limit)
}

// Where the PDF library runs (see extractPDF).
const (
	inProcess = iota // a long-lived process: deep guard and a timeout
	inChild          // a disposable child process: its death is the guard
)

// extractText is ExtractText with a charset and a cap; it reports whether
// the text was truncated at limit bytes.
func extractText(name, mediaType, charsetLabel string, data []byte, limit int) (text string, truncated bool, err error) {
	return extractTextIn(inProcess, name, mediaType, charsetLabel, data, limit)
}

// extractTextIn is extractText in process or in a child (where).
func extractTextIn(where int, name, mediaType, charsetLabel string, data []byte, limit int) (text string, truncated bool, err error) {
	if limit <= 0 {
		limit = defaultMaxAttachmentText
	}
	out := &capWriter{max: limit}
	switch textKind(mediaType, name) {
	case kindText:
		s, _ := decodeText(data, charsetLabel)
		out.WriteString(s)
	case kindHTML:
		s, _ := decodeText(data, charsetLabel)
		out.WriteString(htmlToText(s))
	case kindDOCX:
		err = extractOOXML(data, out, docxParts)
	case kindXLSX:
		err = extractOOXML(data, out, xlsxParts)
	case kindPPTX:
		err = extractOOXML(data, out, pptxParts)
	case kindODF:
		err = extractODF(data, out)
	case kindPDF:
		err = extractPDF(data, out, where)
	default:
		return "", false, nil
	}
	if errors.Is(err, errTextFull) {
		err = nil
	}
	text = normalizeText(out.String())
	truncated = out.truncated
	if len(text) > limit {
		text, truncated = truncateUTF8(text, limit), true
	}
	return text, truncated, err
}

// errTextFull stops an extractor once the cap is reached.
var errTextFull = errors.New("mail: text cap reached")

// capWriter collects text up to max bytes.
type capWriter struct {
	b         strings.Builder
	max       int
	truncated bool
}

// WriteString appends s, cutting at the cap on a rune boundary.
func (w *capWriter) WriteString(s string) {
	if w.truncated {
		return
	}
	if w.b.Len()+len(s) > w.max {
		s = truncateUTF8(s, w.max-w.b.Len())
		w.truncated = true
	}
	w.b.WriteString(s)
}

// full reports whether the cap was reached.
func (w *capWriter) full() bool { return w.truncated }

// String returns the collected text.
func (w *capWriter) String() string { return w.b.String() }

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
