package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of sign-in links (Tx.UseLoginLink).
var (
	// ErrLinkUsed means the sign-in link was used already.
	ErrLinkUsed = errors.New("store: sign-in link used already")
	// ErrLinkExpired means the sign-in link's time is up.
	ErrLinkExpired = errors.New("store: sign-in link expired")
)

// LoginLinkKeep is how long a sign-in link's row is kept after it was
// made: longer than the hour the per-address limit counts, so that
// [Tx.PruneWeb] never lets a burst of requests past the limit, and long
// enough that a late click is told "expired", not "unknown".
const LoginLinkKeep = 24 * time.Hour

// webKeySetting is the settings key of the links' signing key.
const webKeySetting = "web_key"

// WebKey returns the key that signs the web pages' links (package links),
// creating 32 random bytes (settings key "web_key", base64) on first use.
// Every process that opens the database gets the same key, so links that
// serve mailed work in the next run too.
func (s *Store) WebKey(ctx context.Context) ([]byte, error) {
	if v, ok, err := s.Setting(ctx, webKeySetting); err != nil {
		return nil, err
	} else if ok {
		return decodeWebKey(v)
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("store: web key: %w", err)
	}
	var stored string
	err := s.Write(ctx, func(tx *Tx) error {
		// DO NOTHING keeps a key another process made first (between our
		// read and this write); the SELECT returns whichever is stored.
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO NOTHING`,
			webKeySetting, base64.StdEncoding.EncodeToString(fresh), tx.now); err != nil {
			return dbError("create web key", err)
		}
		return dbError("read web key", tx.QueryRowContext(ctx,
			`SELECT value FROM settings WHERE key = ?`, webKeySetting).Scan(&stored))
	})
	if err != nil {
		return nil, err
	}
	return decodeWebKey(stored)
}

// decodeWebKey reads the stored key, refusing one too short to sign with
// (a value someone edited by hand).
func decodeWebKey(v string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("store: setting %s is not a base64 key of 32 bytes or more: %w", webKeySetting, ErrInvalid)
	}
	return key, nil
}

// LoginLink is a sign-in link: mailed to Address, usable once, until
// Expires. Used is zero until it is used.
type LoginLink struct {
	ID, MemberID int64
	// Address is where the link was mailed: the member's address the
	// request named (lower case).
	Address                string
	Created, Expires, Used time.Time
}

const loginLinkColumns = `id, member_id, address, created_at, expires_at, used_at`

func scanLoginLink(sc scanner) (*LoginLink, error) {
	var l LoginLink
	var created, expires int64
	var used sql.NullInt64
	if err := sc.Scan(&l.ID, &l.MemberID, &l.Address, &created, &expires, &used); err != nil {
		return nil, err
	}
	l.Created, l.Expires, l.Used = fromUnix(created), fromUnix(expires), nullTime(used)
	return &l, nil
}

// CreateLoginLink records a sign-in link for the member, mailed to
// address, valid until expires; Created is the transaction's time.
func (t *Tx) CreateLoginLink(memberID int64, address string, expires time.Time) (*LoginLink, error) {
	l, err := scanLoginLink(t.QueryRowContext(t.ctx, `
		INSERT INTO login_links (member_id, address, created_at, expires_at) VALUES (?, ?, ?, ?)
		RETURNING `+loginLinkColumns,
		memberID, strings.ToLower(strings.TrimSpace(address)), t.now, unix(expires)))
	if err != nil {
		return nil, dbError("create login link", err)
	}
	return l, nil
}

// CountLoginLinks counts the sign-in links made for the member after
// since, used or not: the limit on how many mails requests can cause.
func (t *Tx) CountLoginLinks(memberID int64, since time.Time) (int, error) {
	var n int
	// Uses login_links_member (member_id, created_at).
	err := t.QueryRowContext(t.ctx, `SELECT count(*) FROM login_links WHERE member_id = ? AND created_at > ?`,
		memberID, unix(since)).Scan(&n)
	if err != nil {
		return 0, dbError("count login links", err)
	}
	return n, nil
}

// UseLoginLink uses up sign-in link id at now and returns it. An unknown
// link gives ErrNotFound, one used already ErrLinkUsed, one whose time is
// up ErrLinkExpired (wrapped); then nothing changes.
func (t *Tx) UseLoginLink(id int64, now time.Time) (*LoginLink, error) {
	// One statement both checks and marks: the link is used at most once
	// even if two clicks race (the writer runs one transaction at a time,
	// and the second finds used_at set).
	l, err := scanLoginLink(t.QueryRowContext(t.ctx, `
		UPDATE login_links SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+loginLinkColumns, unix(now), id, unix(now)))
	if err == nil {
		return l, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, dbError("use login link", err)
	}
	// Nothing was marked: read the row to say why.
	l, err = loginLink(t.ctx, t, id)
	if err != nil {
		return nil, err
	}
	if !l.Used.IsZero() {
		return nil, fmt.Errorf("store: login link %d: %w", id, ErrLinkUsed)
	}
	return nil, fmt.Errorf("store: login link %d: %w", id, ErrLinkExpired)
}

// LoginLink returns sign-in link id, or ErrNotFound.
func (s *Store) LoginLink(ctx context.Context, id int64) (*LoginLink, error) {
	return loginLink(ctx, s.rdb, id)
}

func loginLink(ctx context.Context, q querier, id int64) (*LoginLink, error) {
	l, err := scanLoginLink(q.QueryRowContext(ctx, `SELECT `+loginLinkColumns+` FROM login_links WHERE id = ?`, id))
	if err != nil {
		return nil, dbError(fmt.Sprintf("login link %d", id), err)
	}
	return l, nil
}

// Session is a signed-in browser's session.
type Session struct {
	MemberID         int64
	Created, Expires time.Time
}

// sessionHash is what the store keeps of a session's cookie.
func sessionHash(cookie string) []byte {
	sum := sha256.Sum256([]byte(cookie))
	return sum[:]
}

// CreateSession opens a session for the member from now until expires
// and returns the cookie's value: 32 random bytes, base64url (43
// characters). Only the value's SHA-256 is stored.
func (t *Tx) CreateSession(memberID int64, now, expires time.Time) (cookie string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("store: session id: %w", err)
	}
	cookie = base64.RawURLEncoding.EncodeToString(b)
	if _, err := t.ExecContext(t.ctx, `
		INSERT INTO web_sessions (id_hash, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		sessionHash(cookie), memberID, unix(now), unix(expires)); err != nil {
		return "", dbError("create session", err)
	}
	return cookie, nil
}

// SessionMember returns the member whose session the cookie's value
// opens, and the session; ErrNotFound when there is no such session or it
// has expired at now. It reads only (the read pool): a page view takes no
// write lock.
func (s *Store) SessionMember(ctx context.Context, cookie string, now time.Time) (*Member, *Session, error) {
	var m *Member
	var ses Session
	err := s.view(ctx, func(tx *sql.Tx) error {
		var created, expires int64
		err := tx.QueryRowContext(ctx, `
			SELECT member_id, created_at, expires_at FROM web_sessions WHERE id_hash = ? AND expires_at > ?`,
			sessionHash(cookie), unix(now)).Scan(&ses.MemberID, &created, &expires)
		if err != nil {
			return dbError("session", err)
		}
		ses.Created, ses.Expires = fromUnix(created), fromUnix(expires)
		m, err = memberByID(ctx, tx, ses.MemberID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return m, &ses, nil
}

// EndSession ends the session the cookie's value opens. Ending a session
// that does not exist (ended already, expired and pruned) is not an
// error: signing out twice signs out.
func (s *Store) EndSession(ctx context.Context, cookie string) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = ?`, sessionHash(cookie))
		return dbError("end session", err)
	})
}

// PruneWeb deletes sessions expired at now and sign-in links made more
// than LoginLinkKeep before it. Both deletes walk an index from its low
// end and usually find nothing, so the use cases call it on every sign-in
// request.
func (t *Tx) PruneWeb(now time.Time) error {
	if _, err := t.ExecContext(t.ctx, `DELETE FROM web_sessions WHERE expires_at <= ?`, unix(now)); err != nil {
		return dbError("prune sessions", err)
	}
	if _, err := t.ExecContext(t.ctx, `DELETE FROM login_links WHERE created_at < ?`, unix(now.Add(-LoginLinkKeep))); err != nil {
		return dbError("prune login links", err)
	}
	return nil
}

// MemberGroups lists the groups the member belongs to, by slug.
func (s *Store) MemberGroups(ctx context.Context, memberID int64) ([]*Group, error) {
	// The same query as Tx.MemberGroups, on the read pool.
	return queryAll(ctx, s.rdb, "member groups", scanGroup, `
		SELECT `+prefixed("g.", groupColumns)+` FROM groups g
		JOIN memberships ms ON ms.group_id = g.id
		WHERE ms.member_id = ? ORDER BY g.slug`, memberID)
}

// Memberships lists the member's memberships (group and role), by the
// group's slug: the web pages' check of what a member may see and do.
func (s *Store) Memberships(ctx context.Context, memberID int64) ([]*Membership, error) {
	return queryAll(ctx, s.rdb, "memberships", func(sc scanner) (*Membership, error) {
		ms := Membership{MemberID: memberID}
		var joined int64
		if err := sc.Scan(&ms.GroupID, &ms.Role, &joined); err != nil {
			return nil, err
		}
		ms.JoinedAt = fromUnix(joined)
		return &ms, nil
	}, `
		SELECT ms.group_id, ms.role, ms.joined_at FROM memberships ms
		JOIN groups g ON g.id = ms.group_id
		WHERE ms.member_id = ? ORDER BY g.slug`, memberID)
}
