package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"coordbot/store"
)

// cmdBackup writes a consistent copy of the database while serve or an
// import may be writing to it. It neither migrates the database nor syncs
// the groups: the copy is the database as it is.
func (e *env) cmdBackup(ctx context.Context, g *globals, args []string) error {
	fset := e.newFlagSet("backup", "FILE (a consistent copy of the database, mode 0600; never overwrites)")
	rest, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("backup: give one file to write, e.g. coordbot backup /var/backups/coordbot-$(date +%%F).db")
	}
	file := rest[0]
	s, err := store.OpenNoMigrate(ctx, g.cfg.Database.Path, g.storeOptions())
	if errors.Is(err, store.ErrNoDatabase) {
		return noDatabase(g.cfg.Database.Path)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Backup(ctx, file); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("backup: %s exists; coordbot backup never overwrites a file (give a new name, e.g. with the date)", file)
		}
		return err
	}
	size := int64(0)
	if fi, err := os.Stat(file); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(e.stdout, "database %s backed up to %s (%d bytes)\n", g.cfg.Database.Path, file, size)
	return nil
}
