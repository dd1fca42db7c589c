package mail

import (
	"os"
	"path/filepath"
	"testing"
	"time"
	"sort"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func pct(ds []time.Duration) string {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	var sum time.Duration
	for _, d := range ds { sum += d }
	return "sum=" + sum.String() + " p50=" + ds[len(ds)/2].String() + " p90=" + ds[len(ds)*9/10].String() + " max=" + ds[len(ds)-1].String()
}

func TestZZLatency(t *testing.T) {
	src := os.Getenv("ZZ_SRC")
	if src == "" { t.Skip() }
	files, _ := filepath.Glob(filepath.Join(src, "*"))
	if n := os.Getenv("ZZ_N"); n == "2000" { files = files[:2000] } else { files = files[:500] }
	srv := startDovecot(t)
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		srv.Deliver("INBOX", raw)
	}
	c, err := imapclient.DialInsecure(srv.Addr, nil)
	if err != nil { t.Fatal(err) }
	defer c.Close()
	c.Login(srv.User, srv.Password).Wait()
	c.Create("Archive", nil).Wait()
	s := time.Now()
	c.Select("INBOX", nil).Wait()
	t.Log("select", time.Since(s))
	var fetchD, moveD []time.Duration
	for uid := imap.UID(1); uid <= imap.UID(len(files)); uid++ {
		s := time.Now()
		sec := &imap.FetchItemBodySection{Peek: true}
		_, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
		if err != nil { t.Fatal(err) }
		fetchD = append(fetchD, time.Since(s))
		s = time.Now()
		if os.Getenv("ZZ_NOMOVE") == "" {
		if _, err := c.Move(imap.UIDSetNum(uid), "Archive").Wait(); err != nil { t.Fatal(err) }
		}
		moveD = append(moveD, time.Since(s))
	}
	t.Log("fetch", pct(fetchD))
	t.Log("move", pct(moveD))
}
