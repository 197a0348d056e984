-- 0001_initial.sql (PostgreSQL) — accounts, characters, items, quests, guilds, ledger.
-- Runs inside one transaction (chaosctl migrate up / chaosd --migrate); no BEGIN/COMMIT here.
-- Keep in step with migrations/sqlite/0001_initial.sql: same tables, same columns.

CREATE TABLE accounts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    pwhash     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_name_ci ON accounts (lower(name));

CREATE TABLE characters (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint           NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       text             NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    race       text             NOT NULL,
    job        text             NOT NULL,
    level      integer          NOT NULL DEFAULT 1,
    zone       text             NOT NULL,
    x          double precision NOT NULL DEFAULT 0,
    y          double precision NOT NULL DEFAULT 0,
    doc        jsonb            NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(doc) = 'object'),
    version    bigint           NOT NULL DEFAULT 1,
    created_at timestamptz      NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX characters_name_ci ON characters (lower(name));
CREATE INDEX characters_account ON characters (account_id);
CREATE INDEX characters_zone ON characters (zone);

CREATE TABLE item_instances (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_character_id bigint      REFERENCES characters (id) ON DELETE CASCADE,
    template           text        NOT NULL,
    stack              integer     NOT NULL DEFAULT 1 CHECK (stack > 0),
    props              jsonb       NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX item_instances_owner ON item_instances (owner_character_id);

CREATE TABLE quest_progress (
    character_id bigint      NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    quest        text        NOT NULL,
    state        text        NOT NULL,
    progress     jsonb       NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (character_id, quest)
);

CREATE TABLE guilds (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    leader_character_id bigint      REFERENCES characters (id) ON DELETE SET NULL,
    doc                 jsonb       NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX guilds_name_ci ON guilds (lower(name));

CREATE TABLE guild_members (
    guild_id     bigint      NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    character_id bigint      NOT NULL UNIQUE REFERENCES characters (id) ON DELETE CASCADE,
    rank         text        NOT NULL DEFAULT 'member',
    joined_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, character_id)
);

-- Append-only audit of every value transfer. No foreign keys: the record
-- outlives the characters and items it names.
CREATE TABLE ledger (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT now(),
    from_character_id bigint,
    to_character_id   bigint,
    kind              text        NOT NULL,
    amount            bigint,
    item_id           bigint,
    item_template     text,
    item_stack        integer,
    reason            text        NOT NULL,
    CHECK (amount IS NOT NULL OR item_id IS NOT NULL)
);
CREATE INDEX ledger_from ON ledger (from_character_id, at);
CREATE INDEX ledger_to ON ledger (to_character_id, at);
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger is append-only';
END;
$$;
CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
