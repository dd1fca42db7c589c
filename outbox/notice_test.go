package outbox

import (
	"strings"
	"testing"

	"coordbot/i18n"
)

func TestNoticeTextSaysWhatWhoAndWhere(t *testing.T) {
	tests := []struct {
		n    Notice
		lang i18n.Lang
		want []string
	}{
		{Notice{Subject: NoticeBounce, Address: "jana@obec.example", Detail: "550 5.1.1 no such user"}, i18n.Czech,
			[]string{"Jana Nováková", "jana@obec.example", "ke schůzce „Setkání“", "550 5.1.1", "coordbot member add"}},
		{Notice{Subject: NoticeUnreadableAnswer, ArchiveID: 12}, i18n.Czech,
			[]string{"Jana Nováková", "číslem 12", "-kind reply"}},
		{Notice{Subject: NoticeRefusedAnswer, ArchiveID: 13, Detail: "Schůzka už je zrušena."}, i18n.English,
			[]string{"Jana Nováková", "was not recorded", "Schůzka už je zrušena.", "number 13"}},
		{Notice{Subject: NoticeDeliveryFailed, Detail: "reminder"}, i18n.Czech,
			[]string{"„reminder“", "„Setkání“", "nepodařilo doručit"}},
	}
	for _, tt := range tests {
		got := tt.n.Text(tt.lang, "Jana Nováková", "Setkání")
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tt.n.Subject, got, w)
			}
		}
	}
	// Without a name the address stands for the member.
	if got := (Notice{Subject: NoticeBounce, Address: "x@y.example"}).Text(i18n.English, "", ""); !strings.HasPrefix(got, "Mail to x@y.example at x@y.example") {
		t.Errorf("bounce without a name: %q", got)
	}
	if _, err := ParseNotice("{"); err == nil {
		t.Error("ParseNotice of a broken payload: no error")
	}
}
