-- 0007: why an attachment's text could not be read (a PDF whose reader was
-- killed at its deadline or memory limit, a damaged file): the note is kept
-- with the attachment, so a coordinator can see why a search does not find
-- words that are in the file.
ALTER TABLE archive_attachments ADD COLUMN text_error TEXT NOT NULL DEFAULT '';
