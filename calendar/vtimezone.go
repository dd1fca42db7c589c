package calendar

import (
	"fmt"
	"time"

	"github.com/emersion/go-ical"
)

// maxTransitions bounds the observances of one VTIMEZONE: a zone changes
// offset at most a few times a year, so this only stops a runaway loop.
const maxTransitions = 1000

// zoneSet collects the zones a calendar uses and the span of instants each
// must describe.
type zoneSet struct {
	names []string // in order of first use
	locs  map[string]*time.Location
	spans map[string][2]time.Time // earliest and latest instant
}

func newZoneSet() *zoneSet {
	return &zoneSet{locs: map[string]*time.Location{}, spans: map[string][2]time.Time{}}
}

// load returns the zone, loading it once.
func (zs *zoneSet) load(name string) (*time.Location, error) {
	if loc, ok := zs.locs[name]; ok {
		return loc, nil
	}
	if name == "" {
		return nil, fmt.Errorf("no time zone")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zs.locs[name] = loc
	zs.names = append(zs.names, name)
	return loc, nil
}

// cover records that the zone (already loaded) must describe from and to.
func (zs *zoneSet) cover(name string, from, to time.Time) {
	sp, ok := zs.spans[name]
	if !ok {
		zs.spans[name] = [2]time.Time{from, to}
		return
	}
	if from.Before(sp[0]) {
		sp[0] = from
	}
	if to.After(sp[1]) {
		sp[1] = to
	}
	zs.spans[name] = sp
}

// vtimezone returns the VTIMEZONE of a zone, or nil when nothing in the
// calendar uses it.
func (zs *zoneSet) vtimezone(name string) *ical.Component {
	sp, ok := zs.spans[name]
	if !ok {
		return nil
	}
	return vtimezone(name, zs.locs[name], sp[0], sp[1])
}

// vtimezone describes loc under the TZID tzid for every instant of the
// calendar years (in loc) that from and to fall in.
//
// It lists the zone's actual history instead of guessing a recurrence rule:
// one STANDARD or DAYLIGHT observance for the period in effect on 1 January
// of the first year (with its real onset, e.g. the last October change),
// then one for every transition Go's time package knows up to the end of the
// last year, each with DTSTART at the transition's local time on the old
// offset, TZOFFSETFROM, TZOFFSETTO and TZNAME. That is exact for any IANA
// zone, including past rule changes and zones without daylight saving, and
// a calendar spanning a few years needs only a few observances.
func vtimezone(tzid string, loc *time.Location, from, to time.Time) *ical.Component {
	first := time.Date(from.In(loc).Year(), time.January, 1, 0, 0, 0, 0, loc)
	end := time.Date(to.In(loc).Year()+1, time.January, 1, 0, 0, 0, 0, loc)

	vtz := ical.NewComponent(ical.CompTimezone)
	vtz.Props.SetText(ical.PropTimezoneID, tzid)

	onset, next := first.ZoneBounds()
	initial := onset.IsZero()
	if initial {
		// The period reaches back to the zone's first record; an onset
		// at the start of the span covers everything the calendar needs.
		onset = first
	}
	vtz.Children = append(vtz.Children, observance(onset, loc, initial))
	for range maxTransitions {
		if next.IsZero() || !next.Before(end) {
			break
		}
		vtz.Children = append(vtz.Children, observance(next, loc, false))
		_, next = next.In(loc).ZoneBounds()
	}
	return vtz
}

// observance is the STANDARD or DAYLIGHT sub-component for the zone period
// of loc that begins at onset. With noPrevious the offset before the onset
// is taken to be the same (the zone's first period).
func observance(onset time.Time, loc *time.Location, noPrevious bool) *ical.Component {
	at := onset.In(loc)
	abbr, to := at.Zone()
	from := to
	if !noPrevious {
		_, from = onset.Add(-time.Second).In(loc).Zone()
	}
	kind := ical.CompTimezoneStandard
	if at.IsDST() {
		kind = ical.CompTimezoneDaylight
	}
	c := ical.NewComponent(kind)
	// DTSTART of an observance is the local time of the change as read on
	// the clock before it (RFC 5545 3.6.5): 02:00 for the spring change to
	// CEST, 03:00 for the autumn change back, both 01:00 UTC.
	start := ical.NewProp(ical.PropDateTimeStart)
	start.Value = onset.In(time.FixedZone("", from)).Format("20060102T150405")
	c.Props.Set(start)
	c.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetFrom, Params: ical.Params{}, Value: utcOffset(from)})
	c.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetTo, Params: ical.Params{}, Value: utcOffset(to)})
	if abbr != "" {
		c.Props.SetText(ical.PropTimezoneName, abbr)
	}
	return c
}

// utcOffset formats seconds east of UTC as a UTC-OFFSET value: +0100,
// -0500, or +013016 for the odd historical offset with seconds.
func utcOffset(secs int) string {
	sign := '+'
	if secs < 0 {
		sign, secs = '-', -secs
	}
	h, m, s := secs/3600, secs/60%60, secs%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}
