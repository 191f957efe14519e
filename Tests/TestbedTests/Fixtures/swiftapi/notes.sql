CREATE TABLE notes (id INTEGER PRIMARY KEY, tag TEXT NOT NULL);
INSERT INTO notes (tag) VALUES ('seed-1'), ('seed-2'), ('seed-3');
