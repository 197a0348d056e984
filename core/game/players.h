/* players.h — the live characters of the shard and their write-behind state.
 *
 * A cw_player is one loaded character: who it is (ids, name, race, job), its
 * soft state (zone, position), its value (gold, experience, level: changed
 * only by transactions once committed), its script data, and the rest of its
 * document (opaque JSON text kept for the store). C owns it; sessions and
 * scripts refer to it by character id. Functions return 0 or a negative CW_E*.
 *
 * Dirty tracking: every change bumps p->change_seq (cw_player_touch). A save
 * takes a *snapshot* of the player (cw_players_collect) and records which
 * change it covers (saving_seq); when the store answers, cw_players_saved
 * either makes that change the saved one and advances the row version
 * (success), or leaves the player dirty to be retried (database unavailable),
 * or marks it `stale` (the stored row moved on without us: never overwritten,
 * the app logs it, stops saving that character and kicks its player). At most one save per
 * player is in flight, because each save must carry the version the previous
 * one produced.
 *
 * Value changes are transactions (cw_player_txn): gold and experience
 * deltas, a new level, and replaced script-data namespaces, all or nothing.
 * A transaction's gold, exp and level are NOT yet part of the player: the
 * next snapshot carries every queued transaction (and the store writes the
 * ledger rows with it, in the same database transaction); only
 * cw_players_saved with success applies them and reports them as committed,
 * so nobody is told about value that is not in the database. Its data
 * namespaces are replaced in the live data at once (scripts read their own
 * writes) and put back if the transaction fails.
 *
 * Script data: named namespaces (1..CW_DATA_NS_MAX of [a-z0-9_.]), each a
 * JSON object kept as text (checked by cw_json_object_valid), saved in the
 * character's document under "data": {ns: {...}}. The size that counts
 * against a cap is the sum over namespaces of strlen(ns) + the text length.
 *
 * A player stays in the table after its session ends (online = 0) until it
 * has been saved: a player who logs out while the database is down keeps
 * its unsaved state, and logging in again resumes from it.
 *
 * Pure state: no I/O, no clock (times are passed in), loop thread only.
 * Ownership: cw_players owns every cw_player; a pointer stays valid until
 * cw_players_remove or cw_players_free. Strings passed in are copied. */
#ifndef CW_GAME_PLAYERS_H
#define CW_GAME_PLAYERS_H

#include "core/base/err.h"

#include <stddef.h>
#include <stdint.h>

#define CW_NAME_MAX 24 /* account and character names: 3..24 of [A-Za-z0-9_] */
#define CW_DEF_ID_MAX 63

#define CW_GRANT_REASON_MAX 63
#define CW_DATA_NS_MAX 32 /* namespace names: 1..32 of [a-z0-9_.] */

/* One namespace of a character's script data. */
typedef struct cw_data_ns {
    char ns[CW_DATA_NS_MAX + 1];
    char *json; /* a JSON object, NUL-terminated, owned */
    size_t len;
    uint64_t seq; /* the write that produced this value (for rollbacks) */
} cw_data_ns;

/* A namespace a queued transaction replaced, and what was there before. */
typedef struct cw_txn_undo {
    char ns[CW_DATA_NS_MAX + 1];
    char *prev; /* owned; NULL = the namespace did not exist */
    size_t prev_len;
    uint64_t prev_seq, seq; /* the value replaced, the value written */
} cw_txn_undo;

/* ---- items ----
 * A character's item instances: uid (never reused), template, stack, place
 * ("inv:N" inventory slot N of 0..inv_slots-1, "eq:SLOT" an equipment slot),
 * props (a JSON object text) and the stored row version (0: not stored yet).
 * `stack` is live: it includes every queued transaction (what is free to
 * destroy: a pending destroy has taken its share already); `committed` is
 * the stack as of the last commit (what the player is shown). An entry
 * whose live stack is 0 is a tombstone: it keeps its slot until a save has
 * written its removal (or its creation was never stored), then it goes.
 * Trades (cw_players_trade): an instance given away is a tombstone with
 * moved_to = the receiver (its row is written by the receiver's save, never
 * deleted by the giver's); the receiver holds it with moved_from = the giver
 * until the save that moves it commits. `hold` (nonzero: the handle of a
 * trade offering it) refuses destroying, moving and other offers: CW_EBUSY. */
#define CW_ITEM_PLACE_MAX 31
#define CW_INV_SLOTS_DEFAULT 24
#define CW_INV_SLOTS_MAX 1000
#define CW_ITEM_PROPS_MAX 4096

typedef struct cw_item {
    int64_t uid;
    char tmpl[CW_DEF_ID_MAX + 1];
    int64_t stack, committed;
    char place[CW_ITEM_PLACE_MAX + 1];
    char *props; /* owned */
    int64_t version;
    uint64_t seq, saved_seq; /* last change; the change the store holds */
    uint64_t saving_seq;     /* captured by the save in flight (0: none) */
    int64_t saving_stack, saving_version;
    int64_t moved_to, moved_from; /* trades: see above (0 = none) */
    uint64_t hold;                /* offered in a trade (0 = free) */
} cw_item;

/* One item change of a queued transaction: delta items of instance uid
 * (created: fresh, or stacked onto it; negative: destroyed). */
typedef struct cw_txn_item_op {
    int64_t uid, delta;
    char tmpl[CW_DEF_ID_MAX + 1];
} cw_txn_item_op;

/* A queued transaction (see cw_player_txn). */
typedef struct cw_txn {
    int64_t gold, exp; /* deltas */
    int level;         /* 0 = unchanged */
    uint64_t token;    /* the caller's handle, handed back when committed/failed */
    char reason[CW_GRANT_REASON_MAX + 1]; /* for the ledger rows written with it */
    cw_txn_undo *undo;
    int nundo;
    cw_txn_item_op *items; /* applied to the live stacks at once, undone on failure */
    int nitems;
    int done; /* rolled back (internal) */
    /* trades: the other character and the fail-together group (0 = not a
     * trade); gold_sent = the gold this side gave (gold is the net delta) */
    int64_t counterpart, group, gold_sent;
    struct cw_txn *next;
} cw_txn;

typedef struct cw_player {
    int64_t id, account_id;
    char name[CW_NAME_MAX + 1];
    char race[CW_DEF_ID_MAX + 1], job[CW_DEF_ID_MAX + 1], zone[CW_DEF_ID_MAX + 1];
    int level;
    double x, y;
    int64_t gold;      /* committed */
    int64_t exp;       /* committed experience */
    int64_t gold_held; /* offered in a trade: other transactions may not spend it */
    char *doc;         /* the stored document (JSON object text), owned; its "gold", "exp"
                          and "data" are overwritten from the fields here at every save */
    int64_t version;   /* the stored row's version this state is based on */
    /* script data (live: includes the data of queued transactions) */
    cw_data_ns *data;
    int ndata, capdata;
    size_t data_bytes; /* cw_player_data_size */
    uint64_t data_seq;
    /* write-behind */
    uint64_t change_seq, saved_seq, saving_seq; /* saving_seq 0 = no save in flight */
    int stale;                    /* the store refused our version: never saved again */
    cw_txn *txns, *txns_inflight; /* queued, and carried by the save in flight */
    /* items (by uid order of arrival) */
    cw_item *items;
    int nitems, capitems;
    int inv_slots;     /* inventory size (CW_INV_SLOTS_DEFAULT unless set at load) */
    uint64_t item_seq; /* item change counter */
    /* presence */
    int online;
    uint64_t conn_id;
    /* the guild the character is in (0: none): kept by core/app (guild_app.h), loaded at
       enter_world, so guild chat reads no database */
    int64_t guild_id;
    /* the move path's shortcuts (core/app): */
    struct cw_player **cached_by; /* the one pointer kept to this player by a session (its
                                     move cache), set NULL here when the player is removed
                                     or the table freed; NULL: none */
    uint8_t dead; /* in the world: its fighter is dead (kept by cw_battle_watch_dead) */
} cw_player;

/* What one save writes: a copy, so the player may change while it is in flight. */
typedef struct cw_player_snapshot {
    int64_t id, account_id, version;
    char name[CW_NAME_MAX + 1];
    char race[CW_DEF_ID_MAX + 1], job[CW_DEF_ID_MAX + 1], zone[CW_DEF_ID_MAX + 1];
    int level;
    double x, y;
    int64_t gold;           /* committed gold plus every transaction this save carries */
    int64_t exp;            /* likewise */
    const char *doc;        /* borrowed from the player: valid until the next cw_players_* or
                               cw_player_* call */
    const cw_data_ns *data; /* the live script data (borrowed, same lifetime) */
    int ndata;
    const cw_txn *txns;   /* the transactions this save carries (borrowed, same lifetime) */
    const cw_item *items; /* the player's items (borrowed, same lifetime): those with */
    int nitems;           /* saving_seq != 0 are the writes this save carries */
    uint64_t seq;
    int64_t group; /* nonzero: saved together with the other snapshots of this group (a
                      trade), all or none (cw_character.group) */
} cw_player_snapshot;

typedef struct cw_players cw_players;

cw_players *cw_players_new(void);
void cw_players_free(cw_players *ps);

/* Adds a loaded character (version as read). CW_EEXIST if that id is loaded,
 * CW_ENOMEM. *out gets the player. The new player is clean and offline. */
typedef struct cw_player_init {
    int64_t id, account_id, version;
    const char *name, *race, *job, *zone, *doc;
    int level;
    double x, y;
    int64_t gold, exp;
    /* script data as stored (copied; each entry must be valid: else CW_EINVAL) */
    const struct cw_txn_data *data;
    int ndata;
    /* items as stored (copied; uid > 0, unique, stack > 0, a template and a
     * place, props a JSON object: else CW_EINVAL) */
    const struct cw_item_init *items;
    int nitems;
    int inv_slots; /* 0 = CW_INV_SLOTS_DEFAULT; 1..CW_INV_SLOTS_MAX */
} cw_player_init;

typedef struct cw_item_init {
    int64_t uid, stack, version;
    const char *tmpl, *place, *props;
} cw_item_init;
int cw_players_add(cw_players *ps, const cw_player_init *init, cw_player **out);
cw_player *cw_players_get(cw_players *ps, int64_t id);
/* Case-insensitive name lookup. */
cw_player *cw_players_find_name(cw_players *ps, const char *name);
/* Drops a player (its unsaved changes are lost: call only when clean, or
 * when the character was deleted). Queued transactions are discarded
 * without a callback. */
void cw_players_remove(cw_players *ps, int64_t id);
size_t cw_players_count(const cw_players *ps);
/* Players with changes not yet saved (in flight or not). */
size_t cw_players_dirty(const cw_players *ps);
/* Calls fn for every player (fn must not add or remove players). */
void cw_players_each(cw_players *ps, void (*fn)(cw_player *p, void *ud), void *ud);

/* Marks a change to be saved. */
void cw_player_touch(cw_player *p);
/* 1 when the player has changes (or transactions) no save covers yet. */
int cw_player_dirty(const cw_player *p);

/* ---- script data ---- */

/* 1 when ns is a valid namespace name. */
int cw_player_data_ns_valid(const char *ns);
/* The namespace's JSON object text, or NULL when absent. Valid until the
 * next change of p's data. */
const char *cw_player_data_get(const cw_player *p, const char *ns);
/* Replaces ns (json = a JSON object text of len bytes; "{}" allowed and
 * kept as "{}"). Touches p (written behind). CW_EINVAL: bad ns name or not
 * a JSON object; CW_ELIMIT: the character's data would grow beyond cap bytes
 * (cw_player_data_size; a change that does not grow it is always allowed);
 * CW_ENOMEM. Nothing changes on error. */
int cw_player_data_set(cw_player *p, const char *ns, const char *json, size_t len, size_t cap);
size_t cw_player_data_size(const cw_player *p);
/* Calls fn for every namespace (ns, json), in the order they were created. */
void cw_player_data_each(const cw_player *p, void (*fn)(const char *ns, const char *json, void *ud),
                         void *ud);

/* ---- transactions ---- */

typedef struct cw_txn_data {
    const char *ns;
    const char *json;
    size_t len;
} cw_txn_data;

/* An item operation of a transaction.
 * CW_TXN_ITEM_CREATE: count items of template tmpl with props (JSON object
 *   text, NULL = "{}"), placed first onto existing inventory stacks of the
 *   same template and equal props up to max_stack (>= 1) each, then into the
 *   first free inventory slots as new instances (uids from new_uid).
 * CW_TXN_ITEM_DESTROY: count items of the player's instance uid (splits the
 *   stack; the whole stack removes the instance). */
enum { CW_TXN_ITEM_CREATE = 1, CW_TXN_ITEM_DESTROY = 2 };
typedef struct cw_txn_item {
    int op;
    const char *tmpl, *props;
    int64_t count, max_stack;
    int64_t uid;
} cw_txn_item;

typedef struct cw_txn_spec {
    int64_t gold, exp;       /* deltas (may be negative); 0 = none */
    int level;               /* the character's level once committed; 0 = unchanged */
    const cw_txn_data *data; /* namespaces replaced by this transaction (a namespace named
                                twice: the last entry wins) */
    int ndata;
    const char *reason;       /* ledger reason (cw_txn_reason_problem), NULL = "" */
    const cw_txn_item *items; /* item operations, applied in order */
    int nitems;
    /* a fresh uid for each new instance (> 0, never handed out before), or 0
     * when none is available (the transaction is then refused CW_EUNAVAIL);
     * needed only when a create makes a new instance */
    int64_t (*new_uid)(void *ud);
    void *uid_ud;
} cw_txn_spec;

/* NULL when reason may be a ledger reason: the text policy of
 * core/base/text.h (valid UTF-8, printable, no bidi controls, not blank) and
 * at most CW_GRANT_REASON_MAX bytes. Otherwise a short sentence for an error
 * message ("is not valid UTF-8", …; it never quotes the text). NULL reason:
 * "is missing". */
const char *cw_txn_reason_problem(const char *reason);

/* Queues one all-or-nothing value change. Checks first and changes nothing
 * on error: CW_EFULL when a create finds no room in the inventory;
 * CW_ENOTFOUND when a destroy names no instance of this player or more than
 * its live stack (a pending destroy has taken its share: nothing is
 * destroyed twice); CW_EBUSY when a destroy names an instance held by a
 * trade (cw_item.hold), or negative gold would spend gold_held; CW_EUNAVAIL when new_uid has no
 * uid; CW_EINVAL when committed + every queued + this gold (or exp) would leave [0, 2^53] (both
 * ends allowed), a negative level, a reason cw_txn_reason_problem refuses (NULL is allowed: ""), or
 * a bad data entry; CW_ELIMIT when the data would grow beyond cap (as cw_player_data_set);
 * CW_ESTATE when p is stale; CW_ENOMEM.
 * Data entries are applied to the live data AT ONCE and the previous values
 * kept: if the transaction fails, those namespaces get their previous values
 * back (a later write to the same namespace, by another transaction or
 * cw_player_data_set, is kept). Gold, exp and level are applied to p only
 * when the save carrying the transaction succeeds (level: the highest level
 * among the transactions of that save). Transactions commit in the order
 * they were queued. */
int cw_player_txn(cw_player *p, const cw_txn_spec *t, uint64_t token, size_t cap);
/* A gold-only transaction (cw_player_txn with .gold = delta). */
int cw_player_grant(cw_player *p, int64_t delta, uint64_t token, const char *reason);

/* Fills up to max snapshots with players that need a save and have none in
 * flight, marking each in flight. only_grants: only players with queued
 * transactions (the group-commit path). Stale players are skipped. Returns
 * the count. A snapshot carries every transaction queued so far: gold = committed
 * + their gold, exp likewise, level = the highest of their levels if any sets
 * one (else p->level), and the live data. */
int cw_players_collect(cw_players *ps, cw_player_snapshot *out, int max, int only_grants);
/* Snapshot of one player if it needs a save and has none in flight
 * (returns 1), else 0. Does not look at trades: callers that save players
 * who may trade use cw_players_collect_with. */
int cw_players_collect_one(cw_player *p, cw_player_snapshot *out);
/* Snapshots p and, when p has a queued trade, every player its trades tie it
 * to (transitively), all with the same snapshot group: they must be saved in
 * one batch. Returns the count (0 when p needs no save, or any of them has a
 * save in flight or is stale, or they do not fit in max, or there are more
 * than CW_PLAYERS_GROUP_MAX). cw_players_collect does the same for every
 * player it takes. */
#define CW_PLAYERS_GROUP_MAX 16 /* players one save may tie together through trades */
int cw_players_collect_with(cw_players *ps, cw_player *p, cw_player_snapshot *out, int max);

/* ---- trades (player_trade.c) ----
 * One side of a trade: whole item instances (uids, each committed, with no
 * queued change, stored, not held by another trade than `hold`) and gold it
 * gives the other side; token identifies its transaction in cw_grant_cb. */
typedef struct cw_trade_give {
    const int64_t *uids;
    int nuids;
    int64_t gold;
    uint64_t token;
} cw_trade_give;
/* Queues the two transactions of a trade between a and b, tied as one
 * fail-together group: items change owner (the receiver gets each into its
 * first free inventory slot), gold moves both ways (each side's gold delta
 * is the net); ledger rows: the gold each side sent and each item received,
 * with from/to. Both commit in one database transaction or neither does
 * (cw_players_saved reports both). hold: the trade's handle (items held by
 * it are allowed; 0 = none). Checks first, changes nothing on error:
 * CW_EINVAL (a == b, negative gold, a repeated uid, bad reason, a gold total
 * out of range), CW_ENOTFOUND (not a whole committed settled instance of the
 * giver), CW_EBUSY (held by another trade), CW_EFULL (no room for the
 * receiver), CW_ESTATE (a side is stale), CW_ENOMEM. */
/* 1 when p can give gold more now: committed + queued gold - gold_held >= gold
 * (always when gold <= 0). */
int cw_player_gold_can_give(const cw_player *p, int64_t gold);
int cw_players_trade(cw_players *ps, cw_player *a, const cw_trade_give *ga, cw_player *b,
                     const cw_trade_give *gb, const char *reason, uint64_t hold);

/* The outcome of one player's save: rc 0, CW_ESTATE (stale), or anything
 * else (not saved: stays dirty; the carried transactions go back to the
 * front of the queue unless fail_grants).
 * For every transaction the save carried, cb(token, rc, p, gold, exp,
 * level, ud) is called in queue order with the transaction's deltas and
 * level (0 = unchanged):
 *   - rc 0: the transaction was applied; p is the player right after it
 *     (p->gold, p->exp, p->level include it and every earlier one);
 *   - rc != 0 (CW_ESTATE, or failure with fail_grants): the transaction was
 *     dropped and its data rolled back; p is the player as it stays.
 * After a failure, a queued (not carried) transaction that would now take
 * gold or exp out of [0, 2^53] is dropped and reported the same way with the
 * same rc; on CW_ESTATE every queued transaction is (the copy is never saved
 * again). cb may be NULL. */
typedef void (*cw_grant_cb)(uint64_t token, int rc, const cw_player *p, int64_t gold_delta,
                            int64_t exp_delta, int level, void *ud);
/* Item changes of committed transactions: called by cw_players_saved for
 * each item operation of a transaction that committed (before that
 * transaction's cw_grant_cb), with the instance after it (it->committed is
 * the new count; 0 = the instance is gone). */
/* Called by cw_players_remove just before p is freed (not by cw_players_free):
 * whoever registered keeps pointers into p (cw_battle_watch_dead) drops them.
 * One hook per table; NULL unsets. */
void cw_players_on_remove(cw_players *ps, void (*fn)(void *ud, cw_player *p), void *ud);

typedef void (*cw_item_cb)(const cw_player *p, const cw_item *it, int64_t delta, void *ud);
void cw_players_on_item(cw_players *ps, cw_item_cb cb, void *ud);

/* ---- items (player_items.c) ---- */

/* The instance uid of p (tombstones included), or NULL. */
cw_item *cw_player_item(cw_player *p, int64_t uid);
/* Moves a committed instance (committed > 0 and live stack > 0) to place
 * ("inv:N" with N < inv_slots, or "eq:SLOT" with SLOT 1..24 of [a-z0-9_]),
 * written behind with the character. CW_EBUSY: held by a trade;
 * CW_ENOTFOUND: no such instance;
 * CW_EINVAL: bad place; CW_EEXIST: another instance holds that place. */
int cw_player_item_move(cw_player *p, int64_t uid, const char *place);
/* The instance at place (tombstones included), or NULL. */
cw_item *cw_player_item_at(cw_player *p, const char *place);
/* 1 when place is a valid place for p. */
int cw_player_place_valid(const cw_player *p, const char *place);
void cw_players_saved(cw_players *ps, int64_t id, int rc, int fail_grants, cw_grant_cb cb,
                      void *ud);

#endif
