package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"coordbot/i18n"
	"coordbot/store"
)

// page is what every template gets: the layout reads Lang, Title (the
// one h1), Member, Notice and Error; the page's own part reads Data.
type page struct {
	Lang  i18n.Lang
	Title string
	// Member is who is signed in, nil on the pages for everyone.
	Member *store.Member
	// Notice confirms what a form did; Error says why it was refused.
	Notice, Error string
	Data          any
}

// funcs are the templates' helpers. t looks a label up in a language;
// tf formats one with arguments.
var funcs = template.FuncMap{
	"t":  func(lang i18n.Lang, key string) string { return tr(lang, key) },
	"tf": func(lang i18n.Lang, key string, args ...any) string { return tr(lang, key, args...) },
	"size": func(n int64) string {
		switch {
		case n < 1024:
			return strconv.FormatInt(n, 10) + " B"
		case n < 1024*1024:
			return strconv.FormatInt((n+512)/1024, 10) + " kB"
		}
		return strings.Replace(strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64), ".", ",", 1) + " MB"
	},
}

// parsePages parses the layout with each page once: a page is the layout
// plus its file, which defines "content".
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		short := strings.TrimSuffix(path.Base(name), ".html")
		if short == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(files, name)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		pages[short] = t
	}
	return pages, nil
}

// render writes a page with status. It renders into a buffer first, so
// that a template error becomes a 500 page rather than half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t := s.pages[name]
	if t == nil {
		panic("web: no template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("web: render", "page", name, "err", err)
		if name != "error" {
			s.errorPage(w, r, http.StatusInternalServerError, "")
		} else {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage answers with status and a page saying what went wrong: detail
// when given, else the status's own sentence.
func (s *server) errorPage(w http.ResponseWriter, r *http.Request, status int, detail string) {
	lang := langOf(r)
	title := tr(lang, "err"+strconv.Itoa(status))
	if strings.HasPrefix(title, "[") {
		title = http.StatusText(status)
	}
	s.render(w, r, status, "error", &page{Lang: lang, Title: title, Error: detail, Member: memberOf(r),
		Data: struct{ Status int }{status}})
}

// langOf is the language of pages outside a group: Czech, unless the
// browser's Accept-Language prefers English to Czech.
func langOf(r *http.Request) i18n.Lang {
	best, bestQ := i18n.Czech, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		var l i18n.Lang
		switch primary {
		case "cs", "sk":
			l = i18n.Czech
		case "en":
			l = i18n.English
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// groupLang is the language of a group's pages.
func groupLang(g *store.Group) i18n.Lang {
	if g.Locale == i18n.English {
		return i18n.English
	}
	return i18n.Czech
}

// location is the zone a group's times are shown in (Europe/Prague when
// its own cannot be loaded).
func location(g *store.Group) *time.Location {
	if loc, err := g.Location(); err == nil {
		return loc
	}
	if loc, err := time.LoadLocation(i18n.DefaultTimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// pathID reads a positive numeric path value; ok is false for anything
// else.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}
