package bot

import (
	"fmt"

	"coordbot/i18n"
)

// msg is one user-facing sentence in both languages. Format verbs take the
// arguments given to tr.
type msg struct{ cs, en string }

// Every sentence the bot says. Czech first; English for groups with
// locale "en".
var (
	msgNotInGroupChannel = msg{"Tento kanál nepatří žádné skupině. Použijte příkaz v kanálu skupiny.", "This channel belongs to no group. Use the command in a group's channel."}
	msgNotCoordinator    = msg{"Tohle může udělat jen koordinátor skupiny.", "Only the group's coordinators can do this."}
	msgNotMember         = msg{"Nejste členem této skupiny, proto nemůžete odpovídat ani navrhovat body programu.", "You are not a member of this group, so you cannot answer or propose agenda items."}
	msgInternal          = msg{"Něco se pokazilo na naší straně; zkuste to prosím znovu. Chyba je zapsaná v logu.", "Something went wrong on our side; please try again. The error has been logged."}
	msgUnknownCommand    = msg{"Tento příkaz neznám.", "I do not know this command."}
	msgNoMeeting         = msg{"Schůzku jsem nenašel. Vyberte ji ze seznamu.", "I could not find that meeting. Pick it from the list."}
	msgNoUpcoming        = msg{"Skupina nemá žádnou naplánovanou schůzku.", "The group has no upcoming meeting."}
	msgEmptyTitle        = msg{"Název nesmí být prázdný.", "The title must not be empty."}
	msgTitleTooLong      = msg{"Název je příliš dlouhý (nejvýše %d znaků).", "The title is too long (at most %d characters)."}
	msgDetailsTooLong    = msg{"Podrobnosti jsou příliš dlouhé (nejvýše %d znaků).", "The details are too long (at most %d characters)."}
	msgInPast            = msg{"Termín %s už je v minulosti.", "%s is in the past."}
	msgBadDuration       = msg{"Délka musí být 1 až 1440 minut.", "The duration must be 1 to 1440 minutes."}
	msgMeetingCreated    = msg{"Schůzka „%s“ je naplánována na %s.", "Meeting “%s” is scheduled for %s."}
	msgMeetingUpdated    = msg{"Schůzka „%s“ je upravena: %s.", "Meeting “%s” is updated: %s."}
	msgMeetingCancelled  = msg{"Schůzka „%s“ (%s) je zrušena.", "Meeting “%s” (%s) is cancelled."}
	msgMeetingNotOpen    = msg{"Schůzka „%s“ už je %s.", "Meeting “%s” is already %s."}
	msgMeetingStarted    = msg{"Schůzka „%s“ už začala; odpověď už nejde změnit.", "Meeting “%s” has started; the answer can no longer be changed."}
	msgRSVPSaved         = msg{"Vaše odpověď na „%s“ (%s): %s.", "Your answer to “%s” (%s): %s."}
	msgSubstitute        = msg{" Místo vás přijde: %s.", " Attending instead of you: %s."}
	msgAgendaAdded       = msg{"Bod „%s“ je navržen do programu schůzky „%s“ (č. %d).", "Item “%s” is proposed for the agenda of “%s” (no. %d)."}
	msgAgendaLate        = msg{" Uzávěrka programu už minula, bod je označen jako pozdní.", " The agenda deadline has passed; the item is marked as late."}
	msgAgendaNoItem      = msg{"Bod programu č. %d u této skupiny neexistuje.", "There is no agenda item no. %d in this group."}
	msgAgendaNotAuthor   = msg{"Stáhnout bod může jen jeho autor nebo koordinátor.", "Only its author or a coordinator can withdraw an item."}
	msgAgendaWithdrawn   = msg{"Bod „%s“ je stažen.", "Item “%s” is withdrawn."}
	msgAgendaAccepted    = msg{"Bod „%s“ je přijat do programu.", "Item “%s” is accepted."}
	msgAgendaBadOrder    = msg{"Pořadí zadejte jako čísla bodů oddělená čárkou, např. 3, 1, 2.", "Give the order as item numbers separated by commas, e.g. 3, 1, 2."}
	msgAgendaEmpty       = msg{"Program schůzky „%s“ je zatím prázdný.", "The agenda of “%s” is empty so far."}
	msgAgendaHeader      = msg{"Program schůzky „%s“ (%s):", "Agenda of “%s” (%s):"}
	msgMeetingListHeader = msg{"Naplánované schůzky skupiny %s:", "Upcoming meetings of %s:"}
	msgMemberSaved       = msg{"Uloženo: %s, organizace: %s, e-maily: %s.", "Saved: %s, organisation: %s, e-mails: %s."}
	msgBadEmail          = msg{"Adresa „%s“ není platný e-mail.", "“%s” is not a valid e-mail address."}
	msgEmailTaken        = msg{"Adresa %s už patří jinému členovi.", "The address %s already belongs to another member."}
	msgMinutesNone       = msg{"Nic jsem nenašel.", "Nothing found."}
	msgMinutesSendTo     = msg{" Zápisy posílejte na %s.", " Send minutes to %s."}
	msgMinutesAssigned   = msg{"Zápis č. %d je přiřazen ke schůzce „%s“.", "Minutes no. %d are filed under “%s”."}
	msgMinutesNoMessage  = msg{"Zápis č. %d v archivu není.", "There are no minutes no. %d in the archive."}
	msgMinutesArchived   = msg{"📄 Zápis ze schůzky „%s“ je v archivu: %s", "📄 The minutes of “%s” are in the archive: %s"}
	msgBadSearch         = msg{"Hledání nerozumím: %s", "I do not understand the search: %s"}
	msgEventDescription  = msg{"Schůzka skupiny %s. Odpovídejte tlačítky v kanálu skupiny.", "Meeting of %s. Answer with the buttons in the group's channel."}

	msgYes          = msg{"Přijdu", "Attending"}
	msgNo           = msg{"Nepřijdu", "Not attending"}
	msgMaybe        = msg{"Možná", "Maybe"}
	msgPropose      = msg{"Navrhnout bod programu", "Propose an agenda item"}
	msgModalAgenda  = msg{"Návrh bodu programu", "Propose an agenda item"}
	msgModalTitle   = msg{"Název bodu", "Title"}
	msgModalDetails = msg{"Podrobnosti", "Details"}
	msgModalRSVP    = msg{"Možná přijdu", "Maybe attending"}
	msgModalNote    = msg{"Poznámka", "Note"}
	msgModalSubst   = msg{"Místo mě přijde (jméno)", "Attending instead of me (name)"}

	msgWhen        = msg{"Kdy", "When"}
	msgWhere       = msg{"Kde", "Where"}
	msgOnline      = msg{"Online", "Online"}
	msgAnswers     = msg{"Odpovědi", "Answers"}
	msgAgenda      = msg{"Program", "Agenda"}
	msgCancelledAd = msg{"ZRUŠENO", "CANCELLED"}
	msgProposed    = msg{"návrh", "proposed"}
	msgLateMark    = msg{"pozdě", "late"}
	msgStatusNames = msg{"naplánována|zrušena|proběhla", "scheduled|cancelled|held"}

	msgAttendanceHeader = msg{"Účast na schůzce „%s“ (%s): %s, %s, %s, %s.", "Attendance at “%s” (%s): %s, %s, %s, %s."}
	msgAttComing        = msg{"přijdou", "attending"}
	msgAttNotComing     = msg{"nepřijdou", "not attending"}
	msgAttMaybe         = msg{"možná", "maybe"}
	msgAttNoAnswer      = msg{"neodpověděli", "no answer"}
	msgNoOrganisation   = msg{"(bez organizace)", "(no organisation)"}
	msgInstead          = msg{"za ně %s", "instead: %s"}
)

// tr picks the sentence for lang and fills in args.
func tr(lang i18n.Lang, m msg, args ...any) string {
	s := m.cs
	if lang == i18n.English {
		s = m.en
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

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
