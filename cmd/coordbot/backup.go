package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

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
	// The whole bytes of oversized imported mail live beside the database,
	// named by their hash and never changed: they are copied beside the
	// backup.
	src := quarantineDir(g.cfg.Database.Path)
	n, err := copyQuarantine(src, filepath.Join(file+".d", "quarantine"))
	if err != nil {
		return fmt.Errorf("backup: the database is copied, but not the kept mail of %s: %w", src, err)
	}
	if n > 0 {
		fmt.Fprintf(e.stdout, "%d oversized messages kept beside the database copied to %s.d/quarantine\n", n, file)
	}
	return nil
}

// copyQuarantine copies the files of dir src (oversized mail, one file
// per message) into dst, mode 0600 in a 0700 folder, and returns how
// many; a missing src has nothing to copy.
func copyQuarantine(src, dst string) (int, error) {
	entries, err := os.ReadDir(src)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ent := range entries {
		if !ent.Type().IsRegular() {
			continue
		}
		if n == 0 {
			if err := os.MkdirAll(dst, 0o700); err != nil {
				return n, err
			}
		}
		if err := copyFile(filepath.Join(src, ent.Name()), filepath.Join(dst, ent.Name())); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// copyFile copies one file, never overwriting dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
