package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/report"
	"coordbot/store"
)

// reportData is what the report page shows: the same content as
// coordbot report (the paragraph, the meetings, attendance by
// organisation, who came to each).
type reportData struct {
	Summary       string
	MarkdownURL   string
	CSVURL        string
	Meetings      []reportMeeting
	Cancelled     []string
	Organisations []report.OrgCount
	Coverage      report.Coverage
	Topics        []string
	Guests        []string
	Year          int
	PrevURL       string
	NextURL       string
}

// reportMeeting is one meeting of the report.
type reportMeeting struct {
	URL, Title, When                                       string
	Recorded                                               bool
	Came, Excused, YesNotRecorded, Maybe, NeverAnswered    []string
	Guests, Topics                                         []string
	Minutes                                                []string
	CameN, ExcusedN, YesNotRecordedN, NeverAnsweredN, Corr int
}

// report serves a group's year-end report as a page (2027), Markdown
// (2027.md) or CSV (2027.csv), to the group's coordinators, as the bot
// does.
func (s *server) report(w http.ResponseWriter, r *http.Request) {
	ctx, v := r.Context(), visitorOf(r)
	file := r.PathValue("file")
	yearText, format, _ := strings.Cut(file, ".")
	year, err := strconv.Atoi(yearText)
	if err != nil || !i18n.ValidYear(year) || (format != "" && format != "md" && format != "csv") {
		s.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	g, err := s.store.GroupBySlug(ctx, r.PathValue("slug"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !v.in(g.ID)) {
		s.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := groupLang(g)
	if err := s.core.Can(ctx, v.actor(), g.ID, store.RoleCoordinator); err != nil {
		if ref, ok := meeting.IsRefusal(err); ok {
			s.errorPage(w, r, http.StatusForbidden, ref.Message(lang))
			return
		}
		s.fail(w, r, err)
		return
	}
	rep, err := report.BuildAt(ctx, s.store, g.Slug, year, s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := "report-" + g.Slug + "-" + yearText
	switch format {
	case "md":
		var b bytes.Buffer
		if err := rep.Markdown(&b); err != nil {
			s.fail(w, r, err)
			return
		}
		download(w, "text/markdown; charset=utf-8", name+".md", b.Bytes())
		return
	case "csv":
		var b bytes.Buffer
		if err := rep.CSV(&b); err != nil {
			s.fail(w, r, err)
			return
		}
		download(w, "text/csv; charset=utf-8", name+".csv", b.Bytes())
		return
	}
	base := "/groups/" + g.Slug + "/report/"
	d := &reportData{Summary: rep.Summary(), MarkdownURL: base + yearText + ".md", CSVURL: base + yearText + ".csv",
		Organisations: rep.Organisations, Coverage: rep.Coverage, Topics: rep.Topics, Year: year}
	if i18n.ValidYear(year - 1) {
		d.PrevURL = base + strconv.Itoa(year-1)
	}
	if i18n.ValidYear(year + 1) {
		d.NextURL = base + strconv.Itoa(year+1)
	}
	loc := location(g)
	for _, gp := range rep.Guests {
		d.Guests = append(d.Guests, personName(gp.Name, gp.Organisation))
	}
	for _, m := range rep.Cancelled {
		d.Cancelled = append(d.Cancelled, m.Title+", "+i18n.FormatDateTime(m.Start, loc, lang))
	}
	for _, mr := range rep.Meetings {
		rm := reportMeeting{URL: "/meetings/" + strconv.FormatInt(mr.Meeting.ID, 10), Title: mr.Meeting.Title,
			When: i18n.FormatDateTime(mr.Meeting.Start, loc, lang), Recorded: mr.Recorded,
			Came: people(lang, mr.Came), Excused: people(lang, mr.Excused), YesNotRecorded: people(lang, mr.YesNotRecorded),
			Maybe: people(lang, mr.Maybe), NeverAnswered: people(lang, mr.NeverAnswered), Guests: people(lang, mr.Guests),
			Topics: mr.Topics, Corr: mr.Correspondence,
			CameN: len(mr.Came), ExcusedN: len(mr.Excused), YesNotRecordedN: len(mr.YesNotRecorded), NeverAnsweredN: len(mr.NeverAnswered)}
		for _, mn := range mr.Minutes {
			line := subjectOr(lang, mn.Subject)
			if len(mn.Attachments) > 0 {
				line += " (" + strings.Join(mn.Attachments, ", ") + ")"
			}
			rm.Minutes = append(rm.Minutes, line)
		}
		d.Meetings = append(d.Meetings, rm)
	}
	s.render(w, r, http.StatusOK, "report", &page{Lang: lang, Title: tr(lang, "reportTitle", g.Name, year),
		Member: v.member, Data: d})
}

// people names the people of a report list: "Name (Organisation), deputy
// X".
func people(lang i18n.Lang, ps []report.Person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = personName(p.Name, p.Organisation)
		if p.Substitute != "" {
			out[i] += " – " + tr(lang, "deputy", p.Substitute)
		}
	}
	return out
}

// download sends a file to save, not to show.
func download(w http.ResponseWriter, mediaType, name string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "private, no-store")
	w.Write(body)
}
