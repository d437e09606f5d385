-- A broadcast may carry an English version of its text (or caption), for users who read the
-- bot in English; without one they get the Russian text with a line in English saying so.
ALTER TABLE broadcasts ADD COLUMN text_en TEXT;
