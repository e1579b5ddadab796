#!/usr/bin/python3
"""The causality checker of bench/split.sh, as a user's own libpq client (psycopg2).

SESSIONS sessions, each on its own connection to the router's split port, write a row (one
autocommit INSERT) and read it back at once (one autocommit SELECT, which the split may send to a
standby), ROWS times. A read that does not find the session's own row is stale. Prints one line:
"stale READS reads, write-then-read latency median P50_MS ms p99 P99_MS ms".

usage: causality.py DSN SESSIONS ROWS FIRST_ID
"""
import statistics
import sys
import threading
import time

import psycopg2

dsn, sessions, rows, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
stale = 0
latencies = []
lock = threading.Lock()


def session(n):
    global stale
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    mine_stale = 0
    mine = []
    for i in range(rows):
        row = first + n * rows + i
        t = time.monotonic()
        cur.execute("INSERT INTO causality (id) VALUES (%s)", (row,))
        cur.execute("SELECT count(*) FROM causality WHERE id = %s", (row,))
        found = cur.fetchone()[0]
        mine.append((time.monotonic() - t) * 1000)
        if found != 1:
            mine_stale += 1
    conn.close()
    with lock:
        stale += mine_stale
        latencies.extend(mine)


threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join()
latencies.sort()
p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
print("stale %d %d reads, write-then-read latency median %.2f ms p99 %.2f ms"
      % (stale, len(latencies), statistics.median(latencies), p99))
