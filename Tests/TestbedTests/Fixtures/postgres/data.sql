INSERT INTO users (email, name) VALUES
    ('ada@example.com', 'Ada'),
    ('bob@example.com', E'Bob \'the builder\''),
    ('cyd@example.com', NULL);
/* three orders; a ; in a comment */
INSERT INTO orders (user_id, total, note) VALUES (1, 10.50, 'first; order'), (1, 3.00, $$it's$$), (2, 7.25, NULL);
