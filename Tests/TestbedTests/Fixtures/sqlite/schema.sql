-- The shop schema used by the SQLite store tests.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    total REAL,
    paid INTEGER DEFAULT 0,
    meta TEXT
);
CREATE TABLE scores (id INTEGER PRIMARY KEY, points INTEGER NOT NULL) STRICT;
/* one row from SQL, the rest from CSV */
INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ada@example.com');
