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
