-- 0001_initial.sql (SQLite) — accounts, characters, items, quests, guilds, ledger.
-- Runs inside one transaction (chaosctl migrate up / chaosd --migrate); no BEGIN/COMMIT here.
-- Keep in step with migrations/postgres/0001_initial.sql: same tables, same columns.
-- Times are Unix seconds (INTEGER). JSON documents are TEXT checked with json_valid.
-- AUTOINCREMENT everywhere: an id is never reused, even after a delete.

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    pwhash     TEXT    NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
-- Unique case-insensitively (lower() folds ASCII in SQLite).
CREATE UNIQUE INDEX accounts_name_ci ON accounts (lower(name));

CREATE TABLE characters (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    race       TEXT    NOT NULL,
    job        TEXT    NOT NULL,
    level      INTEGER NOT NULL DEFAULT 1,
    zone       TEXT    NOT NULL,
    x          REAL    NOT NULL DEFAULT 0,
    y          REAL    NOT NULL DEFAULT 0,
    doc        TEXT    NOT NULL DEFAULT '{}'
               CHECK (json_valid(doc) AND json_type(doc) = 'object'),
    version    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE UNIQUE INDEX characters_name_ci ON characters (lower(name));
CREATE INDEX characters_account ON characters (account_id);
CREATE INDEX characters_zone ON characters (zone);

CREATE TABLE item_instances (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_character_id INTEGER REFERENCES characters (id) ON DELETE CASCADE,
    template           TEXT    NOT NULL,
    stack              INTEGER NOT NULL DEFAULT 1 CHECK (stack > 0),
    props              TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(props)),
    created_at         INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE INDEX item_instances_owner ON item_instances (owner_character_id);

CREATE TABLE quest_progress (
    character_id INTEGER NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    quest        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    progress     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(progress)),
    updated_at   INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    PRIMARY KEY (character_id, quest)
);

CREATE TABLE guilds (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    leader_character_id INTEGER REFERENCES characters (id) ON DELETE SET NULL,
    doc                 TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(doc)),
    created_at          INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE UNIQUE INDEX guilds_name_ci ON guilds (lower(name));

CREATE TABLE guild_members (
    guild_id     INTEGER NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    character_id INTEGER NOT NULL UNIQUE REFERENCES characters (id) ON DELETE CASCADE,
    rank         TEXT    NOT NULL DEFAULT 'member',
    joined_at    INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    PRIMARY KEY (guild_id, character_id)
);

-- Append-only audit of every value transfer. No foreign keys: the record
-- outlives the characters and items it names.
CREATE TABLE ledger (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    at                INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    from_character_id INTEGER,
    to_character_id   INTEGER,
    kind              TEXT    NOT NULL,
    amount            INTEGER,
    item_id           INTEGER,
    item_template     TEXT,
    item_stack        INTEGER,
    reason            TEXT    NOT NULL,
    CHECK (amount IS NOT NULL OR item_id IS NOT NULL)
);
CREATE INDEX ledger_from ON ledger (from_character_id, at);
CREATE INDEX ledger_to ON ledger (to_character_id, at);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;
