package store

import (
	"context"
	"database/sql"
)

// HoldReaders takes n reader connections and keeps them until release.
func (s *Store) HoldReaders(ctx context.Context, n int) (release func(), err error) {
	var conns []*sql.Conn
	release = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for range n {
		c, err := s.rdb.Conn(ctx)
		if err != nil {
			release()
			return nil, err
		}
		conns = append(conns, c)
	}
	return release, nil
}

// CacheSizes reads PRAGMA cache_size on the writer and on a reader.
func (s *Store) CacheSizes(ctx context.Context) (writer, reader int, err error) {
	if err := s.db.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&writer); err != nil {
		return 0, 0, err
	}
	err = s.rdb.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&reader)
	return writer, reader, err
}
