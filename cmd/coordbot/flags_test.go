package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// rsvpFlags is the flag set of a subcommand like `coordbot rsvp ID EMAIL
// ANSWER [-note TEXT] [-all] [-n N]`, set up as newFlagSet does: errors are
// returned, not printed, and help goes to stdout.
type rsvpFlags struct {
	fs   *flag.FlagSet
	note *string
	all  *bool
	n    *int
}

func newRSVPFlags(stdout io.Writer) *rsvpFlags {
	fs := flag.NewFlagSet("rsvp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(stdout)
		fmt.Fprintln(stdout, "Usage: coordbot rsvp ID EMAIL yes|no|maybe [-note TEXT]")
		fs.PrintDefaults()
	}
	return &rsvpFlags{
		fs:   fs,
		note: fs.String("note", "", "a `note` for the organiser"),
		all:  fs.Bool("all", false, "all meetings"),
		n:    fs.Int("n", 0, "a number"),
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantPos  []string
		wantNote string
		wantAll  bool
		wantN    int
	}{
		{"flags_after_positional", []string{"12", "jana@obec.cz", "yes", "-note", "pozdě"},
			[]string{"12", "jana@obec.cz", "yes"}, "pozdě", false, 0},
		{"flags_before_positional", []string{"-note", "pozdě", "12", "jana@obec.cz", "yes"},
			[]string{"12", "jana@obec.cz", "yes"}, "pozdě", false, 0},
		{"flags_between_positional", []string{"12", "-n", "3", "jana@obec.cz", "-all", "yes"},
			[]string{"12", "jana@obec.cz", "yes"}, "", true, 3},
		{"inline_values_and_double_dash_flags", []string{"12", "--note=a b", "-n=7", "--all"},
			[]string{"12"}, "a b", true, 7},
		{"no_arguments", nil, nil, "", false, 0},
		{"only_flags", []string{"-all", "-note", "x"}, nil, "x", true, 0},
		{"bool_flag_takes_no_value", []string{"-all", "12"}, []string{"12"}, "", true, 0},
		{"bool_flag_explicit_false", []string{"-all=false", "12"}, []string{"12"}, "", false, 0},
		{"last_value_wins", []string{"-note", "a", "12", "-note", "b"}, []string{"12"}, "b", false, 0},
		{"dashes_end_flags", []string{"12", "--", "-note", "x", "--"},
			[]string{"12", "-note", "x", "--"}, "", false, 0},
		{"dashes_first", []string{"--", "-h", "12"}, []string{"-h", "12"}, "", false, 0},
		{"dashes_at_end", []string{"12", "-all", "--"}, []string{"12"}, "", true, 0},
		{"negative_number_after_dashes", []string{"-n", "1", "--", "-5"}, []string{"-5"}, "", false, 1},
		{"dashes_as_a_value", []string{"-note", "--", "12", "-all"}, []string{"12"}, "--", true, 0},
		{"dashes_as_a_value_then_terminator", []string{"12", "-note", "--", "--", "-all"},
			[]string{"12", "-all"}, "--", false, 0},
		{"value_that_looks_like_a_flag", []string{"12", "-note", "-all"}, []string{"12"}, "-all", false, 0},
		{"lone_dash_is_positional", []string{"-", "-note", "x"}, []string{"-"}, "x", false, 0},
		{"empty_positional_kept", []string{"", "-all", ""}, []string{"", ""}, "", true, 0},
		{"czech_text", []string{"12", "-note", "přijdu později, žádný problém"}, []string{"12"},
			"přijdu později, žádný problém", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			f := newRSVPFlags(&stdout)
			pos, err := parseArgs(f.fs, tt.args)
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tt.args, err)
			}
			if !slices.Equal(pos, tt.wantPos) {
				t.Errorf("positional = %q, want %q", pos, tt.wantPos)
			}
			if !slices.Equal(f.fs.Args(), pos) || f.fs.NArg() != len(pos) {
				t.Errorf("fs.Args() = %q, want the positional arguments %q", f.fs.Args(), pos)
			}
			if *f.note != tt.wantNote || *f.all != tt.wantAll || *f.n != tt.wantN {
				t.Errorf("note %q, all %v, n %d; want %q, %v, %d", *f.note, *f.all, *f.n, tt.wantNote, tt.wantAll, tt.wantN)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q", stdout.String())
			}
		})
	}
}

func TestParseArgsHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"h_first", []string{"-h"}},
		{"help_first", []string{"-help", "12"}},
		{"h_after_positional", []string{"12", "jana@obec.cz", "-h"}},
		{"help_after_flags", []string{"12", "-note", "x", "--help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			f := newRSVPFlags(&stdout)
			pos, err := parseArgs(f.fs, tt.args)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("err = %v, want flag.ErrHelp", err)
			}
			if pos != nil {
				t.Errorf("positional = %q, want nil", pos)
			}
			if code := exitCode(err); code != exitOK {
				t.Errorf("exit code %d, want 0", code)
			}
			if out := stdout.String(); !strings.HasPrefix(out, "Usage: coordbot rsvp ") || !strings.Contains(out, "-note note") {
				t.Errorf("stdout = %q, want the usage", out)
			}
		})
	}
}

func TestParseArgsMistakes(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown_flag_after_positional", []string{"12", "-nope"},
			"rsvp: flag provided but not defined: -nope (see coordbot rsvp -h)"},
		{"unknown_flag_first", []string{"-nope", "12"},
			"rsvp: flag provided but not defined: -nope (see coordbot rsvp -h)"},
		{"missing_value_at_end", []string{"12", "-note"},
			"rsvp: flag needs an argument: -note (see coordbot rsvp -h)"},
		{"bad_number_after_positional", []string{"12", "-n", "tři"},
			`rsvp: invalid value "tři" for flag -n: parse error (see coordbot rsvp -h)`},
		{"bad_bool", []string{"-all=snad"},
			`rsvp: invalid boolean value "snad" for -all: parse error (see coordbot rsvp -h)`},
		{"negative_number_needs_dashes", []string{"12", "-5"},
			"rsvp: flag provided but not defined: -5 (see coordbot rsvp -h)"},
		{"bad_syntax", []string{"12", "---note"},
			"rsvp: bad flag syntax: ---note (see coordbot rsvp -h)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRSVPFlags(io.Discard)
			pos, err := parseArgs(f.fs, tt.args)
			if err == nil {
				t.Fatalf("no error; positional %q", pos)
			}
			var ue *usageError
			if !errors.As(err, &ue) || exitCode(err) != exitUsage {
				t.Errorf("err = %v (%T), want a usage error (exit 2)", err, err)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("Error() = %q, want %q", err, tt.wantErr)
			}
			if pos != nil {
				t.Errorf("positional = %q, want nil", pos)
			}
		})
	}
}
