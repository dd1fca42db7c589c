-- 0005: guests at a meeting who are not members of its group (speakers,
-- "hosté dle potřeby"), recorded with the attendance after the meeting.
CREATE TABLE meeting_guests (
    meeting_id   INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (trim(name) <> '' AND length(name) <= 200),
    organisation TEXT    NOT NULL DEFAULT '' CHECK (length(organisation) <= 200),
    recorded_at  INTEGER NOT NULL,
    -- One row per name and meeting: recording a guest again updates them.
    PRIMARY KEY (meeting_id, name)
) WITHOUT ROWID;
