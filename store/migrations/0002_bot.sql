-- 0002: what the Discord bot needs beyond 0001.

-- The Discord role whose holders are the group's members ('' = everyone
-- who can use the group's channel).
ALTER TABLE groups ADD COLUMN member_role_id TEXT NOT NULL DEFAULT '';

-- Small named values the program keeps between runs, e.g. the hash of the
-- slash commands last registered with Discord.
CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
