package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"modernc.org/sqlite"
)

// Memory is what SQLite holds in memory for the store's open connections,
// in bytes, summed over them (sqlite3_db_status). It is allocated outside
// the Go heap, by the driver's C runtime, so Go's own figures miss it.
type Memory struct {
	// Conns is the number of connections summed (the writer and the
	// readers open at the time).
	Conns int
	// Cache is the page caches, Schema the parsed schemas, Stmt the
	// prepared statements, Lookaside the lookaside buffers in use.
	Cache, Schema, Stmt, Lookaside int64
}

// Memory sums SQLite's memory over the open connections. It holds the
// connections it reads until the end, so that the pool hands out each
// once; a connection still busy after memoryWait is left out (Conns says
// how many were summed), so that a reader waiting for a second connection
// while holding one is never kept waiting by this. For diagnostics, not
// for a hot path.
func (s *Store) Memory(ctx context.Context) (Memory, error) {
	var m Memory
	ctx, cancel := context.WithTimeout(ctx, memoryWait)
	defer cancel()
	if err := addMemory(ctx, s.db, 1, &m); err != nil {
		return m, err
	}
	if err := addMemory(ctx, s.rdb, s.rdb.Stats().OpenConnections, &m); err != nil {
		return m, err
	}
	return m, nil
}

// memoryWait bounds how long Memory waits for busy connections.
const memoryWait = 200 * time.Millisecond

// addMemory adds the figures of up to n connections of db to m, holding
// them until it returns; it stops early, without an error, when ctx ends.
func addMemory(ctx context.Context, db *sql.DB, n int, m *Memory) error {
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if ctx.Err() != nil {
			return nil // the rest are busy: leave them out
		}
		if err != nil {
			return fmt.Errorf("store: memory: %w", err)
		}
		conns = append(conns, c)
		err = c.Raw(func(dc any) error {
			st, ok := dc.(sqlite.DBStatus)
			if !ok {
				return fmt.Errorf("store: memory: driver connection %T has no status", dc)
			}
			for _, f := range []struct {
				op  sqlite.DBStatusOp
				dst *int64
			}{
				{sqlite.DBStatusCacheUsed, &m.Cache},
				{sqlite.DBStatusSchemaUsed, &m.Schema},
				{sqlite.DBStatusStmtUsed, &m.Stmt},
				{sqlite.DBStatusLookasideUsed, &m.Lookaside},
			} {
				cur, _, err := st.Status(f.op, false)
				if err != nil {
					return fmt.Errorf("store: memory: %w", err)
				}
				*f.dst += int64(cur)
			}
			return nil
		})
		if err != nil {
			return err
		}
		m.Conns++
	}
	return nil
}
