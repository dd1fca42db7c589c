package mail

import (
	"bytes"
	"strings"
)

// decodeTransfer undoes a Content-Transfer-Encoding. Unknown encodings are
// passed through. It returns a Problem when the body was damaged or the
// encoding is unknown, else the zero Problem.
func decodeTransfer(body []byte, cte string) ([]byte, Problem) {
	cte = strings.ToLower(strings.TrimSpace(stripComments(cte)))
	cte = strings.Trim(cte, "\"' ")
	switch cte {
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit":
		return body, Problem{}
	case "base64", "x-base64":
		out, damaged := decodeBase64Lenient(body)
		if damaged {
			return out, Problem{ProblemBadEncoding, "broken base64 data, kept what decoded"}
		}
		return out, Problem{}
	case "quoted-printable", "x-quoted-printable", "qp":
		return decodeQuotedPrintable(body), Problem{}
	case "x-uuencode", "uuencode", "x-uue":
		return body, Problem{ProblemUnknownEncoding, "uuencoded part kept undecoded"}
	}
	if strings.Contains(cte, "base64") {
		out, _ := decodeBase64Lenient(body)
		return out, Problem{ProblemUnknownEncoding, "unknown transfer encoding " + quoteLabel(cte) + ", decoded as base64"}
	}
	if strings.Contains(cte, "quoted") {
		return decodeQuotedPrintable(body), Problem{ProblemUnknownEncoding, "unknown transfer encoding " + quoteLabel(cte) + ", decoded as quoted-printable"}
	}
	return body, Problem{ProblemUnknownEncoding, "unknown transfer encoding " + quoteLabel(cte) + ", kept as is"}
}

// decodeQuotedPrintable decodes quoted-printable leniently: invalid escapes
// stay literal, soft line breaks with trailing whitespace are honoured and
// trailing whitespace on lines is dropped.
func decodeQuotedPrintable(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		line, rest := nextLine(b)
		b = rest
		hadNL := bytes.HasSuffix(line, []byte("\n"))
		line = bytes.TrimRight(line, "\r\n")
		line = bytes.TrimRight(line, " \t")
		soft := false
		if bytes.HasSuffix(line, []byte("=")) {
			soft = true
			line = line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) && isHexDigit(line[i+1]) && isHexDigit(line[i+2]) {
				out = append(out, hexValue(line[i+1])<<4|hexValue(line[i+2]))
				i += 2
				continue
			}
			out = append(out, c)
		}
		if hadNL && !soft {
			out = append(out, '\n')
		}
	}
	return out
}

// splitResult is what splitMultipart found.
type splitResult struct {
	parts  [][]byte
	closed bool // the closing delimiter was seen
	found  bool // at least one delimiter was seen
}

// maxParts caps the number of parts taken from one multipart body.
const maxParts = 1000

// splitMultipart splits body at lines "--boundary". It tolerates LF or CRLF,
// trailing whitespace after delimiters, a missing closing delimiter (the last
// part then runs to the end) and garbage in preamble and epilogue.
func splitMultipart(body []byte, boundary string) splitResult {
	var res splitResult
	if boundary == "" || strings.ContainsAny(boundary, "\r\n") {
		return res
	}
	delim := []byte("--" + boundary)
	partStart := -1
	pos := 0
	for pos <= len(body) {
		i := bytes.Index(body[pos:], delim)
		if i < 0 {
			break
		}
		i += pos
		if i > 0 && body[i-1] != '\n' {
			pos = i + len(delim)
			continue
		}
		lineEnd := len(body)
		next := len(body)
		if j := bytes.IndexByte(body[i:], '\n'); j >= 0 {
			lineEnd = i + j
			next = i + j + 1
		}
		if lineEnd < i+len(delim) {
			lineEnd = i + len(delim)
		}
		after := bytes.TrimRight(body[i+len(delim):lineEnd], " \t\r")
		isClose := bytes.Equal(after, []byte("--"))
		if len(after) != 0 && !isClose {
			// "--boundaryX": a longer boundary, not ours.
			pos = i + len(delim)
			continue
		}
		res.found = true
		if partStart >= 0 {
			end := i
			// The line break before the delimiter belongs to it.
			if end > partStart && body[end-1] == '\n' {
				end--
				if end > partStart && body[end-1] == '\r' {
					end--
				}
			}
			if len(res.parts) < maxParts {
				res.parts = append(res.parts, body[partStart:end])
			}
		}
		if isClose {
			res.closed = true
			return res
		}
		partStart = next
		pos = next
		if next >= len(body) {
			break
		}
	}
	if partStart >= 0 && partStart < len(body) && len(res.parts) < maxParts {
		res.parts = append(res.parts, body[partStart:])
	}
	return res
}

// guessBoundary finds a boundary in body when the header did not declare
// one: the first line that starts with "--" followed by a token.
func guessBoundary(body []byte) string {
	rest := body
	for n := 0; len(rest) > 0 && n < 200; n++ {
		line, next := nextLine(rest)
		rest = next
		line = bytes.TrimRight(line, " \t\r\n")
		if len(line) > 3 && len(line) <= 72 && line[0] == '-' && line[1] == '-' && !bytes.ContainsAny(line, " \t") {
			return strings.TrimSuffix(string(line[2:]), "--")
		}
	}
	return ""
}
