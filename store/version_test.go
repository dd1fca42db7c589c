package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"coordbot/store"
)

func TestNegativeSchemaVersionIsAnErrorNotAPanic(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = -1"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	for name, open := range map[string]func() (*store.Store, error){
		"Open": func() (*store.Store, error) { return store.Open(ctx, path, store.Options{}) },
		"OpenNoMigrate+Migrate": func() (*store.Store, error) {
			s, err := store.OpenNoMigrate(ctx, path, store.Options{})
			if err != nil {
				return nil, err
			}
			defer s.Close()
			_, err = s.Migrate(ctx)
			return nil, err
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := open()
			if s != nil {
				s.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "schema version -1") {
				t.Errorf("err = %v, want one naming schema version -1", err)
			}
		})
	}
}
