-- 0004_account_bans.sql (SQLite) — operator bans of accounts (`ban` / `unban` on the console).
-- Runs inside one transaction; no BEGIN/COMMIT here. Same as migrations/postgres/0004_*.
--
-- One row per banned account; banning again replaces it, unbanning deletes it. expires_at is
-- Unix seconds (NULL: permanent). A row whose expiry has passed no longer bans (login compares
-- it with the database's clock) and is replaced or deleted by the next ban / unban.

CREATE TABLE account_bans (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at INTEGER,
    reason     TEXT    NOT NULL DEFAULT '',
    banned_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
