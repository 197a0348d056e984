/* store.h — persistence: one interface, two backends (SQLite embedded by
 * default, PostgreSQL through libpq in production).
 *
 * Threads: cw_store owns one worker thread and the backend connection. Every
 * call below that takes a callback queues a job and returns at once; the job
 * runs on the worker (never blocking the loop), and the callback runs later
 * ON THE LOOP THREAD (handed back through a completion queue whose wake-up is
 * a pipe watched by a persistent libevent read event, so the process needs no
 * evthread_use_pthreads). Callbacks always run exactly once, even when the
 * store is closing (with rc = CW_EUNAVAIL). Callbacks run in submission order.
 * With cfg->base == NULL (tools) every call runs inline on the calling thread
 * and its callback has run when the call returns. Do not call cw_store_close
 * from inside a store callback.
 * Every SQL statement is parameterized.
 *
 * Errors: rc is 0, or CW_EEXIST (unique name taken), CW_ENOTFOUND, CW_ESTATE
 * (stale version: the row changed since it was read), CW_EUNAVAIL (the
 * database is unreachable — the job was retried with backoff up to its
 * deadline first), CW_EINVAL (bad argument), CW_EIO (other database error;
 * the message is logged).
 *
 * Ownership: arguments are copied when the call returns; result structs
 * passed to callbacks are owned by the store and valid only during the
 * callback. */
#ifndef CW_IO_STORE_H
#define CW_IO_STORE_H

#include "core/base/err.h"
#include "core/base/metrics.h"

#include <stddef.h>
#include <stdint.h>

struct event_base;
typedef struct cw_store cw_store;

typedef struct cw_store_config {
    const char *url; /* "sqlite:var/chaos.db" (default) or "postgres://user@host:port/db" */
    const char *migrations_dir; /* root holding sqlite/ and postgres/ (default "migrations") */
    int migrate; /* 1: apply pending migrations at open; 0: refuse to open when pending */
    struct event_base *base; /* loop that receives completions; NULL for synchronous tools */
    cw_metrics *metrics;     /* may be NULL */
    int retry_deadline_ms;   /* how long a job retries an unreachable database (default 30000) */
} cw_store_config;

/* Connects, checks the schema (refuses a schema newer than this binary
 * knows, and pending migrations unless cfg->migrate), starts the worker.
 * Returns NULL and fills err on failure. */
cw_store *cw_store_open(const cw_store_config *cfg, cw_error *err);
/* Finishes every queued job (their callbacks run), then stops the worker and
 * disconnects. Call on the loop thread. */
void cw_store_close(cw_store *s);
const char *cw_store_backend(const cw_store *s); /* "sqlite" or "postgres" */

/* Migrations (synchronous; for chaosctl migrate and chaosd --migrate). */
typedef struct cw_migration_status {
    int current; /* highest applied version (0 = empty database) */
    int latest;  /* highest version in migrations_dir */
    int pending; /* how many are not applied */
} cw_migration_status;
int cw_store_migration_status(const cw_store_config *cfg, cw_migration_status *st, cw_error *err);
int cw_store_migrate_up(const cw_store_config *cfg, cw_migration_status *st, cw_error *err);

/* ---- accounts ------------------------------------------------------------- */

typedef struct cw_account {
    int64_t id;
    const char *name;
    const char *pwhash; /* libsodium crypto_pwhash_str output */
    /* cw_store_account_get only: the account's ban in force when it was
     * read (the database's clock decides whether it has expired). */
    int banned;             /* 1 when banned */
    int64_t ban_seconds;    /* seconds left, rounded up; 0 (with banned) = permanent */
    const char *ban_reason; /* "" when none */
} cw_account;

typedef void (*cw_store_account_cb)(void *ud, int rc, const cw_account *acc);
/* CW_EEXIST when the name is taken. acc->id set on success. */
void cw_store_account_create(cw_store *s, const char *name, const char *pwhash,
                             cw_store_account_cb cb, void *ud);
/* CW_ENOTFOUND when no such account. */
void cw_store_account_get(cw_store *s, const char *name, cw_store_account_cb cb, void *ud);

/* ---- bans (table account_bans, migration 0004) ---------------------------------- */

typedef struct cw_ban {
    int64_t account_id;  /* 0 when no account has that name */
    const char *account; /* the stored name ("" when no account) */
    int was_banned;      /* a ban in force before this call (an expired row does not count) */
} cw_ban;

/* ban is never NULL, also on failure (its fields then say what was found). */
typedef void (*cw_store_ban_cb)(void *ud, int rc, const cw_ban *ban);
/* Bans the account named name (case-insensitively) for seconds (> 0) or for
 * good (0), with reason (NULL = ""), replacing any ban it has.
 * CW_ENOTFOUND: no such account; CW_EINVAL: seconds < 0 or no name. */
void cw_store_ban_set(cw_store *s, const char *name, int64_t seconds, const char *reason,
                      cw_store_ban_cb cb, void *ud);
/* Lifts the ban of the account named name. CW_ENOTFOUND when there is no
 * such account (ban->account_id 0) or it has no ban in force (an expired
 * row is deleted all the same). */
void cw_store_ban_clear(cw_store *s, const char *name, cw_store_ban_cb cb, void *ud);

/* ---- guilds (tables guilds, guild_members of 0001; fee of 0006) ------------------- */

/* Ranks, strongest first. A guild has exactly one "leader" (guilds.
 * leader_character_id); a character is in at most one guild. */
#define CW_GUILD_NAME_MAX 64     /* bytes the database accepts */
#define CW_GUILD_MEMBERS_MAX 500 /* the ceiling of any member cap below */

typedef struct cw_guild_member {
    int64_t character_id;
    const char *name; /* the character's stored name */
    const char *rank; /* "leader", "officer" or "member" */
} cw_guild_member;

/* A guild as read in the same transaction as the change that produced it:
 * members ordered by rank (leader, officers, members), then joining order. */
typedef struct cw_guild {
    int64_t id; /* 0 when there is no guild (g->nmembers 0) */
    const char *name;
    int64_t leader_id;
    int64_t fee; /* gold recorded as paid (cw_store_guild_set_fee) */
    const cw_guild_member *members;
    int nmembers;
} cw_guild;

/* g is never NULL, also on failure (then id 0 unless the guild was found:
 * e.g. CW_EEXIST from guild_join carries the guild the character is in). */
typedef void (*cw_store_guild_cb)(void *ud, int rc, const cw_guild *g);

/* Creates guild name (1..CW_GUILD_NAME_MAX bytes; the caller applies the
 * text policy) led by character leader_id, with that character as its
 * leader member, in one transaction. CW_EEXIST: the name is taken
 * (case-insensitively); CW_ESTATE: the character is in a guild already;
 * CW_ENOTFOUND: no such character; CW_EINVAL: bad arguments. */
void cw_store_guild_create(cw_store *s, const char *name, int64_t leader_id, cw_store_guild_cb cb,
                           void *ud);
/* The guild of character_id with its roster; CW_ENOTFOUND when it is in
 * none. */
void cw_store_guild_of(cw_store *s, int64_t character_id, cw_store_guild_cb cb, void *ud);
/* Adds character_id to guild_id as "member". CW_ENOTFOUND: no such guild or
 * character; CW_EEXIST: it is in a guild already; CW_ELIMIT: the guild has
 * max_members members (the game's rule; <= 0 or above CW_GUILD_MEMBERS_MAX
 * means CW_GUILD_MEMBERS_MAX). g: the guild after the change. */
void cw_store_guild_join(cw_store *s, int64_t guild_id, int64_t character_id, int max_members,
                         cw_store_guild_cb cb, void *ud);
/* Takes character_id out of guild_id (leave or kick). CW_ENOTFOUND: it is
 * not a member of that guild; CW_ESTATE: it is the leader (the leader hands
 * the lead on or disbands). g: the guild after the change. */
void cw_store_guild_remove(cw_store *s, int64_t guild_id, int64_t character_id,
                           cw_store_guild_cb cb, void *ud);
/* Sets the rank of member character_id of guild_id. rank "leader" hands the
 * lead over: the old leader becomes "officer" in the same transaction.
 * Setting the leader itself to another rank is CW_ESTATE; CW_ENOTFOUND:
 * not a member; CW_EINVAL: unknown rank. */
void cw_store_guild_set_rank(cw_store *s, int64_t guild_id, int64_t character_id, const char *rank,
                             cw_store_guild_cb cb, void *ud);
/* Records fee (>= 0) as the gold paid for guild_id (after the payment
 * committed). CW_ENOTFOUND: no such guild. */
void cw_store_guild_set_fee(cw_store *s, int64_t guild_id, int64_t fee, cw_store_guild_cb cb,
                            void *ud);
/* Deletes guild_id and its members (disband, or the undo of a creation
 * whose payment failed). g: the guild as it was. CW_ENOTFOUND: no such
 * guild. */
void cw_store_guild_delete(cw_store *s, int64_t guild_id, cw_store_guild_cb cb, void *ud);

/* ---- guild invites (table guild_invites of 0008) ----------------------------- */

/* An open invitation: character character_id (the invitee) to guild_id,
 * open until expires_at (UTC seconds). Strings valid during the callback. */
typedef struct cw_guild_invite {
    int64_t guild_id;
    const char *guild_name;
    int64_t character_id;
    const char *character_name; /* the invitee's stored name */
    int64_t expires_at;
} cw_guild_invite;

/* inv is never NULL, also on failure (then zeros and ""). */
typedef void (*cw_store_guild_invite_cb)(void *ud, int rc, const cw_guild_invite *inv);

/* Invites the character named name (case-insensitively) to guild_id for
 * inviter_id (a character id; whether it may invite is the caller's rule)
 * until expires_at, replacing an earlier invite of the same pair. One
 * transaction. CW_ENOTFOUND: no such character (or guild); CW_EEXIST: the
 * character is in a guild already; CW_ELIMIT: the guild has max_members
 * members (as for join); CW_EINVAL: bad arguments. */
void cw_store_guild_invite(cw_store *s, int64_t guild_id, int64_t inviter_id, const char *name,
                           int64_t expires_at, int max_members, cw_store_guild_invite_cb cb,
                           void *ud);
/* Joins character_id to the guild given by id (guild_id > 0) or else by
 * name (case-insensitively) if it holds an invite there with expires_at >
 * now; the invite is consumed in the same transaction as the join.
 * CW_EEXIST (checked first): in a guild already (g: that guild; the invite
 * stays); CW_ENOTFOUND: no such guild or no live invite; CW_ELIMIT: it has
 * max_members members (as for join). g: the guild after the join. */
void cw_store_guild_accept(cw_store *s, int64_t guild_id, const char *guild_name,
                           int64_t character_id, int64_t now, int max_members, cw_store_guild_cb cb,
                           void *ud);
/* Drops the invite of character_id to that guild (by id or name as for
 * accept). CW_ENOTFOUND: no such guild or no live invite. g: the guild. */
void cw_store_guild_decline(cw_store *s, int64_t guild_id, const char *guild_name,
                            int64_t character_id, int64_t now, cw_store_guild_cb cb, void *ud);

/* ---- characters ----------------------------------------------------------- */

/* A row of the append-only ledger that travels with a character save:
 * value that reached the character (kind "gold": amount in gold; kind
 * "exp": amount in experience; negative amounts left it).
 * Kind "item" (amount unused, stored NULL): item_stack items of the instance
 * item_id (template item_template) reached the character (item_stack > 0:
 * to_character_id = the row's character, from_character_id = counterpart,
 * NULL when 0: created) or left it (item_stack < 0: stored as
 * from_character_id = the row's character, to_character_id = counterpart,
 * NULL when 0: destroyed, item_stack = the count).
 * Kind "gold" with a counterpart is a transfer: amount (> 0) gold went from
 * the row's character to the counterpart (stored from = the row's
 * character, to = counterpart). */
typedef struct cw_ledger_entry {
    const char *kind;
    int64_t amount;
    const char *reason; /* NULL = "" */
    int64_t item_id;    /* kind "item" only */
    const char *item_template;
    int64_t item_stack;
    int64_t counterpart; /* the other character of a transfer; 0 = none */
} cw_ledger_entry;

/* One item instance (table item_instances, migration 0005): uid (never
 * reused: reserved from the counter "item_uid"), owner, template, stack,
 * place ("inv:N", "eq:SLOT", "escrow"), props (a JSON object text) and the
 * stored version (+1 per write).
 * In a save (cw_character.items) each entry is one write, made only when the
 * character row is written and only if the stored item still has the
 * version (and owner) the caller read — else the whole character row fails
 * with CW_ESTATE:
 *   version 0, stack > 0   insert a new row (id = uid, version 1);
 *   version > 0, stack > 0 update owner (= the row's character), stack,
 *                          place, props; the stored owner must be
 *                          prev_owner (0 = this character: a transfer from
 *                          another character sets it);
 *   version > 0, stack 0   delete the row.
 * Loaded rows (cw_store_character_load) carry owner and version as stored. */
#define CW_ITEM_ROW_PLACE_MAX 64 /* bytes of place the database accepts */
typedef struct cw_item_row {
    int64_t uid, owner;
    const char *template_id;
    int64_t stack;
    const char *place;
    const char *props;
    int64_t version;
    int64_t prev_owner;
} cw_item_row;

typedef struct cw_character {
    int64_t id;
    int64_t account_id;
    const char *name;
    const char *race;
    const char *job;
    int level;
    const char *zone;
    double x, y;
    const char *doc; /* JSON object text: everything else about the character */
    int64_t version; /* rises by one on every successful save */
    /* cw_store_characters_save only: ledger rows written in the same
     * transaction as this row, and only if the row is written. */
    const cw_ledger_entry *ledger;
    int nledger;
    /* cw_store_character_load: the character's items (by uid). Save: the
     * item writes that go with this row (see cw_item_row), all or none. */
    const cw_item_row *items;
    int nitems;
    /* cw_store_characters_save only: a "fail together" group (0 = none).
     * Rows with the same nonzero group are written together or not at all
     * (a trade between two characters): if one of them is not written,
     * none is, and the others get CW_EABORT. */
    int64_t group;
    /* cw_store_character_load only: the guild it is in (0: none), read in the
     * same snapshot as the row. */
    int64_t guild_id;
} cw_character;

typedef void (*cw_store_character_cb)(void *ud, int rc, const cw_character *ch);
typedef void (*cw_store_characters_cb)(void *ud, int rc, const cw_character *chs, int n);
typedef void (*cw_store_done_cb)(void *ud, int rc);

/* ch->id and ch->version are ignored; the callback gets the stored row
 * (version 1). CW_EEXIST when the name is taken (names are unique,
 * case-insensitively), CW_ENOTFOUND when ch->account_id does not exist,
 * CW_EINVAL when doc is not a JSON object (NULL doc = "{}"). On PostgreSQL
 * doc comes back normalized by jsonb (key order, spacing), not byte-exact. */
void cw_store_character_create(cw_store *s, const cw_character *ch, cw_store_character_cb cb,
                               void *ud);
void cw_store_characters_list(cw_store *s, int64_t account_id, cw_store_characters_cb cb, void *ud);
/* CW_ENOTFOUND unless the character exists and belongs to account_id. The
 * row and its items are read in one snapshot (ch->items, ch->nitems). */
void cw_store_character_load(cw_store *s, int64_t account_id, int64_t id, cw_store_character_cb cb,
                             void *ud);
void cw_store_character_delete(cw_store *s, int64_t account_id, int64_t id, cw_store_done_cb cb,
                               void *ud);

/* Saves many characters in ONE transaction. Each row is written only if its
 * stored version equals ch[i].version (the version the caller last read);
 * then the stored version becomes ch[i].version + 1. Written fields: race,
 * job, level, zone, x, y, doc (name and account_id are not: a save never
 * renames). A row that is written also appends its ledger entries
 * (ch[i].ledger, to_character_id = the id) in the same transaction: a grant
 * is in the ledger exactly when the gold it carried was saved.
 *
 * Per-row results: results[i] is 0 (written, with its ledger rows), or the
 * row was not written and nothing of it (row or ledger rows) is stored:
 *   CW_ESTATE     stale: the stored version differs;
 *   CW_ENOTFOUND  no such character;
 *   CW_EINVAL     refused before the database: a NULL race/job/zone, a
 *                 non-finite position, or an id that already appeared
 *                 earlier in the same batch;
 *   any other code (CW_EINVAL, CW_EIO, CW_EEXIST, …) the database refused
 *                 this row or one of its ledger rows (a doc that is not a
 *                 JSON object, a constraint, text it cannot store): logged.
 * Rows that share a nonzero group fail together: when one of them is not
 * written (stale, gone, refused), none of them is, and the others get
 * CW_EABORT; the bisection below never splits a group.
 * One failing row never costs another row its save: when the transaction
 * fails for a reason a row can cause, the batch is retried without the rows
 * that fail (bisected under savepoints, still one transaction), so every
 * good row is written.
 * rc is the batch's outcome: 0 (the per-row results say what happened), or
 * CW_EUNAVAIL (the database stayed unavailable until the retry deadline),
 * CW_ENOMEM, or the error of the commit itself — then nothing of the batch
 * was applied and every results[i] == rc. */
typedef void (*cw_store_save_cb)(void *ud, int rc, const int *results, int n);
void cw_store_characters_save(cw_store *s, const cw_character *chs, int n, cw_store_save_cb cb,
                              void *ud);

/* ---- ids that never repeat ------------------------------------------------------ */

/* Reserves count ids from the named counter (1..CW_IDS_NAME_MAX bytes; a
 * counter not seen before starts at 1): cb(ud, 0, first, count) hands out
 * first .. first + count - 1. The reservation has committed when cb runs, so
 * those ids are never handed out again — not after a restart, not after a
 * crash (a block cut short leaves a gap, never a repeat). Ids are > 0.
 * CW_EINVAL for a bad name or count (1..CW_IDS_BLOCK_MAX), else the store's
 * codes (CW_EUNAVAIL after the retry deadline). */
#define CW_IDS_NAME_MAX 64
#define CW_IDS_BLOCK_MAX 1000000
typedef void (*cw_store_ids_cb)(void *ud, int rc, int64_t first, int64_t count);
void cw_store_ids_reserve(cw_store *s, const char *counter, int64_t count, cw_store_ids_cb cb,
                          void *ud);

/* ---- world events started or stopped by hand ------------------------------------- */

/* One world_event's last hand action (table world_events, migration 0007):
 * its run began at started_at (UTC seconds); stopped_early: that run was
 * stopped before its end. The engine (scripts/engine/events.lua) reads them
 * at start-up to resume a run with time left and keep a stopped one
 * stopped. */
#define CW_WORLD_EVENT_ID_MAX 64
#define CW_WORLD_EVENTS_MAX 4096
typedef struct cw_world_event_row {
    char id[CW_WORLD_EVENT_ID_MAX + 1];
    int64_t started_at;
    int stopped_early;
} cw_world_event_row;
/* Replaces id's row. cb(ud, 0) once it has committed; CW_EINVAL for an id
 * not 1..CW_WORLD_EVENT_ID_MAX bytes, else the store's codes. */
typedef void (*cw_store_world_event_cb)(void *ud, int rc);
void cw_store_world_event_put(cw_store *s, const char *id, int64_t started_at, int stopped_early,
                              cw_store_world_event_cb cb, void *ud);
/* Every row (at most CW_WORLD_EVENTS_MAX, by id). rows are borrowed for the
 * call (NULL, 0 on error). */
typedef void (*cw_store_world_events_cb)(void *ud, int rc, const cw_world_event_row *rows, int n);
void cw_store_world_events_load(cw_store *s, cw_store_world_events_cb cb, void *ud);

/* ---- the cluster map (table cluster_zones, migration 0009) ---------------------------- */

/* Which process (its server.name) owns which zone. A zone without a row is
 * hosted by every process. Zone and process names: 1..MAX bytes, no spaces
 * or control characters (CW_EINVAL otherwise). */
#define CW_CLUSTER_ZONE_MAX 63
#define CW_CLUSTER_PROCESS_MAX 64
#define CW_CLUSTER_ROWS_MAX 4096
typedef struct cw_cluster_row {
    char zone[CW_CLUSTER_ZONE_MAX + 1];
    char process[CW_CLUSTER_PROCESS_MAX + 1];
    int64_t updated_at; /* UTC seconds of the last set */
} cw_cluster_row;
typedef void (*cw_store_cluster_set_cb)(void *ud, int rc);
/* Makes process the owner of zone (a new row or a replaced one). process NULL
 * removes zone's row (back to "every process"): CW_ENOTFOUND when it had none. */
void cw_store_cluster_set(cw_store *s, const char *zone, const char *process,
                          cw_store_cluster_set_cb cb, void *ud);
/* Every row (at most CW_CLUSTER_ROWS_MAX, by zone); rows borrowed for the call
 * (NULL, 0 on error). */
typedef void (*cw_store_cluster_cb)(void *ud, int rc, const cw_cluster_row *rows, int n);
void cw_store_cluster_list(cw_store *s, cw_store_cluster_cb cb, void *ud);

/* ---- ledger audit (chaosctl audit) ------------------------------------------- */

/* Checks, in one read-only snapshot, that every character's document agrees
 * with the ledger: its "gold" (and "exp") equals the net sum of its ledger
 * rows of kind "gold" ("exp") — rows to it minus rows from it; an absent
 * member counts as 0 — and is a non-negative integer; and that every ledger
 * row names a character that exists or existed (ids are never reused: a
 * missing id up to the highest ever issued is a deleted character, and its
 * rows are counted, not reported). Items: every item has an owner, no two
 * items of one owner share a place, and the item ledger (kind "item")
 * replays to every item: its owner's net (rows to it minus rows from it) is
 * the stack, every other existing character's net is 0 (issues with field
 * "item", problem "no_owner", "mismatch", "shared_place" or "not_owner";
 * stored = {"uid","place","stack"} as JSON text, ledger = the net, or the
 * count of items sharing the place). */
#define CW_AUDIT_LIST_MAX 1000

typedef struct cw_audit_issue {
    int64_t character_id;
    const char *name;    /* "" for problem "unknown_character" */
    const char *field;   /* "gold", "exp", "ledger" or "item" */
    const char *problem; /* "mismatch", "negative", "not_an_integer", "unknown_character" */
    const char *stored;  /* the document's member as JSON text ("null": absent / not a field) */
    int64_t ledger;      /* the net ledger sum (unknown_character: how many rows name it) */
} cw_audit_issue;

typedef struct cw_audit_report {
    int64_t characters;   /* characters checked */
    int64_t ledger_rows;  /* rows in the ledger */
    int64_t deleted_rows; /* rows naming deleted characters (not a problem) */
    int64_t items;        /* item instances checked */
    int64_t issues;       /* problems found; the first CW_AUDIT_LIST_MAX are in list */
    const cw_audit_issue *list;
    int nlist;
} cw_audit_report;

typedef void (*cw_store_audit_cb)(void *ud, int rc, const cw_audit_report *r);
void cw_store_audit(cw_store *s, cw_store_audit_cb cb, void *ud);

/* Queue depth and health, for status and metrics. */
typedef struct cw_store_stats {
    int queued;        /* jobs waiting */
    int available;     /* 1 when the last database call succeeded */
    uint64_t retries;  /* retried database calls since start */
    uint64_t failures; /* jobs that ended in CW_EUNAVAIL or CW_EIO */
} cw_store_stats;
void cw_store_get_stats(const cw_store *s, cw_store_stats *st);

#endif
