-- 0001: the whole coordbot domain.
--
-- Conventions:
--   * Instants are INTEGER Unix seconds in UTC. A meeting keeps its IANA zone
--     beside its instant so wall-clock times are computed in that zone.
--   * Offsets (reminders etc.) are INTEGER seconds, or JSON arrays of them.
--   * Discord snowflakes are TEXT: they exceed 2^53 and JSON tools mangle them.
--   * Enumerations are TEXT with CHECK constraints so a bad value is refused
--     by the database itself, not only by Go code.
--
-- This file is append-only history: never edit it once released; add 0002_….sql.

-- A coordinator group (the regional working group, the municipal coordinators…).
CREATE TABLE groups (
    id                     INTEGER PRIMARY KEY,
    slug                   TEXT    NOT NULL UNIQUE CHECK (slug <> ''),
    name                   TEXT    NOT NULL CHECK (name <> ''),
    discord_channel_id     TEXT    NOT NULL DEFAULT '',
    coordinator_role_id    TEXT    NOT NULL DEFAULT '',
    time_zone              TEXT    NOT NULL DEFAULT 'Europe/Prague',
    locale                 TEXT    NOT NULL DEFAULT 'cs' CHECK (locale IN ('cs', 'en')),
    -- JSON array of seconds before the meeting, longest first: [604800,86400,3600].
    reminder_offsets       TEXT    NOT NULL DEFAULT '[604800,86400,3600]',
    agenda_call_offset     INTEGER NOT NULL DEFAULT 1209600 CHECK (agenda_call_offset >= 0),
    agenda_deadline_offset INTEGER NOT NULL DEFAULT 259200 CHECK (agenda_deadline_offset >= 0),
    nudge_offset           INTEGER NOT NULL DEFAULT 259200 CHECK (nudge_offset >= 0),
    -- Seconds AFTER the meeting's start.
    minutes_nudge_offset   INTEGER NOT NULL DEFAULT 604800 CHECK (minutes_nudge_offset >= 0),
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);

-- A person. discord_user_id is NULL for people known only by e-mail; UNIQUE
-- still holds for the non-NULL ones (SQLite treats NULLs as distinct).
CREATE TABLE members (
    id              INTEGER PRIMARY KEY,
    discord_user_id TEXT    UNIQUE CHECK (discord_user_id IS NULL OR discord_user_id <> ''),
    display_name    TEXT    NOT NULL CHECK (display_name <> ''),
    organisation    TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- E-mail addresses recognise who sends minutes. Stored lower-case; one
-- address belongs to one member.
CREATE TABLE member_emails (
    address   TEXT    PRIMARY KEY CHECK (address <> '' AND address = lower(address)),
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE
);
CREATE INDEX member_emails_member ON member_emails (member_id);

CREATE TABLE memberships (
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    role      TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'coordinator')),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX memberships_member ON memberships (member_id);

CREATE TABLE meetings (
    id                      INTEGER PRIMARY KEY,
    group_id                INTEGER NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
    title                   TEXT    NOT NULL CHECK (trim(title) <> ''),
    starts_at               INTEGER NOT NULL,
    time_zone               TEXT    NOT NULL CHECK (time_zone <> ''),
    duration_minutes        INTEGER NOT NULL DEFAULT 120 CHECK (duration_minutes > 0),
    place                   TEXT    NOT NULL DEFAULT '',
    online_url              TEXT    NOT NULL DEFAULT '',
    status                  TEXT    NOT NULL DEFAULT 'scheduled'
                                    CHECK (status IN ('scheduled', 'cancelled', 'held')),
    -- Who runs this meeting (gets the minutes nudge); NULL: the group's coordinators.
    coordinator_id          INTEGER REFERENCES members (id) ON DELETE SET NULL,
    discord_event_id        TEXT    NOT NULL DEFAULT '',
    -- The bot's announcement message, edited to show current counts.
    announcement_channel_id TEXT    NOT NULL DEFAULT '',
    announcement_message_id TEXT    NOT NULL DEFAULT '',
    -- Per-meeting overrides of the group's offsets; NULL means "the group's".
    reminder_offsets        TEXT,
    agenda_call_offset      INTEGER CHECK (agenda_call_offset >= 0),
    agenda_deadline_offset  INTEGER CHECK (agenda_deadline_offset >= 0),
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
CREATE INDEX meetings_group_start ON meetings (group_id, starts_at);

CREATE TABLE agenda_items (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES members (id) ON DELETE SET NULL,
    title      TEXT    NOT NULL CHECK (trim(title) <> '' AND length(title) <= 200),
    details    TEXT    NOT NULL DEFAULT '' CHECK (length(details) <= 4000),
    position   INTEGER NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'accepted', 'withdrawn')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);

-- The current answer: one row per member and meeting (the primary key).
CREATE TABLE rsvps (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    answer     TEXT    NOT NULL CHECK (answer IN ('yes', 'no', 'maybe')),
    substitute TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
) WITHOUT ROWID;

-- Every answer ever given, appended in the same transaction as the upsert.
CREATE TABLE rsvp_history (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    answer      TEXT    NOT NULL CHECK (answer IN ('yes', 'no', 'maybe')),
    substitute  TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    answered_at INTEGER NOT NULL
);
CREATE INDEX rsvp_history_meeting_member ON rsvp_history (meeting_id, member_id);

-- The outbox: every message coordbot will send, due or done.
CREATE TABLE notifications (
    id                 INTEGER PRIMARY KEY,
    group_id           INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    meeting_id         INTEGER REFERENCES meetings (id) ON DELETE CASCADE,
    kind               TEXT    NOT NULL CHECK (kind <> ''),
    due_at             INTEGER NOT NULL,
    -- Exactly one target: a channel, or a member's direct messages.
    channel_id         TEXT    NOT NULL DEFAULT '',
    member_id          INTEGER REFERENCES members (id) ON DELETE CASCADE,
    idempotency_key    TEXT    NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    -- Kind-specific data (JSON object), never message text with personal data.
    payload            TEXT    NOT NULL DEFAULT '{}',
    state              TEXT    NOT NULL DEFAULT 'pending'
                               CHECK (state IN ('pending', 'claimed', 'sent', 'failed', 'skipped', 'cancelled')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    -- While claimed: the lease. A claim whose lease ran out (the sender
    -- crashed) may be claimed again.
    claimed_until      INTEGER,
    -- After a failed attempt: not before this instant.
    retry_at           INTEGER,
    last_error         TEXT    NOT NULL DEFAULT '',
    sent_at            INTEGER,
    discord_message_id TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK ((channel_id <> '') <> (member_id IS NOT NULL))
);
-- Only open rows are looked at by the scheduler; keep that index small.
CREATE INDEX notifications_open ON notifications (due_at) WHERE state IN ('pending', 'claimed');
CREATE INDEX notifications_meeting ON notifications (meeting_id);

-- The minutes archive: every message that reached the archive address,
-- archived or quarantined, with its raw bytes kept byte for byte.
CREATE TABLE archive_messages (
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
    -- The large columns last: SQLite reads a row's columns in order, so a
    -- query of the small ones above never walks the blobs' overflow pages.
    body_text    TEXT    NOT NULL DEFAULT '',
    raw          BLOB    NOT NULL,
    CHECK (state = 'archived' OR reason <> '')
);
CREATE INDEX archive_messages_meeting ON archive_messages (meeting_id);
CREATE INDEX archive_messages_sent ON archive_messages (sent_at);

CREATE TABLE archive_attachments (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES archive_messages (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    filename    TEXT    NOT NULL DEFAULT '',
    media_type  TEXT    NOT NULL DEFAULT 'application/octet-stream',
    size        INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    text        TEXT    NOT NULL DEFAULT '',
    content     BLOB    NOT NULL,
    UNIQUE (message_id, position)
);

-- Full-text index over archived messages; rowid = archive_messages.id.
-- remove_diacritics 2 folds Czech letters, so "veznicich" finds "věznicích".
-- It keeps its own copy of the text so snippet() works.
CREATE VIRTUAL TABLE archive_fts USING fts5 (
    subject,
    sender,
    body,
    attachments,
    tokenize = 'unicode61 remove_diacritics 2'
);
