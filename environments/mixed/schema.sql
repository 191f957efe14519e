CREATE TABLE products (sku text PRIMARY KEY, name text NOT NULL, price_eur numeric(10, 2) NOT NULL);
INSERT INTO products VALUES ('tea', 'Green tea', 4.00), ('mug', 'Mug', 10.00);
