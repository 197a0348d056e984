-- 0007_world_events.sql (PostgreSQL) — world events an operator started or stopped by hand.
-- Runs inside one transaction; no BEGIN/COMMIT here. Same as migrations/sqlite/0007_*.
--
-- One row per world_event id (scripts/content/event_defs.lua), the last hand action on it:
-- started_at (UTC seconds) is when that run began; stopped_early = 1: the run (a scheduled
-- window or a hand start) was stopped before its end and stays stopped. On start-up the server
-- resumes a run that has time left (scripts/engine/events.lua: restore); an expired one is over.
CREATE TABLE world_events (
    id            text    PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    started_at    bigint  NOT NULL,
    stopped_early integer NOT NULL DEFAULT 0 CHECK (stopped_early IN (0, 1))
);
