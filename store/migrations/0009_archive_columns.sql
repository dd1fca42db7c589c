-- coordbot: foreign_keys off
-- 0009: archive_messages rebuilt with its large columns last again.
--
-- Migration 0006 added kind, action and action_state with ALTER TABLE ADD
-- COLUMN, which appends: they came after body_text and raw. SQLite reads a
-- row's columns in order, and body_text and raw (10-30 KB a message) spill
-- into overflow pages, so reading kind walked each message's overflow chain:
-- a search that looked at the kind of 4,000 matches read ~100 MB of pages.
--
-- SQLite cannot reorder columns, so the table is rebuilt the way
-- https://www.sqlite.org/lang_altertable.html ("Making Other Kinds Of Table
-- Schema Changes") says: create the new table, copy, drop the old one,
-- rename, recreate its indexes (it has no triggers or views). The first line
-- of this file makes the migration run with foreign_keys off (store/migrate.go):
-- with them on, DROP TABLE would delete every attachment through
-- archive_attachments' ON DELETE CASCADE. Ids are copied, so the attachments'
-- message_id and the full-text index's rowids still point at their messages;
-- migrate.go runs PRAGMA foreign_key_check before it commits.
CREATE TABLE archive_messages_new (
    id           INTEGER PRIMARY KEY,
    -- Without angle brackets. NULL when the message has none; UNIQUE for the rest.
    message_id   TEXT    UNIQUE CHECK (message_id IS NULL OR message_id <> ''),
    -- Hex SHA-256 of raw: recognises a re-delivered message without a Message-ID.
    content_hash TEXT    NOT NULL UNIQUE,
    from_addr    TEXT    NOT NULL DEFAULT '',
    from_name    TEXT    NOT NULL DEFAULT '',
    subject      TEXT    NOT NULL DEFAULT '',
    -- The Date header; NULL when missing or unreadable.
    sent_at      INTEGER,
    received_at  INTEGER NOT NULL,
    in_reply_to  TEXT    NOT NULL DEFAULT '',
    -- Space-separated Message-IDs from References.
    refs         TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL,
    group_id     INTEGER REFERENCES groups (id) ON DELETE SET NULL,
    meeting_id   INTEGER REFERENCES meetings (id) ON DELETE SET NULL,
    state        TEXT    NOT NULL CHECK (state IN ('archived', 'quarantined')),
    reason       TEXT    NOT NULL DEFAULT '',
    -- Where it came from: "imap:INBOX" or a file path; for the operator.
    source       TEXT    NOT NULL DEFAULT '',
    -- What a stored message is: minutes (the archive proper), an answer or
    -- agenda reply to a message coordbot sent, or a delivery status report.
    kind         TEXT    NOT NULL DEFAULT 'minutes' CHECK (kind IN ('minutes', 'reply', 'bounce')),
    -- What the message asks the core to do (JSON), and whether it was done.
    action       TEXT    NOT NULL DEFAULT '',
    action_state TEXT    NOT NULL DEFAULT '' CHECK (action_state IN ('', 'pending', 'done', 'refused')),
    -- The large columns last: SQLite reads a row's columns in order, so a
    -- query of the small ones above never walks the blobs' overflow pages.
    -- A column added later (ALTER TABLE ADD COLUMN appends) would come
    -- after these: add it by rebuilding the table like this file does.
    body_text    TEXT    NOT NULL DEFAULT '',
    raw          BLOB    NOT NULL,
    CHECK (state = 'archived' OR reason <> '')
);

INSERT INTO archive_messages_new (id, message_id, content_hash, from_addr, from_name, subject, sent_at, received_at,
    in_reply_to, refs, size, group_id, meeting_id, state, reason, source, kind, action, action_state, body_text, raw)
SELECT id, message_id, content_hash, from_addr, from_name, subject, sent_at, received_at,
    in_reply_to, refs, size, group_id, meeting_id, state, reason, source, kind, action, action_state, body_text, raw
FROM archive_messages;

DROP TABLE archive_messages;
ALTER TABLE archive_messages_new RENAME TO archive_messages;

-- The indexes of 0001 and 0006, which DROP TABLE removed.
CREATE INDEX archive_messages_meeting ON archive_messages (meeting_id);
CREATE INDEX archive_messages_sent ON archive_messages (sent_at);
CREATE INDEX archive_messages_action_pending ON archive_messages (id) WHERE action_state = 'pending';
CREATE INDEX archive_messages_kind ON archive_messages (kind);
-- New: lists and searches sort by date (the Date header, else the time of
-- arrival), newest first, then by id. Walking this index they stop after a
-- page instead of sorting every match, and the filters they apply to each
-- message they pass (state, kind, group, meeting) are read from the index,
-- not from the row.
CREATE INDEX archive_messages_date ON archive_messages
    (coalesce(sent_at, received_at), id, state, kind, group_id, meeting_id);
