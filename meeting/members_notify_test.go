package meeting_test

import (
	"errors"
	"testing"

	"coordbot/meeting"
	"coordbot/store"
)

func TestCheckEmail(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"jana@obec.cz", "jana@obec.cz"},
		{" Jana.Novakova@Obec.CZ ", "jana.novakova@obec.cz"},
		{"jana+skupina@mesto-lhota.cz", "jana+skupina@mesto-lhota.cz"},
	} {
		got, err := meeting.CheckEmail(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CheckEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"jana@", "Adresa „jana@“ není platný e-mail."},
		{"jana obec.cz", "Adresa „jana obec.cz“ není platný e-mail."},
		{"a@b@c", "Adresa „a@b@c“ není platný e-mail."},
		{"", "Adresa „“ není platný e-mail."},
		{"Jana Nováková <jana@obec.cz>", "„Jana Nováková <jana@obec.cz>“: zapište jen adresu, např. jana@obec.cz."},
		{"<Jana@obec.cz>", "„<Jana@obec.cz>“: zapište jen adresu, např. jana@obec.cz."},
		{"jana@obeccz", "Adresa „jana@obeccz“ není platný e-mail (za @ nenásleduje doména)."},
		{"jana@[10.0.0.1]", "Adresa „jana@[10.0.0.1]“ není platný e-mail (za @ nenásleduje doména)."},
		{`"jana novak"@obec.cz`, "Adresa „\"jana novak\"@obec.cz“ není platný e-mail."},
	} {
		t.Run(tt.in, func(t *testing.T) {
			_, err := meeting.CheckEmail(tt.in)
			refused(t, err, tt.want)
		})
	}
}

func TestParseEmailsLists(t *testing.T) {
	t.Parallel()
	got, err := meeting.ParseEmails("jana@obec.cz, Petr@kraj.cz; eva@obec.cz lenka@obec.cz")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"jana@obec.cz", "petr@kraj.cz", "eva@obec.cz", "lenka@obec.cz"}
	if len(got) != len(want) {
		t.Fatalf("ParseEmails = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ParseEmails = %q, want %q", got, want)
		}
	}
	_, err = meeting.ParseEmails("jana@obec.cz, Petr Dvořák <petr@kraj.cz>")
	refused(t, err, "„Petr Dvořák <petr@kraj.cz>“: zapište jen adresu, např. petr@kraj.cz.")
}

func TestMemberNotify(t *testing.T) {
	t.Parallel()
	t.Run("a new member is auto; add sets and keeps the preference", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID,
			meeting.MemberInput{Name: "Eva Malá", Emails: []string{"eva@obec.cz"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Member.Notify != store.NotifyAuto {
			t.Errorf("new member's preference %q, want auto", res.Member.Notify)
		}
		if _, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID, meeting.MemberInput{
			Emails: []string{"eva@obec.cz"}, DiscordID: "400", Notify: "Both"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID, meeting.MemberInput{
			Emails: []string{"eva@obec.cz"}, Organisation: "Obec Lhota"}); err != nil {
			t.Fatal(err)
		}
		got, err := e.store.Member(e.ctx(), res.Member.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Notify != store.NotifyBoth {
			t.Errorf("stored preference %q, want both kept by an add without -notify", got.Notify)
		}
		if d, m := got.Reach(); !d || !m {
			t.Errorf("Reach() = %v, %v; want both channels", d, m)
		}
	})

	t.Run("a new member's preference is stored", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID,
			meeting.MemberInput{Name: "Jan Novák", Emails: []string{"jan@kraj.cz"}, DiscordID: "401", Notify: store.NotifyEmail})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.store.Member(e.ctx(), res.Member.ID)
		if got.Notify != store.NotifyEmail {
			t.Errorf("stored %q, want email", got.Notify)
		}
		if d, m := got.Reach(); d || !m {
			t.Errorf("Reach() = %v, %v; want e-mail only", d, m)
		}
	})

	for _, tt := range []struct {
		name string
		in   meeting.MemberInput
		want string
	}{
		{"an unknown preference is refused", meeting.MemberInput{Name: "Eva", Emails: []string{"eva@obec.cz"}, Notify: "sms"},
			"Kanál oznámení „sms“ neznám: zadejte auto, discord, email nebo both."},
		{"e-mail only without an address is refused", meeting.MemberInput{Name: "Eva", DiscordID: "402", Notify: store.NotifyEmail},
			"Eva nemá e-mailovou adresu, na kterou lze psát (žádnou nebo se vrací); zadejte ji, nebo zvolte jiný kanál."},
		{"Discord only without a Discord id is refused", meeting.MemberInput{Name: "Eva", Emails: []string{"eva@obec.cz"}, Notify: store.NotifyDiscord},
			"Eva nemá Discord účet; zadejte ho, nebo zvolte jiný kanál."},
		{"an invalid address is refused", meeting.MemberInput{Name: "Eva", Emails: []string{"eva@"}},
			"Adresa „eva@“ není platný e-mail."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			before := e.rows()
			_, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID, tt.in)
			refused(t, err, tt.want)
			e.unchanged(t, before)
		})
	}

	t.Run("import names the row with a bad address or preference", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		before := e.rows()
		_, _, err := e.core.ImportMembers(e.ctx(), meeting.Operator(), e.group.ID, []meeting.MemberInput{
			{Name: "Jan Novák", Emails: []string{"jan@kraj.cz"}, Notify: store.NotifyEmail},
			{Name: "Eva Malá", Emails: []string{"a@b@c"}},
		})
		var row *meeting.RowError
		if !errors.As(err, &row) || row.Row != 2 {
			t.Fatalf("error %v, want a RowError for row 2", err)
		}
		refused(t, err, "Adresa „a@b@c“ není platný e-mail.")
		e.unchanged(t, before)

		added, _, err := e.core.ImportMembers(e.ctx(), meeting.Operator(), e.group.ID, []meeting.MemberInput{
			{Name: "Jan Novák", Emails: []string{"jan@kraj.cz"}, Notify: store.NotifyEmail},
			{Name: "Eva Malá", Emails: []string{"eva@obec.cz"}},
		})
		if err != nil || added != 2 {
			t.Fatalf("import: %d added, %v", added, err)
		}
		jan, _ := e.store.MemberByEmail(e.ctx(), "jan@kraj.cz")
		eva, _ := e.store.MemberByEmail(e.ctx(), "eva@obec.cz")
		if jan.Notify != store.NotifyEmail || eva.Notify != store.NotifyAuto {
			t.Errorf("preferences %q and %q, want email and auto", jan.Notify, eva.Notify)
		}
	})

	t.Run("a member sets their own preference; a bounced address cannot carry e-mail only", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		emails := []string{"petr@obec.cz"}
		both := store.NotifyBoth
		m, err := e.core.SetDetails(e.ctx(), member, e.group.ID, nil, meeting.Details{Emails: &emails, Notify: &both})
		if err != nil {
			t.Fatal(err)
		}
		if m.Notify != store.NotifyBoth {
			t.Errorf("returned preference %q, want both", m.Notify)
		}
		if err := e.store.Write(e.ctx(), func(tx *store.Tx) error {
			_, err := tx.MarkBounced("petr@obec.cz", "550 5.1.1 no such user")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		mail := store.NotifyEmail
		_, err = e.core.SetDetails(e.ctx(), member, e.group.ID, nil, meeting.Details{Notify: &mail})
		refused(t, err, "Petr Dvořák nemá e-mailovou adresu, na kterou lze psát (žádnou nebo se vrací); zadejte ji, nebo zvolte jiný kanál.")
		// A new address together with the preference is accepted.
		fresh := []string{"petr.dvorak@obec.cz"}
		m, err = e.core.SetDetails(e.ctx(), member, e.group.ID, nil, meeting.Details{Emails: &fresh, Notify: &mail})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.store.Member(e.ctx(), m.ID)
		if got.Notify != store.NotifyEmail || got.MailAddress() != "petr.dvorak@obec.cz" {
			t.Errorf("stored %q to %q, want email to petr.dvorak@obec.cz", got.Notify, got.MailAddress())
		}
		bad := []string{"petr obec.cz"}
		_, err = e.core.SetDetails(e.ctx(), member, e.group.ID, nil, meeting.Details{Emails: &bad})
		refused(t, err, "Adresa „petr obec.cz“ není platný e-mail.")
	})

	t.Run("a coordinator sets someone else's preference", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		discord := store.NotifyDiscord
		target := member2
		m, err := e.core.SetDetails(e.ctx(), coordinator, e.group.ID, &target, meeting.Details{Notify: &discord})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := e.store.Member(e.ctx(), m.ID); got.Notify != store.NotifyDiscord || got.DiscordUserID != member2.DiscordUserID {
			t.Errorf("stored %+v, want Lucie on discord", got)
		}
		_, err = e.core.SetDetails(e.ctx(), member, e.group.ID, &target, meeting.Details{Notify: &discord})
		refused(t, err, czNotCoordinator)
	})
}
