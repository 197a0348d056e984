/* players.h — the live characters of the shard and their write-behind state.
 *
 * A cw_player is one loaded character: who it is (ids, name, race, job), its
 * soft state (zone, position, level), its currency (gold) and the rest of
 * its document (opaque JSON text kept for the store). C owns it; sessions
 * and scripts refer to it by character id.
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
 * Value changes (gold) are two-phase: cw_player_grant queues a delta that is
 * NOT yet part of p->gold. The next snapshot includes the queued deltas; only
 * cw_players_saved with success applies them to p->gold and reports them as
 * committed, so nobody is told about value that is not in the database.
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

typedef struct cw_grant {
    int64_t delta;
    uint64_t token; /* the caller's handle, handed back when committed/failed */
    char reason[CW_GRANT_REASON_MAX + 1]; /* for the ledger row written with it */
    struct cw_grant *next;
} cw_grant;

typedef struct cw_player {
    int64_t id, account_id;
    char name[CW_NAME_MAX + 1];
    char race[CW_DEF_ID_MAX + 1], job[CW_DEF_ID_MAX + 1], zone[CW_DEF_ID_MAX + 1];
    int level;
    double x, y;
    int64_t gold;    /* committed */
    char *doc;       /* the stored document (JSON object text), owned */
    int64_t version; /* the stored row's version this state is based on */
    /* write-behind */
    uint64_t change_seq, saved_seq, saving_seq; /* saving_seq 0 = no save in flight */
    int stale; /* the store refused our version: never saved again */
    cw_grant *grants, *grants_inflight;
    /* presence */
    int online;
    uint64_t conn_id;
} cw_player;

/* What one save writes: a copy, so the player may change while it is in flight. */
typedef struct cw_player_snapshot {
    int64_t id, account_id, version;
    char name[CW_NAME_MAX + 1];
    char race[CW_DEF_ID_MAX + 1], job[CW_DEF_ID_MAX + 1], zone[CW_DEF_ID_MAX + 1];
    int level;
    double x, y;
    int64_t gold;           /* committed gold plus every grant this save carries */
    const char *doc;        /* borrowed from the player: valid until the next cw_players_* call */
    const cw_grant *grants; /* the grants this save carries (borrowed, same lifetime) */
    uint64_t seq;
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
    int64_t gold;
} cw_player_init;
int cw_players_add(cw_players *ps, const cw_player_init *init, cw_player **out);
cw_player *cw_players_get(cw_players *ps, int64_t id);
/* Case-insensitive name lookup. */
cw_player *cw_players_find_name(cw_players *ps, const char *name);
/* Drops a player (its unsaved changes are lost: call only when clean, or
 * when the character was deleted). Pending grants are discarded. */
void cw_players_remove(cw_players *ps, int64_t id);
size_t cw_players_count(const cw_players *ps);
/* Players with changes not yet saved (in flight or not). */
size_t cw_players_dirty(const cw_players *ps);
/* Calls fn for every player (fn must not add or remove players). */
void cw_players_each(cw_players *ps, void (*fn)(cw_player *p, void *ud), void *ud);

/* Marks a change to be saved. */
void cw_player_touch(cw_player *p);
/* 1 when the player has changes (or grants) no save covers yet. */
int cw_player_dirty(const cw_player *p);

/* Queues a gold change (not applied until committed). CW_EINVAL if committed
 * gold plus every queued change would go below zero or overflow. */
int cw_player_grant(cw_player *p, int64_t delta, uint64_t token, const char *reason);

/* Fills up to max snapshots with players that need a save and have none in
 * flight, marking each in flight. only_grants: only players with queued
 * grants (the group-commit path). Stale players are skipped. Returns the
 * count. */
int cw_players_collect(cw_players *ps, cw_player_snapshot *out, int max, int only_grants);
/* Snapshot of one player if it needs a save and has none in flight
 * (returns 1), else 0. */
int cw_players_collect_one(cw_player *p, cw_player_snapshot *out);

/* The outcome of one player's save: rc 0, CW_ESTATE (stale), or anything
 * else (not saved: stays dirty, grants back in the queue unless
 * fail_grants). For every grant the save carried, grant_cb(token, rc, gold,
 * delta, ud) is called: rc 0 with the new committed gold, or the failure. */
typedef void (*cw_grant_cb)(uint64_t token, int rc, int64_t gold, int64_t delta, void *ud);
void cw_players_saved(cw_players *ps, int64_t id, int rc, int fail_grants, cw_grant_cb cb,
                      void *ud);

#endif
