package main

import (
	"errors"
	"flag"
	"strings"
)

// parseArgs parses a subcommand's arguments with fs, letting flags come
// before, between or after the positional arguments, so that both
//
//	coordbot rsvp 12 jana@obec.cz yes -note "pozdě"
//	coordbot rsvp -note "pozdě" 12 jana@obec.cz yes
//
// work. The standard parser stops at the first positional argument; this
// one takes that argument and parses the rest again, until nothing is left.
// "--" ends the flags: everything after it is positional, even "-5" or
// "-h". A positional argument that starts with "-" (a negative number)
// therefore needs "--" before it.
//
// It returns the positional arguments in order; fs.Args, fs.NArg and
// fs.Arg report them too. -h and -help, when fs does not define them,
// return [flag.ErrHelp] after fs.Usage has printed the help (to stdout:
// see newFlagSet), and the command exits 0; any other mistake is a usage
// error (exit 2) naming the subcommand.
func parseArgs(fs *flag.FlagSet, args []string) (positional []string, err error) {
	flags, after := splitAtDashes(fs, args)
	for {
		if err := fs.Parse(flags); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v (see coordbot %s -h)", fs.Name(), err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// Parse stopped at a positional argument, since flags holds no
		// terminating "--".
		positional = append(positional, rest[0])
		flags = rest[1:]
	}
	positional = append(positional, after...)
	// A leading "--" sets fs.Args to the positional arguments without
	// touching any flag, so fs.Arg and fs.NArg agree with the result.
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return nil, usagef("%s: %v", fs.Name(), err) // cannot happen: nothing is parsed after "--"
	}
	return positional, nil
}

// splitAtDashes splits args at the "--" that ends the flags: one that is
// not the value of a preceding flag (in "-note -- x" it is the note). It
// follows the rules of [flag.FlagSet.Parse]: a flag written without "="
// takes the next argument as its value unless it is a boolean flag. The
// "--" itself is in neither part; after is nil when there is none.
// Mistakes (unknown flags, bad syntax) are left for Parse to report.
func splitAtDashes(fs *flag.FlagSet, args []string) (flags, after []string) {
	for i := 0; i < len(args); i++ {
		s := args[i]
		if s == "--" {
			return args[:i], args[i+1:]
		}
		if len(s) < 2 || s[0] != '-' {
			continue // positional
		}
		name := strings.TrimPrefix(s[1:], "-")
		if strings.Contains(name, "=") {
			continue // value given inline
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) {
			i++ // the next argument is the value, even if it is "--"
		}
	}
	return args, nil
}

// isBoolFlag reports whether f takes no value, as the flag package decides
// it (its boolFlag interface is not exported).
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
