package mail

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// TNEF (winmail.dat, application/ms-tnef) is Outlook's container for rich
// messages. No maintained pure-Go TNEF module is served by the module
// proxy, so this is a small reader of the documented format ([MS-OXTNEF]):
// it takes the body text and the attached files, and ignores the rest.

// TNEF attribute ids (low word of the attribute id) and MAPI property ids.
const (
	tnefSignature = 0x223E9F78

	attBody           = 0x800C
	attAttachData     = 0x800F
	attAttachTitle    = 0x8010
	attAttachRendData = 0x9002
	attMsgProps       = 0x9003
	attAttachment     = 0x9005
	attOemCodepage    = 0x9007

	prBody              = 0x1000
	prRTFCompressed     = 0x1009
	prBodyHTML          = 0x1013
	prInternetCPID      = 0x3FDE
	prAttachDataBin     = 0x3701
	prAttachFilename    = 0x3704
	prAttachLongName    = 0x3707
	prDisplayName       = 0x3001
	maxTNEFAttachments  = 500
	maxTNEFProps        = 10000
	maxTNEFNesting      = 3
	tnefLevelAttachment = 2
)

// tnefAttachment is one file found in a TNEF stream.
type tnefAttachment struct {
	title    []byte // attAttachTitle, in the OEM code page
	data     []byte // attAttachData
	props    map[uint16]mapiValue
	hasProps bool
}

// tnefResult is what a TNEF stream yields.
type tnefResult struct {
	body     string
	html     string
	rtfOnly  bool
	files    []tnefAttachment
	codepage string
	damaged  bool
}

// mapiValue is the first value of a MAPI property.
type mapiValue struct {
	typ  uint16
	data []byte
}

// parseTNEF reads a TNEF stream. It keeps whatever it read before damage.
func parseTNEF(b []byte) (*tnefResult, error) {
	le := binary.LittleEndian
	if len(b) < 6 || le.Uint32(b) != tnefSignature {
		return nil, errors.New("mail: not a TNEF stream")
	}
	res := &tnefResult{codepage: "windows-1252"}
	var body []byte
	var msgProps map[uint16]mapiValue
	cur := -1
	pos := 6
	for pos+9 <= len(b) {
		level := b[pos]
		id := le.Uint32(b[pos+1:]) & 0xFFFF
		n := le.Uint32(b[pos+5:])
		pos += 9
		if uint64(n) > uint64(len(b)-pos) {
			res.damaged = true
			break
		}
		data := b[pos : pos+int(n)]
		pos += int(n) + 2 // data and checksum
		if level == tnefLevelAttachment {
			if id == attAttachRendData || cur < 0 {
				if len(res.files) >= maxTNEFAttachments {
					break
				}
				res.files = append(res.files, tnefAttachment{})
				cur = len(res.files) - 1
			}
			f := &res.files[cur]
			switch id {
			case attAttachTitle:
				f.title = data
			case attAttachData:
				f.data = data
			case attAttachment:
				f.props, f.hasProps = parseMAPIProps(data), true
			}
			continue
		}
		switch id {
		case attOemCodepage:
			if len(data) >= 4 {
				res.codepage = codepageLabel(le.Uint32(data))
			}
		case attBody:
			body = data
		case attMsgProps:
			msgProps = parseMAPIProps(data)
		}
	}
	if body != nil {
		res.body, _ = decodeText(trimNUL(body), res.codepage)
	}
	if msgProps != nil {
		if res.body == "" {
			if v, ok := msgProps[prBody]; ok {
				res.body = mapiString(v, res.codepage)
			}
		}
		if v, ok := msgProps[prBodyHTML]; ok {
			cp := res.codepage
			if c, ok := msgProps[prInternetCPID]; ok && len(c.data) >= 4 {
				cp = codepageLabel(le.Uint32(c.data))
			}
			res.html = mapiString(v, cp)
		}
		if _, ok := msgProps[prRTFCompressed]; ok && res.body == "" && res.html == "" {
			res.rtfOnly = true
		}
	}
	return res, nil
}

// name returns the best file name of a TNEF attachment.
func (a *tnefAttachment) name(codepage string) string {
	for _, id := range []uint16{prAttachLongName, prAttachFilename} {
		if v, ok := a.props[id]; ok {
			if s := mapiString(v, codepage); strings.TrimSpace(s) != "" {
				return s
			}
		}
	}
	if t := trimNUL(a.title); len(t) > 0 {
		s, _ := decodeText(t, codepage)
		return s
	}
	if v, ok := a.props[prDisplayName]; ok {
		return mapiString(v, codepage)
	}
	return ""
}

// fileData returns the file bytes: attAttachData, else PR_ATTACH_DATA_BIN.
func (a *tnefAttachment) fileData() []byte {
	if len(a.data) > 0 {
		return a.data
	}
	if v, ok := a.props[prAttachDataBin]; ok && v.typ == 0x0102 {
		return v.data
	}
	return a.data
}

// codepageLabel maps a Windows code page number to a charset label.
func codepageLabel(cp uint32) string {
	switch cp {
	case 65001:
		return "utf-8"
	case 20127:
		return "us-ascii"
	case 28592:
		return "iso-8859-2"
	case 28591:
		return "iso-8859-1"
	case 852:
		return "ibm852"
	case 0:
		return "windows-1252"
	}
	return "windows-" + strconv.FormatUint(uint64(cp), 10)
}

// trimNUL drops trailing NUL bytes.
func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// mapiString decodes a string property (PT_UNICODE, PT_STRING8 or binary).
func mapiString(v mapiValue, codepage string) string {
	if v.typ == 0x001F {
		u := make([]uint16, 0, len(v.data)/2)
		for i := 0; i+1 < len(v.data); i += 2 {
			u = append(u, binary.LittleEndian.Uint16(v.data[i:]))
		}
		for len(u) > 0 && u[len(u)-1] == 0 {
			u = u[:len(u)-1]
		}
		return strings.ToValidUTF8(string(utf16.Decode(u)), "\uFFFD")
	}
	s, _ := decodeText(trimNUL(v.data), codepage)
	return s
}

// parseMAPIProps reads a MAPI property list and keeps the first value of
// each property. It stops quietly at damage.
func parseMAPIProps(b []byte) map[uint16]mapiValue {
	props := map[uint16]mapiValue{}
	r := tnefReader{b: b}
	count, ok := r.u32()
	if !ok {
		return props
	}
	for i := uint32(0); i < count && i < maxTNEFProps; i++ {
		typ, ok1 := r.u16()
		id, ok2 := r.u16()
		if !ok1 || !ok2 {
			return props
		}
		if id >= 0x8000 { // named property: GUID, kind, id or name
			if !r.skip(16) {
				return props
			}
			kind, ok := r.u32()
			if !ok {
				return props
			}
			if kind == 0 {
				if !r.skip(4) {
					return props
				}
			} else {
				n, ok := r.u32()
				if !ok || !r.skip(pad4(n)) {
					return props
				}
			}
		}
		base := typ &^ 0x3000
		multi := typ&0x1000 != 0
		variable := base == 0x001E || base == 0x001F || base == 0x0102 || base == 0x000D
		values := uint32(1)
		if multi || variable {
			v, ok := r.u32()
			if !ok || v > 1<<16 {
				return props
			}
			values = v
		}
		for j := uint32(0); j < values; j++ {
			var data []byte
			switch base {
			case 0x0001, 0x0002, 0x0003, 0x0004, 0x000A, 0x000B:
				data, ok = r.bytes(4)
			case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040:
				data, ok = r.bytes(8)
			case 0x0048:
				data, ok = r.bytes(16)
			case 0x001E, 0x001F, 0x0102, 0x000D:
				var n uint32
				n, ok = r.u32()
				if ok {
					data, ok = r.bytes(n)
					ok = ok && r.skip(pad4(n)-n)
				}
			default:
				return props // unknown type: the rest cannot be located
			}
			if !ok {
				return props
			}
			if _, dup := props[id]; !dup && j == 0 {
				props[id] = mapiValue{typ: base, data: data}
			}
		}
	}
	return props
}

// pad4 rounds n up to a multiple of 4.
func pad4(n uint32) uint32 {
	if n > 1<<31 {
		return n
	}
	return (n + 3) &^ 3
}

// tnefReader reads little-endian values with bounds checks.
type tnefReader struct {
	b   []byte
	pos int
}

func (r *tnefReader) bytes(n uint32) ([]byte, bool) {
	if uint64(n) > uint64(len(r.b)-r.pos) {
		return nil, false
	}
	d := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return d, true
}

func (r *tnefReader) skip(n uint32) bool {
	_, ok := r.bytes(n)
	return ok
}

func (r *tnefReader) u16() (uint16, bool) {
	d, ok := r.bytes(2)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint16(d), true
}

func (r *tnefReader) u32() (uint32, bool) {
	d, ok := r.bytes(4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(d), true
}

// tnef unpacks a winmail.dat attachment: its files become attachments and
// its body text is added to the message body. It reports whether it did;
// if not, the caller keeps winmail.dat as an ordinary attachment.
func (p *msgParser) tnef(st *msgState, a Attachment) bool {
	if p.tnefDepth >= maxTNEFNesting {
		return false
	}
	res, err := parseTNEF(a.Content)
	if err != nil {
		st.note(ProblemAttachment, fmt.Sprintf("winmail.dat could not be unpacked: %v", err))
		return false
	}
	if len(res.files) == 0 && res.body == "" && res.html == "" {
		if res.rtfOnly {
			st.note(ProblemAttachment, "winmail.dat body is compressed RTF only, kept undecoded")
		} else {
			st.note(ProblemAttachment, "winmail.dat holds neither text nor files")
		}
		return false
	}
	if res.damaged {
		st.note(ProblemAttachment, "winmail.dat is damaged, kept what was readable")
	}
	if res.rtfOnly {
		st.note(ProblemAttachment, "winmail.dat body is compressed RTF only, not extracted")
	}
	switch {
	case strings.TrimSpace(res.body) != "":
		st.extra = append(st.extra, res.body)
	case strings.TrimSpace(res.html) != "":
		st.extra = append(st.extra, htmlToText(res.html))
	}
	p.tnefDepth++
	defer func() { p.tnefDepth-- }()
	for i := range res.files {
		f := &res.files[i]
		data := f.fileData()
		if len(data) == 0 && len(f.title) == 0 && !f.hasProps {
			continue
		}
		name := sanitizeFilename(f.name(res.codepage))
		p.attachment(st, name, "application/octet-stream", "", data)
	}
	return true
}
