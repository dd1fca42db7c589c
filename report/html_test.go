package report_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"coordbot/i18n"
	"coordbot/report"
	"coordbot/store"
)

// seedReport builds the report of one of seedYear's groups for 2022 in
// lang.
func seedReport(t *testing.T, slug string, lang i18n.Lang) *report.Report {
	t.Helper()
	s, at := seedYear(t)
	r, err := report.BuildAt(context.Background(), s, slug, 2022, at)
	if err != nil {
		t.Fatal(err)
	}
	r.Lang = lang
	return r
}

func renderHTML(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestHTMLReport(t *testing.T) {
	for _, tc := range []struct {
		slug string
		lang i18n.Lang
		want []string
	}{
		{seedWorkingGroup, i18n.Czech, []string{
			`<html lang="cs">`, "<th>Datum</th>", `<td class="d">23. 6. 2022</td>`, "Účast podle organizací",
			">Krajský úřad Ústeckého kraje</text>", "Tomáš Veselý (zástup: Pavel Král)",
			"Hosté (2)", "Program (ze zápisu)", "<li>Financování služeb v roce 2023</li>",
			"<td>Zápis z jednání 23. 3. 2022</td>", "Další korespondence k setkání: 1",
			"Přislíbili, nezaznamenáno (4)", "<tr><td>Světlo Kadaň, z. s.</td>",
		}},
		{seedWorkingGroup, i18n.English, []string{
			`<html lang="en">`, "<th>Date</th>", `<td class="d">23 Jun 2022</td>`, "Attendance by organisation",
			"Said yes, not recorded (4)", "Programme (from the minutes)",
		}},
		{seedLocal, i18n.Czech, []string{`<tr><td>Město Šluknov</td><td class="c"></td><td class="c"></td><td class="n">0</td></tr>`}},
		{seedRoundTable, i18n.Czech, []string{"Hosté (4)", "bez uvedené organizace: Petra Nová", `<th class="n">Hosté</th>`}},
	} {
		name := tc.slug + "_" + string(tc.lang)
		t.Run(name, func(t *testing.T) {
			got := renderHTML(t, seedReport(t, tc.slug, tc.lang))
			golden(t, name+".html.golden", got)
			for _, w := range tc.want {
				if !bytes.Contains(got, []byte(w)) {
					t.Errorf("page lacks %q", w)
				}
			}
			if bytes.Contains(got, []byte("[pracovni-skupina]")) || bytes.Contains(got, []byte("RE: ")) || bytes.Contains(got, []byte("Fwd: ")) {
				t.Error("a routing tag or a reply is listed as minutes")
			}
		})
	}
}

// TestHTMLIsSelfContained checks what makes the page safe to open, paste
// and print anywhere: no scripts, nothing loaded from elsewhere, A4 pages,
// and text typed by people escaped, in the chart too.
func TestHTMLIsSelfContained(t *testing.T) {
	s, at := seedYear(t)
	ctx := context.Background()
	g, err := s.GroupBySlug(ctx, seedWorkingGroup)
	if err != nil {
		t.Fatal(err)
	}
	evil := `<script>alert(1)</script> & "Spolek" <b>`
	m := &store.Member{DisplayName: "Eva <i>Hacker</i>", Organisation: evil}
	if err := s.CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMembership(ctx, g.ID, m.ID, store.RoleMember); err != nil {
		t.Fatal(err)
	}
	mt := &store.Meeting{GroupID: g.ID, Title: `Setkání </title><img src=x onerror=alert(1)>`, TimeZone: "Europe/Prague",
		Start: time.Date(2022, time.October, 5, 10, 0, 0, 0, time.UTC), Duration: time.Hour, Status: store.MeetingHeld}
	if err := s.CreateMeeting(ctx, mt); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAttendance(ctx, &store.Attendance{MeetingID: mt.ID, MemberID: m.ID, Attended: true}); err != nil {
		t.Fatal(err)
	}
	r, err := report.BuildAt(ctx, s, seedWorkingGroup, 2022, at)
	if err != nil {
		t.Fatal(err)
	}
	page := string(renderHTML(t, r))
	for _, bad := range []string{"<script", "<img", "<i>", "<b>", "href=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if !strings.Contains(page, "<td>Setkání &lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;</td>") {
		t.Error("the meeting title is not escaped text")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Spolek&#34; &lt;b&gt;</text>") {
		t.Error("the chart label is not escaped text")
	}
	if !regexp.MustCompile(`@page \{ size: A4; margin: [^}]+\}`).MatchString(page) {
		t.Error("no A4 page rule")
	}
	// The only URL is the SVG namespace, which nothing fetches.
	if n := strings.Count(page, "http"); n != 1 || !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("page names %d URLs, want only the SVG namespace", n)
	}
}

// TestHTMLOfAnEmptyYear is a page with the paragraph and no tables.
func TestHTMLOfAnEmptyYear(t *testing.T) {
	s, at := seedYear(t)
	r, err := report.BuildAt(context.Background(), s, seedWorkingGroup, 2021, at)
	if err != nil {
		t.Fatal(err)
	}
	page := string(renderHTML(t, r))
	if !strings.Contains(page, "<p>V roce 2021 se skupina nesešla.</p>") || strings.Contains(page, "<table") || strings.Contains(page, "<svg") {
		t.Errorf("empty year:\n%s", page)
	}
}
