#!/bin/sh
# Reads through pgbouncer and caches the answer in redis.
set -eu
count=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM products")
[ "$count" = 3 ]
redis-cli --no-auth-warning -u "$REDIS_URL" SET products:count "$count" >/dev/null
[ "$(redis-cli --no-auth-warning -u "$REDIS_URL" GET products:count)" = 3 ]
echo "1 passed, 0 failed"
