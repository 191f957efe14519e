-- Schema for the driver tests.
CREATE TABLE users (
    id serial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text
);
CREATE TABLE orders (
    id serial PRIMARY KEY,
    user_id int NOT NULL REFERENCES users(id),
    total numeric(10, 2) NOT NULL,
    note text
);
CREATE TABLE events (
    id int PRIMARY KEY,
    kind text NOT NULL,
    payload jsonb
);
CREATE FUNCTION order_count() RETURNS bigint LANGUAGE plpgsql AS $body$
BEGIN
    -- a semicolon; inside a dollar-quoted body
    RETURN (SELECT count(*) FROM orders);
END;
$body$;
