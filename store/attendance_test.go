package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"coordbot/store"
)

func TestAttendanceRoundTripAndUpsert(t *testing.T) {
	s, c := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	m := mustMeeting(t, s, g, t0.Add(-24*time.Hour))
	jana := mustMember(t, s, "1", "Jana Nováková")
	petr := mustMember(t, s, "2", "Petr Svoboda")

	if got, err := s.AttendanceOf(ctx, m.ID); err != nil || len(got) != 0 {
		t.Fatalf("nothing recorded: %+v, %v", got, err)
	}
	// Recorded in reverse member order: the list comes back by member id.
	second := &store.Attendance{MeetingID: m.ID, MemberID: petr.ID, Attended: true, Substitute: "  Eva Dvořáková "}
	if err := s.SetAttendance(ctx, second); err != nil {
		t.Fatal(err)
	}
	first := &store.Attendance{MeetingID: m.ID, MemberID: jana.ID, Attended: false}
	if err := s.SetAttendance(ctx, first); err != nil {
		t.Fatal(err)
	}
	if !second.RecordedAt.Equal(t0) || second.Substitute != "Eva Dvořáková" {
		t.Errorf("after set: %+v", second)
	}
	got, err := s.AttendanceOf(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []*store.Attendance{first, second}; !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v %+v\nwant %+v %+v", got[0], got[1], want[0], want[1])
	}

	t.Run("upsert replaces the record", func(t *testing.T) {
		c.Add(time.Hour)
		fix := &store.Attendance{MeetingID: m.ID, MemberID: jana.ID, Attended: true}
		if err := s.SetAttendance(ctx, fix); err != nil {
			t.Fatal(err)
		}
		got, err := s.AttendanceOf(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !got[0].Attended || got[0].Substitute != "" || !got[0].RecordedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("after upsert: %+v", got[0])
		}
	})

	t.Run("invalid records are refused", func(t *testing.T) {
		for name, a := range map[string]*store.Attendance{
			"substitute without attendance": {MeetingID: m.ID, MemberID: jana.ID, Substitute: "Eva"},
			"unknown meeting":               {MeetingID: 999, MemberID: jana.ID, Attended: true},
			"unknown member":                {MeetingID: m.ID, MemberID: 999, Attended: true},
		} {
			if err := s.SetAttendance(ctx, a); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
		}
		cancelled := mustMeeting(t, s, g, t0.Add(24*time.Hour))
		if _, err := s.CancelMeeting(ctx, cancelled.ID); err != nil {
			t.Fatal(err)
		}
		a := &store.Attendance{MeetingID: cancelled.ID, MemberID: jana.ID, Attended: true}
		if err := s.SetAttendance(ctx, a); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("cancelled meeting: err = %v, want ErrInvalid", err)
		}
	})
}

func TestAttendanceCascades(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	m1 := mustMeeting(t, s, g, t0.Add(-48*time.Hour))
	m2 := mustMeeting(t, s, g, t0.Add(-24*time.Hour))
	jana := mustMember(t, s, "1", "Jana Nováková")
	petr := mustMember(t, s, "2", "Petr Svoboda")
	for _, m := range []*store.Meeting{m1, m2} {
		for _, who := range []*store.Member{jana, petr} {
			if err := s.SetAttendance(ctx, &store.Attendance{MeetingID: m.ID, MemberID: who.ID, Attended: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The store has no deletion methods for these; raw SQL stands in for
	// the operator (foreign_keys is on for every connection).
	if err := s.ExecForTest(ctx, `DELETE FROM members WHERE id = ?`, petr.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AttendanceOf(ctx, m2.ID); len(got) != 1 || got[0].MemberID != jana.ID {
		t.Errorf("after deleting a member: %+v", got)
	}
	if err := s.ExecForTest(ctx, `DELETE FROM meetings WHERE id = ?`, m1.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AttendanceOf(ctx, m1.ID); err != nil || len(got) != 0 {
		t.Errorf("after deleting the meeting: %+v, %v", got, err)
	}
	if got, _ := s.AttendanceOf(ctx, m2.ID); len(got) != 1 {
		t.Errorf("another meeting's records went too: %+v", got)
	}
}

func TestMarkHeld(t *testing.T) {
	s, c := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")

	t.Run("scheduled becomes held", func(t *testing.T) {
		m := mustMeeting(t, s, g, t0.Add(-2*time.Hour))
		c.Add(time.Minute)
		if err := s.MarkHeld(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.Meeting(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.MeetingHeld || !got.UpdatedAt.After(m.UpdatedAt) {
			t.Errorf("status %q updated %v", got.Status, got.UpdatedAt)
		}
		if err := s.MarkHeld(ctx, m.ID); err != nil {
			t.Errorf("held again: %v, want no-op", err)
		}
		if _, err := s.CancelMeeting(ctx, m.ID); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("cancel after held: %v, want ErrInvalid", err)
		}
	})
	t.Run("cancelled is refused", func(t *testing.T) {
		m := mustMeeting(t, s, g, t0.Add(-time.Hour))
		if _, err := s.CancelMeeting(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkHeld(ctx, m.ID); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
		if got, _ := s.Meeting(ctx, m.ID); got.Status != store.MeetingCancelled {
			t.Errorf("status = %q, want cancelled", got.Status)
		}
	})
	t.Run("unknown is not found", func(t *testing.T) {
		if err := s.MarkHeld(ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

// TestUpgradeFromSecondSchemaAddsAttendance opens a database a release with
// schema 2 wrote and records attendance at a meeting it already held.
func TestUpgradeFromSecondSchemaAddsAttendance(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := store.OpenNoMigrate(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.MigrateTo(ctx, 2); err != nil || n != 2 {
		t.Fatalf("migrate to 2: n=%d err=%v", n, err)
	}
	for _, q := range []string{
		`INSERT INTO groups (id, slug, name, created_at, updated_at) VALUES (1, 'pracovni-skupina', 'Pracovní skupina', 0, 0)`,
		`INSERT INTO meetings (id, group_id, title, starts_at, time_zone, status, created_at, updated_at)
		 VALUES (1, 1, 'Jednání pracovní skupiny', 1805792400, 'Europe/Prague', 'held', 0, 0)`,
		`INSERT INTO members (id, discord_user_id, display_name, created_at, updated_at) VALUES (1, '42', 'Jana', 0, 0)`,
	} {
		if err := s.ExecForTest(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	if v, _ := s.Version(ctx); v != store.SchemaVersion() {
		t.Errorf("version after upgrade = %d, want %d", v, store.SchemaVersion())
	}
	if err := s.SetAttendance(ctx, &store.Attendance{MeetingID: 1, MemberID: 1, Attended: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AttendanceOf(ctx, 1); err != nil || len(got) != 1 || !got[0].Attended {
		t.Errorf("attendance after upgrade: %+v, %v", got, err)
	}
}

func TestSetAttendancesIsAllOrNothing(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	m := mustMeeting(t, s, g, t0.Add(-24*time.Hour))
	jana := mustMember(t, s, "1", "Jana Nováková")
	petr := mustMember(t, s, "2", "Petr Svoboda")

	bad := []*store.Attendance{
		{MeetingID: m.ID, MemberID: jana.ID, Attended: true},
		{MeetingID: m.ID, MemberID: 999, Attended: true},
	}
	if err := s.SetAttendances(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if got, _ := s.AttendanceOf(ctx, m.ID); len(got) != 0 {
		t.Errorf("a failed list left %d records", len(got))
	}
	good := []*store.Attendance{
		{MeetingID: m.ID, MemberID: jana.ID, Attended: true},
		{MeetingID: m.ID, MemberID: petr.ID, Attended: true, Substitute: "Eva Dvořáková"},
	}
	if err := s.SetAttendances(ctx, good); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AttendanceOf(ctx, m.ID); !reflect.DeepEqual(got, good) {
		t.Errorf("got %+v, want %+v", got, good)
	}
}
