-- 0006_guild_fee.sql (PostgreSQL) — guilds: the gold paid to found one. Same as migrations/sqlite/0006_*.
-- Runs inside one transaction; no BEGIN/COMMIT here.
--
-- guilds and guild_members come from 0001 (name unique case-insensitively, one guild per
-- character). fee records what the founder was charged (0 until the payment has committed):
-- a guild row whose fee is still 0 long after creation is one whose payment never committed.

ALTER TABLE guilds ADD COLUMN fee bigint NOT NULL DEFAULT 0 CHECK (fee >= 0);
