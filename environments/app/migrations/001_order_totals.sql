-- A migration the app needs before it starts: a view of each user's total.
CREATE VIEW user_totals AS
    SELECT u.id, u.name, coalesce(sum(o.total_cents), 0) AS total_cents
    FROM users u LEFT JOIN orders o ON o.user_id = u.id
    GROUP BY u.id, u.name;
