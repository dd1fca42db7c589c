-- 0006: e-mail as a channel (issue "E-mail as a channel").

-- How a member wants to be reached: 'auto' is Discord when a Discord id is
-- known, else e-mail; 'both' is both.
ALTER TABLE members ADD COLUMN notify TEXT NOT NULL DEFAULT 'auto'
    CHECK (notify IN ('auto', 'discord', 'email', 'both'));

-- An address whose mail came back as a hard failure gets no more mail;
-- the member's other addresses (or a new one) still do.
ALTER TABLE member_emails ADD COLUMN bounced_at INTEGER;
ALTER TABLE member_emails ADD COLUMN bounce_reason TEXT NOT NULL DEFAULT '';

-- iCalendar SEQUENCE of the meeting's invitation: raised at every change of
-- time or place and at the cancellation, so calendar clients take the
-- newest REQUEST or the CANCEL.
ALTER TABLE meetings ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0);

-- E-mail reminders are fewer than chat ones: seconds before the meeting.
ALTER TABLE groups ADD COLUMN email_reminder_offsets TEXT NOT NULL DEFAULT '[604800,86400]';
-- 1 when the group's members are reached by e-mail too ([smtp] configured).
ALTER TABLE groups ADD COLUMN email_enabled INTEGER NOT NULL DEFAULT 0 CHECK (email_enabled IN (0, 1));

-- What a stored message is: minutes (the archive proper), an answer or
-- agenda reply to a message coordbot sent, or a delivery status report.
-- Only minutes are listed, searched and reported by default.
ALTER TABLE archive_messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'minutes'
    CHECK (kind IN ('minutes', 'reply', 'bounce'));
-- What the message asks the core to do (JSON, e.g. an answer), and whether
-- it was done. Stored with the message and carried out after, so a crash
-- between the two leaves a pending action that the intake finishes at its
-- next start instead of losing the answer.
ALTER TABLE archive_messages ADD COLUMN action TEXT NOT NULL DEFAULT '';
ALTER TABLE archive_messages ADD COLUMN action_state TEXT NOT NULL DEFAULT ''
    CHECK (action_state IN ('', 'pending', 'done', 'refused'));
CREATE INDEX archive_messages_action_pending ON archive_messages (id) WHERE action_state = 'pending';
CREATE INDEX archive_messages_kind ON archive_messages (kind);

-- E-mail rows keep the Message-ID they were sent with (in the column that
-- holds Discord message ids for Discord rows): a reply's In-Reply-To and
-- References are looked up here.
CREATE INDEX notifications_sent_message ON notifications (discord_message_id)
    WHERE channel = 'email' AND discord_message_id <> '';
