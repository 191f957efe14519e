-- line 1
INSERT INTO users (email, name) VALUES ('dan@example.com', 'Dan');
/* a comment
   spanning lines; with a semicolon */
INSERT INTO users (email, name)
    VALUES ('eve@example.com', 'Eve');
INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada again');
INSERT INTO users (email, name) VALUES ('fay@example.com', 'Fay');
