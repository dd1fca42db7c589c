-- 0003: who actually came to a meeting.
--
-- RSVPs (0001) are intentions given beforehand; this table is the record a
-- coordinator enters after the meeting, which the annual report prefers
-- when it exists. One row per member and meeting (the primary key); a
-- member without a row was not recorded either way.
CREATE TABLE attendance (
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    -- 1: the member's seat was taken, by the member or by the substitute.
    attended    INTEGER NOT NULL CHECK (attended IN (0, 1)),
    -- The deputy who came instead of the member ('' for none).
    substitute  TEXT    NOT NULL DEFAULT '',
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
) WITHOUT ROWID;
-- The primary key serves lookups by meeting; cascades from members need
-- their own index, or each member deletion scans the table.
CREATE INDEX attendance_member ON attendance (member_id);
