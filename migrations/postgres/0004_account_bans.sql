-- 0004_account_bans.sql (PostgreSQL) — operator bans of accounts (`ban` / `unban` on the console).
-- Runs inside one transaction; no BEGIN/COMMIT here. Same as migrations/sqlite/0004_*.
--
-- One row per banned account; banning again replaces it, unbanning deletes it. expires_at NULL:
-- permanent. A row whose expiry has passed no longer bans (login compares it with the
-- database's clock) and is replaced or deleted by the next ban / unban.

CREATE TABLE account_bans (
    account_id bigint      PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at timestamptz,
    reason     text        NOT NULL DEFAULT '',
    banned_at  timestamptz NOT NULL DEFAULT now()
);
