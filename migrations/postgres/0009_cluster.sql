-- 0009_cluster.sql (PostgreSQL) — the cluster map: which chaosd process owns which zone.
-- Runs inside one transaction; no BEGIN/COMMIT here. Same as migrations/sqlite/0009_*.
--
-- One row per zone with an owner: process is the owner's server.name. A zone with no row is
-- hosted by every process (a single process with an empty map hosts everything). Written by
-- `chaosctl cluster set|move|unset`; every chaosd re-reads the table every cluster.refresh_ms
-- (and at once on a notice on the Redis channel chaos:cluster) and hands players standing in a
-- zone it no longer owns to the owner.
CREATE TABLE cluster_zones (
    zone       text PRIMARY KEY CHECK (length(zone) BETWEEN 1 AND 63),
    process    text NOT NULL CHECK (length(process) BETWEEN 1 AND 64),
    updated_at bigint NOT NULL
);
