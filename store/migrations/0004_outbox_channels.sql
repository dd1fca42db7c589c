-- 0004: the core and its outbox (issue "one core, every effect through the outbox").

-- The channel a row leaves by: the scheduler hands each row to the sender
-- of its channel. Discord is all there is so far; e-mail comes next.
ALTER TABLE notifications ADD COLUMN channel TEXT NOT NULL DEFAULT 'discord'
    CHECK (channel IN ('discord', 'email'));

-- Where an answer came from (the door): shown by `meeting show`, counted
-- by nothing. Existing answers all came through Discord.
ALTER TABLE rsvps ADD COLUMN via TEXT NOT NULL DEFAULT 'discord'
    CHECK (via IN ('discord', 'cli', 'email', 'web'));
ALTER TABLE rsvp_history ADD COLUMN via TEXT NOT NULL DEFAULT 'discord'
    CHECK (via IN ('discord', 'cli', 'email', 'web'));

-- Coalesced rows (announcement edits, scheduled-event syncs) are looked up
-- by meeting, kind and state before one is added.
CREATE INDEX notifications_meeting_kind_open ON notifications (meeting_id, kind) WHERE state = 'pending';
