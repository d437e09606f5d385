-- Questions applicants typed that the search could not answer: what the bot does not know yet,
-- for the staff to add. Personal data like any question (a name, a phone may be typed): erased
-- with the person («delete my data») and RETENTION_DAYS after it was typed, like questions.
-- normalized: the question's words in dictionary form, sorted (repeats count together);
-- question_id: the question it was then sent to the admission committee as, if it was.
CREATE TABLE unanswered (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    asked_at    TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    normalized  TEXT    NOT NULL,
    question_id INTEGER REFERENCES questions (id) ON DELETE SET NULL
);
CREATE INDEX unanswered_user ON unanswered (user_id);
CREATE INDEX unanswered_asked ON unanswered (asked_at);
CREATE INDEX unanswered_normalized ON unanswered (normalized);
