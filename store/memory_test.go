package store_test

import (
	"context"
	"testing"

	"coordbot/store"
)

// TestMemoryCountsTheCaches: after reads, the connections' page caches and
// schemas show in Memory, summed over the writer and the open readers.
func TestMemoryCountsTheCaches(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, t.TempDir()+"/m.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ArchiveMessages(ctx, store.ArchiveFilter{}); err != nil {
		t.Fatal(err)
	}
	m, err := s.Memory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Conns < 2 {
		t.Errorf("Conns = %d, want the writer and at least one reader", m.Conns)
	}
	if m.Cache <= 0 || m.Schema <= 0 {
		t.Errorf("Memory = %+v, want page cache and schema in use after a read", m)
	}
}

// TestMemoryLeavesOutBusyConnections: with every reader held by others,
// Memory returns at once with the writer only instead of waiting for them.
func TestMemoryLeavesOutBusyConnections(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, t.TempDir()+"/m.db", store.Options{ReadConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release, err := s.HoldReaders(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	m, err := s.Memory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Conns != 1 {
		t.Errorf("Conns = %d with both readers busy, want 1 (the writer)", m.Conns)
	}
}

// TestCacheSizeOptions: CacheKiB and ReadCacheKiB set the writer's and the
// readers' page cache bounds; without them SQLite's default holds.
func TestCacheSizeOptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.Open(ctx, dir+"/c.db", store.Options{CacheKiB: 1024, ReadCacheKiB: 64})
	if err != nil {
		t.Fatal(err)
	}
	w, r, err := s.CacheSizes(ctx)
	s.Close()
	if err != nil || w != -1024 || r != -64 {
		t.Errorf("cache sizes = writer %d, reader %d (%v), want -1024, -64", w, r, err)
	}
	s, err = store.Open(ctx, dir+"/c.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if w, r, err := s.CacheSizes(ctx); err != nil || w != -2000 || r != -2000 {
		t.Errorf("default cache sizes = writer %d, reader %d (%v), want SQLite's -2000", w, r, err)
	}
}
