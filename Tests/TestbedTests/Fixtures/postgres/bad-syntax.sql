-- line 1
INSERT INTO users (email, name) VALUES ('dan@example.com', 'Dan');
SELECT 'a string with ; and '' quotes';

SELECT $$
multi-line dollar string ;
$$; INSERT INTO userz (email) VALUES ('x');
SELECT 1;
