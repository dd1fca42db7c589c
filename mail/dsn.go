package mail

import (
	"bytes"
	"strings"
)

// deliveryReport is what a delivery status notification (RFC 3464) says
// about one recipient, with the Message-ID of the mail it reports on.
type deliveryReport struct {
	// Address is the recipient as the sender wrote it (Original-Recipient)
	// else as the reporting server saw it (Final-Recipient), lower-case.
	Address string
	// Action is failed, delayed, delivered, relayed or expanded.
	Action string
	// Status is the RFC 3463 code, "5.1.1".
	Status     string
	Diagnostic string
	// OriginalID is the Message-ID of the returned mail, without brackets;
	// "" when the report returned no headers.
	OriginalID string
}

// Failed reports a permanent failure: no more mail should go there.
func (r *deliveryReport) Failed() bool {
	return r.Action == "failed" || strings.HasPrefix(r.Status, "5")
}

// parseDeliveryStatus reads the body of a message/delivery-status part:
// a per-message field block, then one block per recipient, separated by
// blank lines. It returns the recipients' reports, failures first: the
// pipeline acts on the first one.
func parseDeliveryStatus(data []byte) []deliveryReport {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	var failed, other []deliveryReport
	for i, block := range bytes.Split(data, []byte("\n\n")) {
		f := dsnFields(block)
		if i == 0 && f["final-recipient"] == "" && f["original-recipient"] == "" {
			continue // the per-message block
		}
		r := deliveryReport{
			Address:    dsnAddress(f["original-recipient"]),
			Action:     strings.ToLower(firstWord(f["action"])),
			Status:     firstWord(f["status"]),
			Diagnostic: diagnosticText(f["diagnostic-code"]),
		}
		if r.Address == "" {
			r.Address = dsnAddress(f["final-recipient"])
		}
		if r.Address == "" {
			continue
		}
		if r.Failed() {
			failed = append(failed, r)
		} else {
			other = append(other, r)
		}
	}
	return append(failed, other...)
}

// dsnFields reads one block of "Name: value" fields, with folded
// continuation lines, into lower-case names; the first of a repeated name
// wins.
func dsnFields(block []byte) map[string]string {
	f := map[string]string{}
	last := ""
	for _, line := range strings.Split(string(block), "\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			f[last] += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			last = ""
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if _, seen := f[name]; seen {
			last = ""
			continue
		}
		f[name], last = strings.TrimSpace(value), name
	}
	return f
}

// dsnAddress reads "rfc822; jana@example.org" (the address type, then the
// address) into a lower-case address; an address of another type is "".
func dsnAddress(v string) string {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok {
		return ""
	}
	if t := strings.ToLower(strings.TrimSpace(typ)); t != "rfc822" && t != "utf-8" {
		return ""
	}
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	if !strings.Contains(addr, "@") {
		return ""
	}
	return strings.ToLower(addr)
}

// diagnosticText drops the type of a Diagnostic-Code ("smtp; 550 5.1.1
// user unknown"): the server's words are what the coordinator reads.
func diagnosticText(v string) string {
	v = strings.TrimSpace(v)
	if typ, text, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(strings.TrimSpace(typ), " \t") {
		return strings.TrimSpace(text)
	}
	return v
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
