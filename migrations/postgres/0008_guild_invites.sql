-- 0008_guild_invites.sql (PostgreSQL) — open guild invitations. Same as migrations/sqlite/0008_*.
-- Runs inside one transaction; no BEGIN/COMMIT here.
--
-- A leader or officer (inviter: a character id, kept without a foreign key so the invite
-- outlives a deleted inviter) invites character_id to guild_id until expires_at (UTC seconds).
-- One open invite per (guild, character): inviting again renews it. An invite whose expires_at
-- has passed is ignored (and replaced by the next invite); guild_accept consumes the invite in
-- the same transaction as the join. Deleting the guild or the character drops its invites.
CREATE TABLE guild_invites (
    guild_id     bigint  NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    character_id bigint  NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    inviter      bigint  NOT NULL,
    expires_at   bigint  NOT NULL,
    PRIMARY KEY (guild_id, character_id)
);
CREATE INDEX guild_invites_character ON guild_invites (character_id);
