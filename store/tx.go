package store

import (
	"context"
	"database/sql"
	"sync"
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
	// enqueued counts the outbox rows the transaction added.
	enqueued int
}

// Write runs fn in one write transaction (BEGIN IMMEDIATE on the single
// writer connection) and commits it when fn returns nil; any error rolls
// everything back.
//
// ctx bounds the wait for the write lock and the transaction: when it
// ends, database/sql rolls the transaction back and its next statement
// fails. The statements themselves run without it: BEGIN IMMEDIATE has
// taken the lock, so none of them waits for another process, and the
// SQLite driver starts a goroutine per statement to interrupt it when a
// cancellable context ends (5–10 % of the CPU of a burst of answers).
func (s *Store) Write(ctx context.Context, fn func(tx *Tx) error) error {
	s.stmts.prepare(ctx, s.db)
	return s.update(ctx, func(tx *sql.Tx) error {
		return fn(&Tx{ctx: context.WithoutCancel(ctx), tx: tx, s: s, now: s.now()})
	})
}

// Enqueued reports how many outbox rows the transaction has added (or
// brought back) so far; the core wakes the scheduler only when it did.
func (t *Tx) Enqueued() int { return t.enqueued }

// Now is the store's clock when the transaction began: every stamp the
// transaction writes uses it.
func (t *Tx) Now() time.Time { return fromUnix(t.now) }

// QueryRowContext implements querier with the writer's prepared
// statements: a query the store runs in write transactions is parsed once,
// not in every transaction, which keeps the time the write lock is held
// short when many people click at once.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.s.stmts.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// QueryContext implements querier; see QueryRowContext.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.s.stmts.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// ExecContext implements querier; see QueryRowContext.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.s.stmts.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// stmtCache holds the writer connection's prepared statements. A query
// seen inside a transaction is noted, and prepared before the next
// transaction begins: preparing needs the writer connection, which the
// transaction holds.
type stmtCache struct {
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
	closed  bool
}

// maxStmts bounds the cache; queries built with varying text (IN lists of
// different lengths) beyond it simply run unprepared.
const maxStmts = 200

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.stmts[query]; st != nil {
		return st
	}
	if c.pending == nil {
		c.pending = map[string]bool{}
	}
	if len(c.stmts)+len(c.pending) < maxStmts {
		c.pending[query] = true
	}
	return nil
}

// prepare prepares the queries noted since the last call. A query that
// fails to prepare (a schema not migrated yet) is dropped and noted again
// when it next runs.
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	if len(c.pending) == 0 || c.closed {
		c.mu.Unlock()
		return
	}
	todo := c.pending
	c.pending = nil
	c.mu.Unlock()
	for q := range todo {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.stmts == nil {
			c.stmts = map[string]*sql.Stmt{}
		}
		if c.closed || c.stmts[q] != nil {
			st.Close()
		} else {
			c.stmts[q] = st
		}
		c.mu.Unlock()
	}
}

// close closes the statements; the cache prepares none after it.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

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
