-- 0003_id_counters.sql (PostgreSQL) — named counters that hand out ids which never repeat.
-- Runs inside one transaction; no BEGIN/COMMIT here. Same as migrations/sqlite/0003_*.
--
-- `last` is the highest id ever handed out under `name` (0: none yet). The server reserves ids in
-- blocks (cw_store_ids_reserve: last += count in one committed statement) before it uses them, so
-- an id is never handed out twice, also across restarts and after kill -9 (a block cut short by a
-- restart leaves a gap, never a repeat). 'value_txn': the token of every value transaction (an
-- operator's grant number, content's chaos.txn token).

CREATE TABLE id_counters (
    name text   PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    last bigint NOT NULL CHECK (last >= 0)
);
INSERT INTO id_counters (name, last) VALUES ('value_txn', 0);
