package meeting

import "coordbot/i18n"

// The core's sentences: what a use case refuses and why. Czech first.
var (
	textNotCoordinator  = i18n.Text{CS: "Tohle může udělat jen koordinátor skupiny.", EN: "Only the group's coordinators can do this."}
	textNotMember       = i18n.Text{CS: "Nejste členem této skupiny, proto nemůžete odpovídat ani navrhovat body programu.", EN: "You are not a member of this group, so you cannot answer or propose agenda items."}
	textNoMeeting       = i18n.Text{CS: "Schůzku jsem nenašel. Vyberte ji ze seznamu.", EN: "I could not find that meeting. Pick it from the list."}
	textEmptyTitle      = i18n.Text{CS: "Název nesmí být prázdný.", EN: "The title must not be empty."}
	textTitleTooLong    = i18n.Text{CS: "Název je příliš dlouhý (nejvýše %d znaků).", EN: "The title is too long (at most %d characters)."}
	textDetailsTooLong  = i18n.Text{CS: "Podrobnosti jsou příliš dlouhé (nejvýše %d znaků).", EN: "The details are too long (at most %d characters)."}
	textInPast          = i18n.Text{CS: "Termín %s už je v minulosti.", EN: "%s is in the past."}
	textNotYetPast      = i18n.Text{CS: "Termín %s ještě nenastal; zapsat lze jen schůzku, která už proběhla.", EN: "%s has not come yet; only a meeting that took place can be written up."}
	textBadDuration     = i18n.Text{CS: "Délka musí být 1 až 1440 minut.", EN: "The duration must be 1 to 1440 minutes."}
	textMeetingNotOpen  = i18n.Text{CS: "Schůzka „%s“ už je %s.", EN: "Meeting “%s” is already %s."}
	textMeetingStarted  = i18n.Text{CS: "Schůzka „%s“ už začala; odpověď už nejde změnit.", EN: "Meeting “%s” has started; the answer can no longer be changed."}
	textNotYetHeld      = i18n.Text{CS: "Schůzka „%s“ ještě neproběhla.", EN: "“%s” has not taken place yet."}
	textBadAnswer       = i18n.Text{CS: "Odpověď musí být yes, no nebo maybe.", EN: "The answer must be yes, no or maybe."}
	textAgendaNoItem    = i18n.Text{CS: "Bod programu č. %d u této skupiny neexistuje.", EN: "There is no agenda item no. %d in this group."}
	textAgendaNotAuthor = i18n.Text{CS: "Stáhnout bod může jen jeho autor nebo koordinátor.", EN: "Only its author or a coordinator can withdraw an item."}
	textAgendaBadOrder  = i18n.Text{CS: "Pořadí zadejte jako čísla bodů oddělená čárkou, např. 3, 1, 2.", EN: "Give the order as item numbers separated by commas, e.g. 3, 1, 2."}
	textBadEmail        = i18n.Text{CS: "Adresa „%s“ není platný e-mail.", EN: "“%s” is not a valid e-mail address."}
	textEmailTaken      = i18n.Text{CS: "Adresa %s už patří jinému členovi.", EN: "The address %s already belongs to another member."}
	textDiscordTaken    = i18n.Text{CS: "Discord účet %s už patří jinému členovi.", EN: "The Discord account %s already belongs to another member."}
	textNoName          = i18n.Text{CS: "Zadejte jméno člena.", EN: "Give the member's name."}
	textNoContact       = i18n.Text{CS: "Zadejte e-mail nebo Discord účet člena.", EN: "Give the member's e-mail or Discord account."}
	textNotInGroup      = i18n.Text{CS: "%s není členem skupiny %s.", EN: "%s is not a member of %s."}
	textBadRole         = i18n.Text{CS: "Role musí být member nebo coordinator.", EN: "The role must be member or coordinator."}
	textNoMessage       = i18n.Text{CS: "Zápis č. %d v archivu není.", EN: "There are no minutes no. %d in the archive."}
	textCancelledNobody = i18n.Text{CS: "Schůzka „%s“ byla zrušena, není koho zapsat.", EN: "“%s” was cancelled; there is nobody to record."}

	textBadGuest = i18n.Text{CS: "Hosta „%s“ zapište jako Jméno=Organizace (jméno nejvýše 200 znaků).", EN: "Write the guest “%s” as Name=Organisation (a name of at most 200 characters)."}

	textSignInUnknown = i18n.Text{CS: "Tento přihlašovací odkaz neplatí. Požádejte o nový na přihlašovací stránce.", EN: "This sign-in link is not valid. Ask for a new one on the sign-in page."}
	textSignInUsed    = i18n.Text{CS: "Tento přihlašovací odkaz už byl použit; každý odkaz platí jen jednou. Požádejte o nový na přihlašovací stránce.", EN: "This sign-in link has been used already; each link works once. Ask for a new one on the sign-in page."}
	textSignInExpired = i18n.Text{CS: "Platnost přihlašovacího odkazu vypršela (platí %d minut). Požádejte o nový na přihlašovací stránce.", EN: "This sign-in link has expired (links work for %d minutes). Ask for a new one on the sign-in page."}

	textStatusScheduled = i18n.Text{CS: "naplánována", EN: "scheduled"}
	textStatusCancelled = i18n.Text{CS: "zrušena", EN: "cancelled"}
	textStatusHeld      = i18n.Text{CS: "proběhla", EN: "held"}
)
