package mail

// ProblemKind says what was wrong with a message that Parse read anyway.
// Callers and tests match on the kind; the wording of Problem.Detail may
// change.
type ProblemKind int

// The kinds of Problem. The zero kind is not used: a zero Problem means "no
// problem" inside the parser.
const (
	_ ProblemKind = iota
	// ProblemNoHeader: the input does not start with a header; it was read
	// as body text.
	ProblemNoHeader
	// ProblemMalformedHeader: header lines that are not fields were joined
	// to the field before them.
	ProblemMalformedHeader
	// ProblemNoBody: the header is not followed by a blank line and a body.
	ProblemNoBody
	// ProblemRawHeaderBytes: a header field holds raw 8-bit bytes that are
	// not UTF-8; their charset was guessed.
	ProblemRawHeaderBytes
	// ProblemMissingMessageID: there is no Message-ID field.
	ProblemMissingMessageID
	// ProblemBadMessageID: the Message-ID field holds no usable id.
	ProblemBadMessageID
	// ProblemMissingFrom: no sender address was found at all.
	ProblemMissingFrom
	// ProblemSenderFallback: From was missing or unusable; the sender was
	// taken from Sender or Return-Path.
	ProblemSenderFallback
	// ProblemBadAddress: an address field was malformed and read leniently.
	ProblemBadAddress
	// ProblemMissingDate: there is no Date field.
	ProblemMissingDate
	// ProblemBadDate: the Date field could not be parsed.
	ProblemBadDate
	// ProblemUndeclaredCharset: 8-bit text without a charset (or declared
	// us-ascii); the charset was guessed.
	ProblemUndeclaredCharset
	// ProblemUnknownCharset: the declared charset is not known (or could not
	// decode the text); the charset was guessed.
	ProblemUnknownCharset
	// ProblemBadCharset: the declared charset does not fit the bytes (a
	// lying charset, or broken UTF-8); the text was decoded by a guess.
	ProblemBadCharset
	// ProblemBadContentType: a Content-Type is not "type/subtype".
	ProblemBadContentType
	// ProblemBrokenBoundary: a multipart boundary is missing, was never
	// found or was not closed.
	ProblemBrokenBoundary
	// ProblemBadEncoding: transfer-encoded data (base64) was damaged; what
	// decoded was kept.
	ProblemBadEncoding
	// ProblemUnknownEncoding: a Content-Transfer-Encoding is unknown or not
	// decoded (uuencode).
	ProblemUnknownEncoding
	// ProblemEmptyForwarded: an attached message is empty.
	ProblemEmptyForwarded
	// ProblemLimitReached: a safety limit (header size, MIME parts, nesting)
	// cut the message short.
	ProblemLimitReached
	// ProblemTruncatedText: text extracted from an attachment was cut at
	// ParseOptions.MaxAttachmentText.
	ProblemTruncatedText
	// ProblemAttachment: an attachment's content could not be read fully
	// (e.g. a damaged winmail.dat).
	ProblemAttachment
)

// problemKindNames are the stable names of the kinds, for logs.
var problemKindNames = [...]string{
	ProblemNoHeader:          "no-header",
	ProblemMalformedHeader:   "malformed-header",
	ProblemNoBody:            "no-body",
	ProblemRawHeaderBytes:    "raw-header-bytes",
	ProblemMissingMessageID:  "missing-message-id",
	ProblemBadMessageID:      "bad-message-id",
	ProblemMissingFrom:       "missing-from",
	ProblemSenderFallback:    "sender-fallback",
	ProblemBadAddress:        "bad-address",
	ProblemMissingDate:       "missing-date",
	ProblemBadDate:           "bad-date",
	ProblemUndeclaredCharset: "undeclared-charset",
	ProblemUnknownCharset:    "unknown-charset",
	ProblemBadCharset:        "bad-charset",
	ProblemBadContentType:    "bad-content-type",
	ProblemBrokenBoundary:    "broken-boundary",
	ProblemBadEncoding:       "bad-encoding",
	ProblemUnknownEncoding:   "unknown-encoding",
	ProblemEmptyForwarded:    "empty-forwarded",
	ProblemLimitReached:      "limit-reached",
	ProblemTruncatedText:     "truncated-text",
	ProblemAttachment:        "attachment",
}

// String returns the kind's stable name, e.g. "bad-charset".
func (k ProblemKind) String() string {
	if k > 0 && int(k) < len(problemKindNames) {
		return problemKindNames[k]
	}
	return "unknown"
}

// Problem is one note on what was malformed in a message; parsing went on.
type Problem struct {
	Kind ProblemKind
	// Detail is a sentence for people (English, valid UTF-8), e.g.
	// "unknown charset x-unknown, guessed iso-8859-2". Notes on forwarded
	// messages start with "forwarded message: ".
	Detail string
}

// String returns the detail, or the kind's name when there is none.
func (p Problem) String() string {
	if p.Detail != "" {
		return p.Detail
	}
	return p.Kind.String()
}

// HasProblem reports whether m has a problem of kind k.
func (m *Parsed) HasProblem(k ProblemKind) bool {
	for _, p := range m.Problems {
		if p.Kind == k {
			return true
		}
	}
	return false
}
