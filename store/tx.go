package store

import (
	"context"
	"database/sql"
	"time"
)

// Tx is one write transaction. The core composes a use case in it: the
// checks it reads, the domain rows it writes and the outbox rows they cause
// commit together or not at all. A Tx is valid only inside the function
// given to [Store.Write].
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	s   *Store
	now int64
}

// Write runs fn in one write transaction (BEGIN IMMEDIATE on the single
// writer connection) and commits it when fn returns nil; any error rolls
// everything back.
func (s *Store) Write(ctx context.Context, fn func(tx *Tx) error) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		return fn(&Tx{ctx: ctx, tx: tx, s: s, now: s.now()})
	})
}

// Now is the store's clock when the transaction began: every stamp the
// transaction writes uses it.
func (t *Tx) Now() time.Time { return fromUnix(t.now) }

// querier is what *sql.Tx, *sql.DB and *sql.Conn have in common: helpers
// that take one run in a read snapshot or inside a write transaction alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryAll runs q and scans every row with scan.
func queryAll[T any](ctx context.Context, db querier, op string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, dbError(op, err)
		}
		out = append(out, v)
	}
	return out, dbError(op, rows.Err())
}
