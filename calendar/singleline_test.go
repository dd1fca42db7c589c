package calendar

import (
	"bytes"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"coordbot/i18n"
	"coordbot/store"
)

// TestWriteKeepsSingleLineFieldsOnOneLine: rows written before the core
// stripped control characters may still hold line breaks, tabs or escape
// sequences; SUMMARY, LOCATION and the calendar name stay one line without
// them, and an agenda title stays one line of the description.
func TestWriteKeepsSingleLineFieldsOnOneLine(t *testing.T) {
	g := &store.Group{Slug: "kraj", Name: "Kraj\r\nX-INJECTED:1", TimeZone: "Europe/Prague", Locale: i18n.Czech}
	ms := []*store.Meeting{{ID: 1, Title: "Porada\x1b[2J\r\nDTSTART:19700101T000000Z\tB", Place: "Sál\n2\x07",
		Start: time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC), TimeZone: "Europe/Prague", Duration: time.Hour}}
	agendas := map[int64][]*store.AgendaItem{1: {{Title: "Bod\r\njedna", Status: store.AgendaAccepted}}}
	var buf bytes.Buffer
	if err := Write(&buf, g, ms, agendas); err != nil {
		t.Fatal(err)
	}
	cal := decode(t, buf.Bytes())
	ev := eventsByUID(t, cal)[UID(1)]
	for prop, want := range map[string]string{
		ical.PropSummary:  "Porada[2J DTSTART:19700101T000000Z B",
		ical.PropLocation: "Sál 2",
	} {
		if got, err := ev.Props.Text(prop); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", prop, got, err, want)
		}
	}
	if got, _ := cal.Props.Text(ical.PropName); got != "Kraj X-INJECTED:1" {
		t.Errorf("NAME = %q", got)
	}
	if got, _ := ev.Props.Text(ical.PropDescription); got != "Program:\n1. Bod jedna" {
		t.Errorf("DESCRIPTION = %q", got)
	}
	if bytes.ContainsAny(buf.Bytes(), "\x1b\x07\t") {
		t.Errorf("control characters in the calendar:\n%q", buf.Bytes())
	}
}
