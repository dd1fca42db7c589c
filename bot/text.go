package bot

import (
	"coordbot/i18n"
)

// Every sentence the bot says. Czech first; English for groups with
// locale "en".
var (
	msgNotInGroupChannel = i18n.Text{CS: "Tento kanál nepatří žádné skupině. Použijte příkaz v kanálu skupiny.", EN: "This channel belongs to no group. Use the command in a group's channel."}
	msgInternal          = i18n.Text{CS: "Něco se pokazilo na naší straně; zkuste to prosím znovu. Chyba je zapsaná v logu.", EN: "Something went wrong on our side; please try again. The error has been logged."}
	msgUnknownCommand    = i18n.Text{CS: "Tento příkaz neznám.", EN: "I do not know this command."}
	msgNoMeeting         = i18n.Text{CS: "Schůzku jsem nenašel. Vyberte ji ze seznamu.", EN: "I could not find that meeting. Pick it from the list."}
	msgNoUpcoming        = i18n.Text{CS: "Skupina nemá žádnou naplánovanou schůzku.", EN: "The group has no upcoming meeting."}
	msgMeetingCreated    = i18n.Text{CS: "Schůzka „%s“ je naplánována na %s.", EN: "Meeting “%s” is scheduled for %s."}
	msgMeetingUpdated    = i18n.Text{CS: "Schůzka „%s“ je upravena: %s.", EN: "Meeting “%s” is updated: %s."}
	msgMeetingCancelled  = i18n.Text{CS: "Schůzka „%s“ (%s) je zrušena.", EN: "Meeting “%s” (%s) is cancelled."}
	msgMeetingNotOpen    = i18n.Text{CS: "Schůzka „%s“ už je %s.", EN: "Meeting “%s” is already %s."}
	msgRSVPSaved         = i18n.Text{CS: "Vaše odpověď na „%s“ (%s): %s.", EN: "Your answer to “%s” (%s): %s."}
	msgSubstitute        = i18n.Text{CS: " Místo vás přijde: %s.", EN: " Attending instead of you: %s."}
	msgAgendaAdded       = i18n.Text{CS: "Bod „%s“ je navržen do programu schůzky „%s“ (č. %d).", EN: "Item “%s” is proposed for the agenda of “%s” (no. %d)."}
	msgAgendaLate        = i18n.Text{CS: " Uzávěrka programu už minula, bod je označen jako pozdní.", EN: " The agenda deadline has passed; the item is marked as late."}
	msgAgendaWithdrawn   = i18n.Text{CS: "Bod „%s“ je stažen.", EN: "Item “%s” is withdrawn."}
	msgAgendaAccepted    = i18n.Text{CS: "Bod „%s“ je přijat do programu.", EN: "Item “%s” is accepted."}
	msgAgendaBadOrder    = i18n.Text{CS: "Pořadí zadejte jako čísla bodů oddělená čárkou, např. 3, 1, 2.", EN: "Give the order as item numbers separated by commas, e.g. 3, 1, 2."}
	msgAgendaEmpty       = i18n.Text{CS: "Program schůzky „%s“ je zatím prázdný.", EN: "The agenda of “%s” is empty so far."}
	msgAgendaHeader      = i18n.Text{CS: "Program schůzky „%s“ (%s):", EN: "Agenda of “%s” (%s):"}
	msgMeetingListHeader = i18n.Text{CS: "Naplánované schůzky skupiny %s:", EN: "Upcoming meetings of %s:"}
	msgMemberSaved       = i18n.Text{CS: "Uloženo: %s, organizace: %s, e-maily: %s.", EN: "Saved: %s, organisation: %s, e-mails: %s."}
	msgMinutesNone       = i18n.Text{CS: "Nic jsem nenašel.", EN: "Nothing found."}
	msgMinutesSendTo     = i18n.Text{CS: " Zápisy posílejte na %s.", EN: " Send minutes to %s."}
	msgMinutesAssigned   = i18n.Text{CS: "Zápis č. %d je přiřazen ke schůzce „%s“.", EN: "Minutes no. %d are filed under “%s”."}
	msgBadSearch         = i18n.Text{CS: "Hledání nerozumím: %s", EN: "I do not understand the search: %s"}
	msgSearchNoWords     = i18n.Text{CS: "V hledání nejsou žádná slova (písmena nebo číslice), podle kterých by se dalo hledat.", EN: "The search has no words to look for (letters or digits)."}
	msgEventDescription  = i18n.Text{CS: "Schůzka skupiny %s. Odpovídejte tlačítky v kanálu skupiny.", EN: "Meeting of %s. Answer with the buttons in the group's channel."}

	msgYes          = i18n.Text{CS: "Přijdu", EN: "Attending"}
	msgNo           = i18n.Text{CS: "Nepřijdu", EN: "Not attending"}
	msgMaybe        = i18n.Text{CS: "Možná", EN: "Maybe"}
	msgPropose      = i18n.Text{CS: "Navrhnout bod programu", EN: "Propose an agenda item"}
	msgModalAgenda  = i18n.Text{CS: "Návrh bodu programu", EN: "Propose an agenda item"}
	msgModalTitle   = i18n.Text{CS: "Název bodu", EN: "Title"}
	msgModalDetails = i18n.Text{CS: "Podrobnosti", EN: "Details"}
	msgModalRSVP    = i18n.Text{CS: "Možná přijdu", EN: "Maybe attending"}
	msgModalNote    = i18n.Text{CS: "Poznámka", EN: "Note"}
	msgModalSubst   = i18n.Text{CS: "Místo mě přijde (jméno)", EN: "Attending instead of me (name)"}

	msgWhen        = i18n.Text{CS: "Kdy", EN: "When"}
	msgWhere       = i18n.Text{CS: "Kde", EN: "Where"}
	msgOnline      = i18n.Text{CS: "Online", EN: "Online"}
	msgAnswers     = i18n.Text{CS: "Odpovědi", EN: "Answers"}
	msgAgenda      = i18n.Text{CS: "Program", EN: "Agenda"}
	msgCancelledAd = i18n.Text{CS: "ZRUŠENO", EN: "CANCELLED"}
	msgProposed    = i18n.Text{CS: "návrh", EN: "proposed"}
	msgLateMark    = i18n.Text{CS: "pozdě", EN: "late"}

	msgAttendanceHeader = i18n.Text{CS: "Účast na schůzce „%s“ (%s): %s, %s, %s, %s.", EN: "Attendance at “%s” (%s): %s, %s, %s, %s."}
	msgAttComing        = i18n.Text{CS: "přijdou", EN: "attending"}
	msgAttNotComing     = i18n.Text{CS: "nepřijdou", EN: "not attending"}
	msgAttMaybe         = i18n.Text{CS: "možná", EN: "maybe"}
	msgAttNoAnswer      = i18n.Text{CS: "neodpověděli", EN: "no answer"}
	msgNoOrganisation   = i18n.Text{CS: "(bez organizace)", EN: "(no organisation)"}
	msgInstead          = i18n.Text{CS: "za ně %s", EN: "instead: %s"}
)

// tr picks the sentence for lang and fills in args.
func tr(lang i18n.Lang, m i18n.Text, args ...any) string { return m.In(lang, args...) }

// people counts participants with the right plural: 1 účastník, 2
// účastníci, 5 účastníků.
func people(lang i18n.Lang, n int) string {
	if lang == i18n.English {
		return i18n.Count(lang, n, "participant", "participants", "participants")
	}
	return i18n.Count(lang, n, "účastník", "účastníci", "účastníků")
}

// answerName names an RSVP answer.
func answerName(lang i18n.Lang, answer string) string {
	switch answer {
	case "yes":
		return tr(lang, msgYes)
	case "no":
		return tr(lang, msgNo)
	default:
		return tr(lang, msgMaybe)
	}
}
