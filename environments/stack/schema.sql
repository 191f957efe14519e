CREATE TABLE products (id integer PRIMARY KEY, name text NOT NULL, price_cents integer NOT NULL);
INSERT INTO products VALUES (1, 'kettle', 2999), (2, 'teapot', 1999), (3, 'cups', 899);
