-- 0008: the web pages (issue "Web pages"): sign-in links sent by e-mail and
-- the sessions they open. The key that signs links is a row of settings
-- ('web_key'), made on first use.

-- A sign-in link: mailed to address (one of the member's, at the time of
-- the request), usable once (used_at) until expires_at. Rows outlive their
-- expiry by a day: the per-address limit counts the links of the last hour,
-- and a late click gets "expired" rather than "unknown".
-- AUTOINCREMENT: an id is never given twice, even after the cleanup has
-- deleted every row. The token in a mailed link is the id and its MAC, so
-- a reused id would let an old mail's link use someone else's new link.
CREATE TABLE login_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    address    TEXT    NOT NULL CHECK (address <> '' AND address = lower(address)),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
    used_at    INTEGER
);
-- The per-address limit: links of one member since an instant.
CREATE INDEX login_links_member ON login_links (member_id, created_at);
-- The cleanup: links created before an instant.
CREATE INDEX login_links_created ON login_links (created_at);

-- A signed-in browser. The cookie holds 32 random bytes; only their
-- SHA-256 is stored, so a copy of the database (a backup) opens no session.
CREATE TABLE web_sessions (
    id_hash    BLOB    PRIMARY KEY CHECK (length(id_hash) = 32),
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL CHECK (expires_at > created_at)
) WITHOUT ROWID;
-- The cleanup: sessions expired before an instant.
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
-- Deleting a member cascades here.
CREATE INDEX web_sessions_member ON web_sessions (member_id);
