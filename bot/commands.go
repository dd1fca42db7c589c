package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// loc builds a command's localisation map with Czech.
func loc(cs string) *map[discordgo.Locale]string {
	m := locm(cs)
	return &m
}

// locm builds an option's localisation map with Czech.
func locm(cs string) map[discordgo.Locale]string {
	return map[discordgo.Locale]string{discordgo.Czech: cs}
}

func strOpt(name, desc, descCS string, required, autocomplete bool) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name,
		Description: desc, DescriptionLocalizations: locm(descCS), Required: required, Autocomplete: autocomplete}
}

func intOpt(name, desc, descCS string, required bool) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: name,
		Description: desc, DescriptionLocalizations: locm(descCS), Required: required}
}

func meetingOpt(required bool) *discordgo.ApplicationCommandOption {
	return strOpt("meeting", "The meeting (default: the next one)", "Schůzka (výchozí: nejbližší)", required, true)
}

func sub(name, desc, descCS string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name,
		Description: desc, DescriptionLocalizations: locm(descCS), Options: opts}
}

// commands are the slash commands, with Czech localisations of names and
// descriptions. Option names stay English (they are what people type).
func commands() []*discordgo.ApplicationCommand {
	when := strOpt("when", "Date and time, e.g. 23. 3. 2027 10:00", "Datum a čas, např. 23. 3. 2027 10:00", true, false)
	whenOpt := *when
	whenOpt.Required = false
	meetingFields := func(required bool) []*discordgo.ApplicationCommandOption {
		w := when
		if !required {
			w = &whenOpt
		}
		return []*discordgo.ApplicationCommandOption{
			strOpt("title", "Title", "Název", required, false), w,
			strOpt("place", "Where it takes place", "Místo konání", false, false),
			strOpt("link", "Online meeting link", "Odkaz na online připojení", false, false),
			intOpt("duration", "Length in minutes (default 120)", "Délka v minutách (výchozí 120)", false),
		}
	}
	edit := append([]*discordgo.ApplicationCommandOption{meetingOpt(true)}, meetingFields(false)...)
	status := strOpt("status", "Will you come?", "Přijdete?", true, false)
	status.Choices = []*discordgo.ApplicationCommandOptionChoice{
		{Name: "yes", NameLocalizations: map[discordgo.Locale]string{discordgo.Czech: "přijdu"}, Value: "yes"},
		{Name: "no", NameLocalizations: map[discordgo.Locale]string{discordgo.Czech: "nepřijdu"}, Value: "no"},
		{Name: "maybe", NameLocalizations: map[discordgo.Locale]string{discordgo.Czech: "možná"}, Value: "maybe"},
	}
	notify := strOpt("notify", "How you are told of meetings (default: automatic)", "Jak vám dáváme vědět o schůzkách (výchozí: automaticky)", false, false)
	notify.Choices = []*discordgo.ApplicationCommandOptionChoice{
		{Name: "automatic (Discord if known, else e-mail)", NameLocalizations: map[discordgo.Locale]string{discordgo.Czech: "automaticky (Discord, jinak e-mail)"}, Value: "auto"},
		{Name: "discord", NameLocalizations: map[discordgo.Locale]string{discordgo.Czech: "discord"}, Value: "discord"},
		{Name: "e-mail", NameLocalizations: map[discordgo.Locale]string{discordgo.Czech: "e-mail"}, Value: "email"},
		{Name: "both", NameLocalizations: map[discordgo.Locale]string{discordgo.Czech: "oboje"}, Value: "both"},
	}
	user := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "user",
		Description: "Someone else (coordinators only)", DescriptionLocalizations: locm("Někdo jiný (jen koordinátoři)")}
	return []*discordgo.ApplicationCommand{
		{Name: "meeting", NameLocalizations: loc("schuzka"), Description: "Plan and show meetings",
			DescriptionLocalizations: loc("Plánování a přehled schůzek"), Options: []*discordgo.ApplicationCommandOption{
				sub("create", "Plan a meeting (coordinators)", "Naplánovat schůzku (koordinátoři)", meetingFields(true)...),
				sub("edit", "Change a meeting (coordinators)", "Změnit schůzku (koordinátoři)", edit...),
				sub("cancel", "Cancel a meeting (coordinators)", "Zrušit schůzku (koordinátoři)", meetingOpt(true)),
				sub("list", "Upcoming meetings", "Naplánované schůzky"),
				sub("show", "One meeting in detail", "Podrobnosti schůzky", meetingOpt(false)),
			}},
		{Name: "rsvp", NameLocalizations: loc("ucast"), Description: "Say whether you will come",
			DescriptionLocalizations: loc("Odpovědět, zda přijdete"), Options: []*discordgo.ApplicationCommandOption{
				status, meetingOpt(false),
				strOpt("note", "A note for the coordinator", "Poznámka pro koordinátora", false, false),
				strOpt("substitute", "Who comes instead of you", "Kdo přijde místo vás", false, false),
			}},
		{Name: "agenda", NameLocalizations: loc("program"), Description: "Agenda items",
			DescriptionLocalizations: loc("Body programu"), Options: []*discordgo.ApplicationCommandOption{
				sub("add", "Propose an item", "Navrhnout bod", meetingOpt(false)),
				sub("list", "Show the agenda", "Zobrazit program", meetingOpt(false)),
				sub("withdraw", "Withdraw your item", "Stáhnout svůj bod", intOpt("item", "Item number", "Číslo bodu", true)),
				sub("accept", "Accept an item (coordinators)", "Přijmout bod (koordinátoři)", intOpt("item", "Item number", "Číslo bodu", true)),
				sub("reorder", "Order the agenda (coordinators)", "Seřadit program (koordinátoři)",
					strOpt("order", "Item numbers in order, e.g. 3, 1, 2", "Čísla bodů v pořadí, např. 3, 1, 2", true, false), meetingOpt(false)),
			}},
		{Name: "attendance", NameLocalizations: loc("dochazka"), Description: "Who comes, who came",
			DescriptionLocalizations: loc("Kdo přijde, kdo přišel"), Options: []*discordgo.ApplicationCommandOption{
				sub("show", "Who comes and who has not answered", "Kdo přijde a kdo neodpověděl", meetingOpt(false)),
				sub("confirm", "Record who actually came (coordinators)", "Zapsat, kdo skutečně přišel (koordinátoři)", meetingOpt(true),
					strOpt("guests", "Guests who are not members: Name=Organisation; …", "Hosté, kteří nejsou členy: Jméno=Organizace; …", false, false)),
			}},
		{Name: "report", NameLocalizations: loc("zprava"), Description: "The year's meetings for the annual report (coordinators)",
			DescriptionLocalizations: loc("Setkání za rok pro výroční zprávu (koordinátoři)"), Options: []*discordgo.ApplicationCommandOption{
				intOpt("year", "The year, e.g. 2027", "Rok, např. 2027", true),
			}},
		{Name: "minutes", NameLocalizations: loc("zapisy"), Description: "The minutes archive",
			DescriptionLocalizations: loc("Archiv zápisů"), Options: []*discordgo.ApplicationCommandOption{
				sub("search", "Search the minutes", "Hledat v zápisech", strOpt("query", "Words to find", "Hledaná slova", true, false)),
				sub("latest", "The latest minutes of this group", "Nejnovější zápisy skupiny"),
				sub("assign", "File minutes under a meeting (coordinators)", "Přiřadit zápis ke schůzce (koordinátoři)",
					intOpt("message", "Archive number of the minutes", "Číslo zápisu v archivu", true), meetingOpt(true)),
			}},
		{Name: "member", NameLocalizations: loc("clen"), Description: "Your details",
			DescriptionLocalizations: loc("Vaše údaje"), Options: []*discordgo.ApplicationCommandOption{
				sub("set", "Record organisation, e-mail and how you are told", "Uložit organizaci, e-mail a způsob oznámení",
					strOpt("organisation", "The organisation you represent", "Organizace, kterou zastupujete", false, false),
					strOpt("email", "E-mail addresses, comma-separated", "E-mailové adresy oddělené čárkou", false, false),
					notify, user),
			}},
	}
}

// registerCommands bulk-overwrites the commands when their definition
// differs from what was registered last time (a hash kept in the store),
// so a restart does not re-register unchanged commands.
func (b *Bot) registerCommands(ctx context.Context) error {
	cmds := commands()
	data, err := json.Marshal(cmds)
	if err != nil {
		return fmt.Errorf("bot: encode commands: %w", err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	key := "discord_commands:" + b.appID + ":" + b.cfg.GuildID
	old, ok, err := b.store.Setting(ctx, key)
	if err != nil {
		return err
	}
	if ok && old == hash {
		b.logger.Info("slash commands unchanged, not registering", "guild_id", b.cfg.GuildID)
		return nil
	}
	if _, err := b.session.ApplicationCommandBulkOverwrite(b.appID, b.cfg.GuildID, cmds); err != nil {
		return fmt.Errorf("bot: register slash commands: %w", err)
	}
	b.logger.Info("slash commands registered", "guild_id", b.cfg.GuildID, "commands", len(cmds))
	return b.store.SetSetting(ctx, key, hash)
}
