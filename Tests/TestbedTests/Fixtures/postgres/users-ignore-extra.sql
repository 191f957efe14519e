CREATE TABLE people (id serial PRIMARY KEY, name text, email text NOT NULL, extra text);
