package main

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"coordbot/store"
)

const (
	member      = store.RoleMember
	coordinator = store.RoleCoordinator
)

// excelMembers is the list in testdata/members-excel-*.csv as parsed: an
// empty spreadsheet row (";;;;") sits on line 10.
var excelMembers = []MemberRow{
	{"Mgr. Jana Nováková", "Městský úřad Šumperk", "jana.novakova@sumperk.cz", "1203456789012345678", coordinator, "", 2},
	{"Ing. Petr Svoboda", "Krajský úřad Olomouckého kraje", "petr.svoboda@olkraj.cz", "", member, "", 3},
	{"Bc. Lucie Dvořáková", "Městský úřad Zábřeh", "dvorakova@zabreh.cz", "1203456789012345679", "", "", 4},
	{"MUDr. Tomáš Černý", "Nemocnice Šumperk a.s.", "cerny@nemspk.cz", "", member, "", 5},
	{"Mgr. Kateřina Procházková", `Spolek "Most k naději", z. s.`, "prochazkova@mostknadeji.cz", "987654321098765432", member, "", 6},
	{"Jiří Kučera", "Město Mohelnice", "kucera@mohelnice.cz", "", "", "", 7},
	{"Ing. Zdeňka Horáková, Ph.D.", "Magistrát města Olomouce", "zdenka.horakova@olomouc.eu", "1203456789012345680", coordinator, "", 8},
	{"Mgr. Ondřej Veselý", "Probační a mediační služba, středisko Šumperk", "vesely@pms.justice.cz", "", member, "", 9},
	{"Bc. Markéta Šťastná", "Městský úřad Jeseník", "stastna@jesenik.org", "", member, "", 11},
	{"Pavel Růžička", "Policie ČR, OOP Šumperk", "ruzicka@pcr.cz", "1112223334445556667", "", "", 12},
	{"Mgr. Alena Marková", "Základní škola Šumperk, Dr. E. Beneše 1", "markova@zsbenese.cz", "", "", "", 13},
	{"Ing. Radek Pokorný", "Obecní úřad Loučná nad Desnou", "starosta@loucna.cz", "", member, "", 14},
	{"Věra Křížová", "Charita Šumperk", "krizova@charitasumperk.cz", "2223334445556667778", member, "", 15},
	{"Mgr. Michal Němec", "Krajský úřad Olomouckého kraje", "m.nemec@olkraj.cz", "", coordinator, "", 16},
	{"Hana Jelínková", "Oblastní spolek ČČK Šumperk", "jelinkova@cckspk.cz", "", "", "", 17},
	{"Mgr. et Mgr. Štěpán Říha", "Městský úřad Šumperk", "riha@sumperk.cz", "3334445556667778889", member, "", 18},
}

func TestReadMemberCSVFixtures(t *testing.T) {
	tests := []struct {
		name string
		path string
		want []MemberRow
	}{
		// Excel "CSV UTF-8": byte order mark, ";", CRLF.
		{"excel_csv_utf8", "testdata/members-excel-utf8.csv", excelMembers},
		// Excel "CSV" on a Czech Windows: windows-1250, ";", CRLF.
		{"excel_csv_windows_1250", "testdata/members-excel-cp1250.csv", excelMembers},
		{"quoted_fields_with_separators_and_line_breaks", "testdata/members-quoted.csv", []MemberRow{
			{"Nováková; Jana", "Městský úřad Šumperk; odbor sociálních věcí", "jana.novakova@sumperk.cz", "", "", "", 2},
			{"Ing. Petr Svoboda", `Spolek "Most k naději"; z. s.`, "petr.svoboda@olkraj.cz", "", "", "", 3},
			{"Lucie Dvořáková", "Městský úřad Zábřeh\nodbor školství", "dvorakova@zabreh.cz", "", "", "", 4},
			{"Tomáš Černý", "", "cerny@nemspk.cz", "", "", "", 6},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readMemberCSV(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d rows, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadMemberCSVReportsEveryBadRow(t *testing.T) {
	const path = "testdata/members-bad.csv"
	rows, err := readMemberCSV(path)
	if err == nil {
		t.Fatalf("no error; rows %+v", rows)
	}
	if rows != nil {
		t.Errorf("rows returned with the error: %+v", rows)
	}
	want := []string{
		path + `:4: no name`,
		path + `:6: discord_id "12345x": want a Discord user ID, digits only, e.g. 1203456789012345678`,
		path + `:7: “jana@” is not a valid e-mail address.`,
		path + `:8: e-mail "jana.novakova@sumperk.cz" is already on line 2`,
		path + `:9: role "starosta": want member or coordinator (člen, koordinátor), or nothing`,
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var ce *memberCSVError
	if !errors.As(err, &ce) || ce.File != path || ce.Line != 4 {
		t.Errorf("errors.As: %+v, want the first problem, line 4", ce)
	}
}

func TestReadMemberCSVMissingFile(t *testing.T) {
	_, err := readMemberCSV("testdata/no-such-members.csv")
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "no-such-members.csv") {
		t.Errorf("err = %v, want a not-exist error naming the file", err)
	}
}

func TestParseMemberCSV(t *testing.T) {
	const jana = "Jana Nováková,MÚ Šumperk,jana@sumperk.cz"
	tests := []struct {
		name string
		data string
		want []MemberRow
	}{
		{"comma_lf", "name,organisation,email\n" + jana + "\n",
			[]MemberRow{{"Jana Nováková", "MÚ Šumperk", "jana@sumperk.cz", "", "", "", 2}}},
		{"no_final_newline", "name,organisation,email\n" + jana,
			[]MemberRow{{"Jana Nováková", "MÚ Šumperk", "jana@sumperk.cz", "", "", "", 2}}},
		{"semicolon_crlf_bom", "\ufeffname;organisation;email\r\nJana Nováková;MÚ Šumperk, odbor 1;jana@sumperk.cz\r\n",
			[]MemberRow{{"Jana Nováková", "MÚ Šumperk, odbor 1", "jana@sumperk.cz", "", "", "", 2}}},
		{"columns_in_any_order_and_case", "E-MAIL,Role,Discord_ID,ORGANIZACE,Jmeno\nJana@Sumperk.CZ,Coordinator,1203456789012345678,MÚ,Jana\n",
			[]MemberRow{{"Jana", "MÚ", "jana@sumperk.cz", "1203456789012345678", coordinator, "", 2}}},
		{"czech_headers_with_diacritics", "Jméno;Organizace;E-mail;Role\nJana;MÚ;jana@sumperk.cz;člen\nPetr;KÚ;petr@olkraj.cz;koordinator\n",
			[]MemberRow{{"Jana", "MÚ", "jana@sumperk.cz", "", member, "", 2}, {"Petr", "KÚ", "petr@olkraj.cz", "", coordinator, "", 3}}},
		{"role_spellings", "name,organisation,email,role\na,,a@x.cz,clen\nb,,b@x.cz,KOORDINÁTORKA\nc,,c@x.cz,member\nd,,d@x.cz,\n",
			[]MemberRow{{"a", "", "a@x.cz", "", member, "", 2}, {"b", "", "b@x.cz", "", coordinator, "", 3},
				{"c", "", "c@x.cz", "", member, "", 4}, {"d", "", "d@x.cz", "", "", "", 5}}},
		{"notify_column_in_czech", "jméno;organizace;e-mail;Oznámení\na;;a@x.cz;E-mail\nb;;b@x.cz;oboje\nc;;c@x.cz;\nd;;d@x.cz;discord\ne;;e@x.cz;automaticky\n",
			[]MemberRow{{"a", "", "a@x.cz", "", "", store.NotifyEmail, 2}, {"b", "", "b@x.cz", "", "", store.NotifyBoth, 3},
				{"c", "", "c@x.cz", "", "", "", 4}, {"d", "", "d@x.cz", "", "", store.NotifyDiscord, 5},
				{"e", "", "e@x.cz", "", "", store.NotifyAuto, 6}}},
		{"blank_lines_and_empty_rows_skipped", "\nname,organisation,email\n\n  \n,,\n" + jana + "\n\n",
			[]MemberRow{{"Jana Nováková", "MÚ Šumperk", "jana@sumperk.cz", "", "", "", 6}}},
		{"spaces_trimmed", "name , organisation,email\n  Jana Nováková ,  MÚ Šumperk , jana@sumperk.cz \n",
			[]MemberRow{{"Jana Nováková", "MÚ Šumperk", "jana@sumperk.cz", "", "", "", 2}}},
		{"decomposed_letters_composed", "name,organisation,email\nJana Nova\u0301kova\u0301,S\u030cumperk,jana@sumperk.cz\n",
			[]MemberRow{{"Jana Nováková", "Šumperk", "jana@sumperk.cz", "", "", "", 2}}},
		{"column_without_header_left_empty", "name;organisation;email;\nJana;MÚ;jana@sumperk.cz;\n",
			[]MemberRow{{"Jana", "MÚ", "jana@sumperk.cz", "", "", "", 2}}},
		{"windows_1250_without_bom", "name;organisation;email\n\x8ao\x9ak \x8ev\xe1\xe8ek;M\xda \xc8esk\xfd Krumlov;sosk@ck.cz\n",
			[]MemberRow{{"Šošk Žváček", "MÚ Český Krumlov", "sosk@ck.cz", "", "", "", 2}}},
		{"multi_line_quoted_field_counts_lines", "name,organisation,email\n\"Jana\",\"MÚ\r\nŠumperk\",jana@sumperk.cz\nPetr,KÚ,petr@olkraj.cz\n",
			[]MemberRow{{"Jana", "MÚ\nŠumperk", "jana@sumperk.cz", "", "", "", 2}, {"Petr", "KÚ", "petr@olkraj.cz", "", "", "", 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMemberCSV("members.csv", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMemberCSVErrors(t *testing.T) {
	const header = "name,organisation,email,discord_id,role\n"
	tests := []struct {
		name string
		data string
		want string // the whole error
	}{
		{"empty_file", "", `members.csv: empty file: the first line must be the header, e.g. name;organisation;email`},
		{"only_blank_lines", "\r\n\r\n;;\r\n", `members.csv: empty file: the first line must be the header, e.g. name;organisation;email`},
		{"header_only", header, `members.csv: no members below the header`},
		{"missing_column", "name;email\nJana;jana@sumperk.cz\n",
			`members.csv:1: no column organisation in the header (want name, organisation and email; discord_id, role and notify are optional)`},
		{"unknown_and_duplicate_columns", "name,organisation,email,telefon,E-mail\n",
			"members.csv:1: unknown column \"telefon\": the columns are name, organisation, email, discord_id, role and notify (or jméno, organizace, e-mail, oznámení)\n" +
				"members.csv:1: column email appears twice"},
		{"utf16", "\xff\xfen\x00a\x00", `members.csv: the file is UTF-16 (Excel's "Unicode Text"); save it as "CSV UTF-8"`},
		{"bom_but_not_utf8", "\ufeffname,organisation,email\nJana,M\xda,jana@sumperk.cz\n",
			`members.csv:2: not valid UTF-8, although the file starts with a UTF-8 byte order mark`},
		{"not_bare_address", header + "Jana,MÚ,Jana Nováková <jana@sumperk.cz>,,\n",
			`members.csv:2: “Jana Nováková <jana@sumperk.cz>”: write the address alone, e.g. jana@sumperk.cz.`},
		{"two_addresses", header + "Jana,MÚ,\"jana@sumperk.cz, jana@gmail.com\",,\n",
			`members.csv:2: “jana@sumperk.cz, jana@gmail.com” is not a valid e-mail address.`},
		{"domain_without_dot", header + "Jana,MÚ,jana@sumperkcz,,\n",
			`members.csv:2: “jana@sumperkcz” is not a valid e-mail address (the part after @ is not a domain).`},
		{"no_email", header + "Jana,MÚ,,,\n", `members.csv:2: no e-mail address`},
		{"unknown_notify", "name,organisation,email,kanál\nJana,MÚ,jana@sumperk.cz,sms\n",
			`members.csv:2: notify "sms": want auto, discord, email or both (automaticky, discord, e-mail, oboje)`},
		{"duplicate_email_other_case", header + "Jana,MÚ,jana@sumperk.cz,,\nJana N.,MÚ,JANA@Sumperk.cz,,\n",
			`members.csv:3: e-mail "jana@sumperk.cz" is already on line 2`},
		{"duplicate_discord_id", header + "Jana,MÚ,jana@sumperk.cz,1203456789012345678,\nPetr,KÚ,petr@olkraj.cz,1203456789012345678,\n",
			`members.csv:3: discord_id 1203456789012345678 is already on line 2`},
		{"discord_id_mangled_by_excel", "name;organisation;email;discord_id\nJana;MÚ;jana@sumperk.cz;1,20346E+18\n",
			`members.csv:2: discord_id "1,20346E+18": Excel turned the ID into a number; format the column as Text and enter the IDs again`},
		{"discord_id_too_long", header + "Jana,MÚ,jana@sumperk.cz,123456789012345678901,\n",
			`members.csv:2: discord_id "123456789012345678901": too long for a Discord user ID`},
		{"discord_mention_not_id", header + "Jana,MÚ,jana@sumperk.cz,<@1203456789012345678>,\n",
			`members.csv:2: discord_id "<@1203456789012345678>": want a Discord user ID, digits only, e.g. 1203456789012345678`},
		{"value_in_column_without_header", "name;organisation;email;\nJana;MÚ;jana@sumperk.cz;poznámka\n",
			`members.csv:2: "poznámka" is in column 4, which has no header`},
		{"too_few_fields", header + "Jana,MÚ,jana@sumperk.cz\n",
			`members.csv:2: 3 fields, but the header has 5 (a field that contains "," must be in quotes)`},
		{"unquoted_separator", "name;organisation;email\nJana;MÚ; odbor 1;jana@sumperk.cz\n",
			`members.csv:2: 4 fields, but the header has 3 (a field that contains ";" must be in quotes)`},
		{"bare_quote", header + "Jana,Spolek \"Most\",jana@sumperk.cz,,\nPetr,KÚ,petr@,,\n",
			"members.csv:2: a \" inside a field that does not start with one; put the field in quotes and double the \" inside (\"Spolek \"\"Most\"\"\")\n" +
				`members.csv:3: “petr@” is not a valid e-mail address.`},
		{"text_after_closing_quote", header + "Jana,\"Spolek\" Most,jana@sumperk.cz,,\n",
			`members.csv:2: a quoted field has text after its closing " (or is not closed)`},
		{"quote_never_closed", header + "Jana,\"Spolek Most,jana@sumperk.cz,,\nPetr,KÚ,petr@olkraj.cz,,\n",
			`members.csv:2: a quoted field is not closed (or has text after its closing ") by line 3`},
		{"all_problems_of_a_row", header + ",MÚ,jana@,x,boss\n",
			"members.csv:2: no name\n" +
				"members.csv:2: “jana@” is not a valid e-mail address.\n" +
				"members.csv:2: discord_id \"x\": want a Discord user ID, digits only, e.g. 1203456789012345678\n" +
				"members.csv:2: role \"boss\": want member or coordinator (člen, koordinátor), or nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := parseMemberCSV("members.csv", []byte(tt.data))
			if err == nil {
				t.Fatalf("no error; rows %+v", rows)
			}
			if rows != nil {
				t.Errorf("rows returned with the error: %+v", rows)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}
