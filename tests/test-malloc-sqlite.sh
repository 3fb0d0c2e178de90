#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# sqlite3 builds a 100 000-row table in a database file, indexes, queries,
# updates and vacuums it, with and without libwee_alloc_malloc preloaded.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

command -v sqlite3 > /dev/null 2>&1 || skip "no sqlite3 here (Debian: apt-get install sqlite3)"
find_preload
host_program_loads_preload sqlite3

if [ "$scale_down" = 1 ]; then rows=5000; else rows=100000; fi

cat > "$tmp/script.sql" <<SQL
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, value REAL, note TEXT);
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $rows)
INSERT INTO item
  SELECT x, printf('item-%07d', (x * 7919) % 1000003), x % 97, x * 0.5,
         substr('the quick brown fox jumps over the lazy dog', 1 + x % 20)
  FROM n;
CREATE INDEX item_by_name ON item(name);
CREATE INDEX item_by_grp ON item(grp, value);
SELECT count(*), sum(value), min(name), max(name) FROM item;
SELECT grp, count(*), round(avg(value), 3), group_concat(id % 10, '') FROM item
  GROUP BY grp ORDER BY grp LIMIT 20;
SELECT name FROM item WHERE name LIKE 'item-00%7' ORDER BY name LIMIT 50;
UPDATE item SET note = upper(note) || name WHERE grp % 3 = 0;
DELETE FROM item WHERE id % 5 = 0;
VACUUM;
SELECT count(*), sum(length(note)), max(note) FROM item;
SELECT a.grp, count(*) FROM item a JOIN item b ON a.id = b.id + 1 AND a.grp = b.grp + 1
  GROUP BY a.grp ORDER BY 2 DESC, 1 LIMIT 10;
PRAGMA integrity_check;
SQL

run_plain sqlite sqlite3 "$tmp/plain.db" ".read $tmp/script.sql"
run_preloaded sqlite sqlite3 "$tmp/wee.db" ".read $tmp/script.sql"
same_output sqlite
check_stats sqlite
