package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coordbot/internal/testutil"
	"coordbot/search"
	"coordbot/store"
)

// Size of the search benchmark's archive: the 10,000 mails.
const (
	searchBenchMessages = 10_000
	searchBenchBatch    = 1_000
)

// searchBenchBody is the text of minutes number n: 2–6 KB of the
// vocabulary, and in every hundredth a sentence on "kanabidiolu" (100
// hits in 10,000).
func searchBenchBody(rng *rand.Rand, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Zápis č. %d\n\nPřítomni: viz prezenční listina.\n\n", n)
	for range 4 + rng.IntN(8) {
		for i := range 40 + rng.IntN(60) {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(testutil.CorpusWords[rng.IntN(len(testutil.CorpusWords))])
		}
		b.WriteString(".\n\n")
	}
	if n%100 == 0 {
		b.WriteString("Host představil studii o kanabidiolu.\n")
	}
	return b.String()
}

// searchBenchRaw is a mail as fetch-mail stores it: a header and the body
// in base64, about 1.4 times the text (8–10 KB), so that, as in a real
// archive, each row's raw bytes spill into overflow pages.
func searchBenchRaw(n int, subject, body string, sent time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <jana.novakova@obec.cz>\r\nReceived: from mail.obec.cz by mx.kraj.cz; %s\r\n",
		sent.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: =?utf-8?q?Jana_Nov=C3=A1kov=C3=A1?= <jana.novakova@obec.cz>\r\nTo: archiv@kraj.cz\r\n")
	fmt.Fprintf(&b, "Subject: =?utf-8?b?%s?=\r\nDate: %s\r\nMessage-ID: <bench-%d@obec.cz>\r\n",
		base64.StdEncoding.EncodeToString([]byte(subject)), sent.Format(time.RFC1123Z), n)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}

// searchBenchStore opens the benchmark's archive. With
// COORDBOT_SEARCH_BENCH_DB set it opens that database file instead
// (migrating it: give it a copy), e.g. the one `go run ./tools/mailbench
// -keep` leaves in its work directory. Otherwise it builds 10,000 minutes
// filed under 260 meetings of one group, every fourth with a DOCX whose
// text is indexed, and optimises the index as the nightly job does.
func searchBenchStore(b *testing.B) (s *store.Store, built bool) {
	ctx := context.Background()
	if path := os.Getenv("COORDBOT_SEARCH_BENCH_DB"); path != "" {
		s, err := store.Open(ctx, path, store.Options{MustExist: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s, false
	}
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	start := time.Now()
	g := mustGroup(b, s, "pracovni-skupina")
	const meetings = 260
	first := t0.Add(-meetings * 14 * 24 * time.Hour)
	var ms []*store.Meeting
	for i := range meetings {
		ms = append(ms, mustMeeting(b, s, g, first.Add(time.Duration(i)*14*24*time.Hour)))
	}
	rng := rand.New(rand.NewPCG(14, 2027))
	for from := 0; from < searchBenchMessages; from += searchBenchBatch {
		batch := make([]*store.ArchiveMessage, 0, searchBenchBatch)
		for n := from; n < from+searchBenchBatch; n++ {
			mt := ms[n%meetings]
			sent := mt.Start.Add(time.Duration(24+n%48) * time.Hour)
			subject := fmt.Sprintf("Zápis z jednání %d", n+1)
			body := searchBenchBody(rng, n)
			raw := searchBenchRaw(n, subject, body, sent)
			sum := sha256.Sum256(raw)
			m := &store.ArchiveMessage{MessageID: fmt.Sprintf("bench-%d@obec.cz", n), ContentHash: hex.EncodeToString(sum[:]),
				FromAddr: "jana.novakova@obec.cz", FromName: "Jana Nováková", Subject: subject, Sent: sent, Received: sent,
				BodyText: body, Raw: raw, MeetingID: mt.ID, GroupID: g.ID, Source: "imap:INBOX"}
			if n%4 == 0 {
				text := searchBenchBody(rng, n+1)
				m.Attachments = []*store.Attachment{{Filename: fmt.Sprintf("zápis-%d.docx", n+1),
					MediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
					Content:   []byte(text), Text: text}}
			}
			batch = append(batch, m)
		}
		if _, err := s.AddArchiveMessages(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("archive of %d messages built in %s", searchBenchMessages, time.Since(start).Round(time.Millisecond))
	return s, true
}

// BenchmarkSearchArchive times what `coordbot search` does after start-up
// (search.Parse, then Store.SearchArchive) on an archive of 10,000
// minutes: the first page of a word in nearly every message ("first-page",
// -limit 20), every hit of it ("all", what `search -json -limit <all>`
// prints), a word in 100 messages ("rare") and a word in none ("none").
// Each reports the median and 99th percentile of its runs in milliseconds
// and the number of hits (on another database the words may be rarer).
//
//	go test -run '^$' -bench BenchmarkSearchArchive -benchtime 50x ./store/
//
// COORDBOT_SEARCH_BENCH_DB=/path/to/copy.db runs it on another database
// (see searchBenchStore).
func BenchmarkSearchArchive(b *testing.B) {
	s, built := searchBenchStore(b)
	loc, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct {
		name, text string
		limit      int
		minHits    int
		maxHits    int
	}{
		{"first-page", "financování", 20, 20, 20},
		{"all", "financování", 1 << 30, 1000, 1 << 30},
		{"rare", "kanabidiolu", 20, 1, 20},
		{"none", "nenalezitelné", 20, 0, 0},
	} {
		b.Run(tt.name, func(b *testing.B) {
			var took []time.Duration
			hits := 0
			for b.Loop() {
				start := time.Now()
				q, err := search.Parse(tt.text, loc)
				if err != nil {
					b.Fatal(err)
				}
				q.Limit = tt.limit
				found, err := s.SearchArchive(b.Context(), q)
				if err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
				hits = len(found)
				if built && hits < tt.minHits || hits > tt.maxHits {
					b.Fatalf("%d hits for %q, want %d–%d", hits, tt.text, tt.minHits, tt.maxHits)
				}
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(testutil.Percentile(took, 50), "p50-ms")
			b.ReportMetric(testutil.Percentile(took, 99), "p99-ms")
			b.ReportMetric(float64(hits), "hits")
		})
	}
}
