package mail

import (
	"io"
	"mime"
	netmail "net/mail"
	"strings"
	"unicode/utf8"
)

// Address is one mailbox: a display name and an address.
type Address struct {
	Name string // display name, RFC 2047 decoded; "" when none
	Addr string // addr-spec, lower-cased, e.g. "archiv+skupina@example.cz"
}

// String formats the address for display, e.g. `Jiří Novák <jiri@example.cz>`.
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Addr
	case a.Addr == "":
		return a.Name
	}
	return a.Name + " <" + a.Addr + ">"
}

// maxAddresses caps how many addresses one header may yield.
const maxAddresses = 1000

// wordCharsetReader lets mime.WordDecoder decode any charset: it decodes with
// decodeText, which guesses rather than fails.
func wordCharsetReader(label string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(input, 1<<20))
	if err != nil {
		return nil, err
	}
	s, _ := decodeText(b, label)
	return strings.NewReader(s), nil
}

// parseAddressList parses an address header leniently: first as RFC 5322,
// then by picking out anything that looks like an address. ok is false when
// the strict parser failed.
func parseAddressList(v string) ([]Address, bool) {
	if !utf8.ValidString(v) {
		v, _ = decodeText([]byte(v), "")
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	p := netmail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: wordCharsetReader}}
	if list, err := p.ParseList(v); err == nil && len(list) > 0 {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			if a == nil || len(out) >= maxAddresses {
				continue
			}
			out = append(out, Address{Name: cleanName(a.Name), Addr: cleanAddr(a.Address)})
		}
		return out, true
	}
	return lenientAddresses(v), false
}

// cleanName decodes leftovers (encoded words inside quotes, raw bytes) and
// folds whitespace.
func cleanName(n string) string {
	if strings.Contains(n, "=?") || !utf8.ValidString(n) {
		n = DecodeHeader(n)
	}
	n = foldSpace(n)
	n = strings.Trim(n, `"' `)
	return n
}

// cleanAddr lower-cases an address and strips brackets and mailto:.
func cleanAddr(a string) string {
	a = strings.TrimSpace(a)
	a = strings.Trim(a, "<>\"' ")
	if len(a) > 7 && strings.EqualFold(a[:7], "mailto:") {
		a = a[7:]
	}
	a = strings.ToValidUTF8(a, "")
	return strings.ToLower(a)
}

// lenientAddresses finds every "x@y" token in v; the text between the
// previous address and the token is its display name.
func lenientAddresses(v string) []Address {
	var out []Address
	prevEnd := 0
	for i := 0; i < len(v) && len(out) < maxAddresses; {
		if isAddrStop(v[i]) {
			i++
			continue
		}
		start := i
		for i < len(v) && !isAddrStop(v[i]) {
			i++
		}
		tok := v[start:i]
		at := strings.IndexByte(tok, '@')
		if at <= 0 || at == len(tok)-1 {
			continue
		}
		name := v[prevEnd:start]
		if k := strings.LastIndexAny(name, ",;"); k >= 0 && prevEnd > 0 {
			// A list separator after the previous address; "Novák, Jan
			// <jan@...>" as the first address keeps its comma.
			name = name[k+1:]
		}
		name = strings.Trim(strings.TrimSpace(name), "<>\"',;: ")
		out = append(out, Address{Name: cleanName(name), Addr: cleanAddr(tok)})
		prevEnd = i
		if prevEnd < len(v) && v[prevEnd] == '>' {
			prevEnd++
		}
	}
	return out
}

// isAddrStop reports bytes that cannot be part of an address token.
func isAddrStop(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '<', '>', ',', ';', '"', '\'', '(', ')', '[', ']', ':':
		return true
	}
	return false
}

// appendUnique adds addresses not yet in list (by Addr); seen holds the
// addresses already in list.
func appendUnique(list []Address, seen map[string]bool, add ...Address) []Address {
	for _, a := range add {
		if a.Addr == "" || seen[a.Addr] || len(list) >= maxAddresses {
			continue
		}
		seen[a.Addr] = true
		list = append(list, a)
	}
	return list
}
