package outbox

import (
	"encoding/json"
	"fmt"
	"strings"

	"coordbot/i18n"
)

var (
	noticeBounce = i18n.Text{
		CS: "Pošta pro %s na adresu %s%s se vrátila jako nedoručitelná (%s). Na tuto adresu už coordbot nic neposílá; opravte ji příkazem coordbot member add nebo /clen set.",
		EN: "Mail to %s at %s%s came back as undeliverable (%s). coordbot sends nothing more to that address; correct it with coordbot member add or /member set.",
	}
	noticeUnreadable = i18n.Text{
		CS: "Odpověď od %s%s se nepodařilo přečíst jako účast ani jako bod programu. Zpráva je v archivu pod číslem %d (coordbot minutes list -kind reply).",
		EN: "A reply from %s%s could not be read as an answer or an agenda item. It is in the archive as number %d (coordbot minutes list -kind reply).",
	}
	noticeRefused = i18n.Text{
		CS: "Odpověď e-mailem od %s%s nebyla zapsána: %s Zpráva je v archivu pod číslem %d.",
		EN: "An answer by mail from %s%s was not recorded: %s The message is in the archive as number %d.",
	}
	noticeFailed = i18n.Text{
		CS: "Zprávu „%s“%s se nepodařilo doručit ani po několika pokusech; podrobnosti jsou v logu.",
		EN: "The “%s” message%s could not be delivered after several attempts; the log has the details.",
	}
	noticeAbout = i18n.Text{CS: " ke schůzce „%s“", EN: " about “%s”"}
)

// ParseNotice reads the payload of a KindNotice or KindNoticeDM row.
func ParseNotice(payload string) (Notice, error) {
	var n Notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return n, fmt.Errorf("outbox: notice payload: %w", err)
	}
	return n, nil
}

// Text is what the coordinators are told, in lang: memberName is the
// member the notice concerns ("" when unknown: the address is used), and
// meetingTitle the meeting's title ("" for none). Every sender (a Discord
// DM, an e-mail) renders notices with it.
func (n Notice) Text(lang i18n.Lang, memberName, meetingTitle string) string {
	who := memberName
	if who == "" {
		who = n.Address
	}
	if who == "" {
		who = "?"
	}
	about := ""
	if meetingTitle != "" {
		about = noticeAbout.In(lang, meetingTitle)
	}
	switch n.Subject {
	case NoticeBounce:
		return noticeBounce.In(lang, who, n.Address, about, strings.TrimSpace(n.Detail))
	case NoticeDeliveryFailed:
		return noticeFailed.In(lang, n.Detail, about)
	case NoticeRefusedAnswer:
		return noticeRefused.In(lang, who, about, strings.TrimSuffix(strings.TrimSpace(n.Detail), ".")+".", n.ArchiveID)
	default:
		return noticeUnreadable.In(lang, who, about, n.ArchiveID)
	}
}
