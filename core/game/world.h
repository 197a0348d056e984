/* world.h — the live world: zones (from content), an entity table with
 * stable integer ids, one spatial grid per zone, and what each entity can
 * see (area of interest).
 *
 * Entities: players now; monsters and NPCs use the same table later (kind).
 * Ids start at 1 and are never reused while the world lives. Every entity
 * keeps the sorted set of entity ids within its zone's view distance;
 * visibility is symmetric, so a change produces each enter/leave edge
 * exactly once per (subject, observer) pair.
 *
 * Events are reported through cw_world_hooks, one call per subject with
 * every observer that must hear of it (players only): the app encodes one
 * frame per call and writes it to each observer. The world itself does no
 * I/O and reads no clock (times are passed in). Loop thread only.
 *
 * Removals: cw_world_remove tells the observers at once (leave hook) but,
 * so that K removals from a crowd cost O(K * n) and not O(K * N * n), leaves
 * the removed id in their seen sets until cw_world_compact (called by
 * cw_world_tick, and by cw_world_remove once 65,536 removals are pending;
 * the app also calls it before flushing its outboxes), which
 * tidies each such set once, in one pass. Until then a seen set may hold ids
 * of removed entities: still sorted, never a living entity's (ids are never
 * reused), cw_world_get answers NULL for them (every loop over e->seen must
 * skip those, as it must anyway), nseen counts them, and cw_entity_sees
 * answers 0 for them. Every world call keeps working with them in place;
 * after cw_world_compact every seen set is exact again.
 *
 * Ownership: cw_world owns its entities (pointers stay valid until the
 * entity is removed or the world freed) and the zone set handed to
 * cw_world_set_zones. Functions return 0 or a negative CW_E* code. */
#ifndef CW_GAME_WORLD_H
#define CW_GAME_WORLD_H

#include "core/base/err.h"
#include "core/game/zone.h"
#include "core/sim/space/space.h"

#include <stddef.h>
#include <stdint.h>

#define CW_ENTITY_NAME_MAX 31
#define CW_MOVE_BURST_SECONDS 1.0 /* a client may bank this much movement time */

typedef enum cw_ent_kind { CW_ENT_PLAYER = 1, CW_ENT_MONSTER = 2, CW_ENT_NPC = 3 } cw_ent_kind;

/* The first 64 bytes hold what a move touches on the *other* entities (the
 * observers it fans out to, the subjects encoded into a player's events):
 * the world allocates entities on a cache-line boundary, so that is one
 * line per neighbour. Keep hot fields in front when adding any. */
typedef struct cw_entity {
    int64_t id;
    cw_ent_kind kind;
    int nseen;      /* see seen */
    uint32_t moves; /* bumped by the world on every change of position or zone */
    int dirty;      /* internal (removals pending compaction) */
    void *outbox;   /* the owner's queue of events for this player (hooks.release frees it) */
    double x, y;
    struct {
        uint64_t key;
        uint32_t off, len;
        uint64_t stamp;
        uint32_t mid_moves, full_moves; /* moves at its last turns (interest) */
        uint32_t owed;                  /* a turn held back by a cap: repeated next flush */
        uint64_t moved_at;              /* the flush window of its last move */
    } enc;         /* scratch of whoever encodes this entity's events (core/app/outbox.c) */
    int64_t *seen; /* sorted ids in view (and removed ones: see "Removals" at the top) */
    int capseen;
    int slot;        /* internal */
    int zone;        /* index into the world's zone set */
    double speed;    /* units per second */
    double credit_s; /* banked movement time */
    uint64_t move_ns;
    int64_t ref;    /* players: the character id */
    uint64_t owner; /* players: the connection id */
    void *data;     /* the owner's per-entity state (core/app: its combatant); never freed here */
    int64_t focus;  /* the entity this one fights (its owner sets it; 0: none): interest
                       management keeps the moves between the two at full rate */
    char name[CW_ENTITY_NAME_MAX + 1];
} cw_entity;

typedef struct cw_world_hooks {
    void *ud;
    /* subject came into the view of observers (to[0..n)) */
    void (*enter)(void *ud, const cw_entity *subject, cw_entity *const *to, int n);
    /* subject left their view (moved away, changed zone, or was removed) */
    void (*leave)(void *ud, const cw_entity *subject, cw_entity *const *to, int n);
    /* subject moved and stays in their view */
    void (*move)(void *ud, const cw_entity *subject, cw_entity *const *to, int n);
    /* subject changed zone (portal, or its zone disappeared on reload) */
    void (*zone)(void *ud, const cw_entity *subject);
    /* e is about to be freed (removed, or the world freed): release what the
     * owner hangs on it (outbox). Optional. */
    void (*release)(void *ud, cw_entity *e);
    /* A validated move of e ends inside portal p (its target resolved): return
     * 1 to hold e where it is (the owner takes it elsewhere: cw_world_move
     * then returns CW_EBUSY), 0 to let it through. Optional (NULL: through). */
    int (*portal)(void *ud, cw_entity *e, const cw_portal *p);
} cw_world_hooks;

typedef struct cw_world cw_world;

cw_world *cw_world_new(const cw_world_hooks *hooks); /* NULL when out of memory */
void cw_world_free(cw_world *w);

/* Installs a new zone set (takes ownership of zs's arrays; zs is emptied).
 * The set must have passed cw_zoneset_check. When only what nobody stands on
 * or sees changed (same zones in the same order, same bounds, view and
 * blocked areas), the tables are swapped and no entity is touched. Entities whose zone no longer
 * exists, or whose place is no longer standable, go to the start zone's
 * spawn (zone hook); visibility is recomputed with enter/leave events.
 * CW_ENOMEM leaves the world as it was and zs untouched. */
int cw_world_set_zones(cw_world *w, cw_zoneset *zs, cw_error *err);
const cw_zoneset *cw_world_zones(const cw_world *w);

/* Instance zones (dungeons): zones added to and removed from the live set at
 * runtime. Zone indices stay stable: an added zone fills the first hole a
 * removed zone left (a slot whose id is "", that nothing can stand in and
 * cw_zoneset_find never returns) or is appended; no other zone moves.
 *
 * cw_world_add_zone checks z (id 1..63 chars and not in use: CW_EEXIST;
 * sizes, spawn, portal targets among the live zones: CW_EINVAL), then takes
 * ownership of z's arrays (z is zeroed) and puts its index in *index.
 * On any error z is untouched. CW_ENOMEM. Nobody is placed in it.
 *
 * cw_world_remove_zone: every entity in the zone goes to the start zone's
 * spawn (zone hook, leave/enter events, as a reload that drops the zone);
 * portals of other zones that led there stop working (to_index = -1).
 * Monsters the owner keeps there are the owner's to remove first.
 * CW_ENOTFOUND, CW_EINVAL for the start zone. A later cw_world_set_zones
 * (content reload) keeps the instance zones at their indices (with whoever is
 * in them; their portals are resolved again against the new set, -1 for a
 * target that is gone) and puts the content's zones in the other slots; an
 * instance whose id the new content declares is replaced by that zone. */
int cw_world_add_zone(cw_world *w, cw_zone *z, int *index, cw_error *err);
int cw_world_remove_zone(cw_world *w, const char *id, cw_error *err);

typedef struct cw_entity_init {
    cw_ent_kind kind;
    int64_t ref;
    uint64_t owner;
    const char *name;
    const char *zone; /* unknown or NULL: the start zone */
    double x, y;      /* not standable: the zone's spawn */
    double speed;
} cw_entity_init;

/* Places an entity without telling anyone (call cw_world_show next).
 * CW_ESTATE without zones, CW_EEXIST when a player with that ref is in,
 * CW_ENOMEM. */
int cw_world_add(cw_world *w, const cw_entity_init *in, uint64_t now_ns, cw_entity **out);
/* Computes what e sees: enter events both ways. */
int cw_world_show(cw_world *w, cw_entity *e);
/* Removes an entity (freed before the call returns): leave events to its
 * observers, whose seen sets keep its id until cw_world_compact (see
 * "Removals" above). CW_ENOTFOUND. */
int cw_world_remove(cw_world *w, int64_t id);
/* Drops the ids of removed entities from every seen set that still holds
 * one: O(n) per such set (plus O(K log K) for K removals), nothing when no
 * removal is pending. Afterwards nseen is exact for every entity. */
void cw_world_compact(cw_world *w);
cw_entity *cw_world_get(const cw_world *w, int64_t id);
/* 1 when e has the living entity `id` in view now (0 for a removed one,
 * also while its id awaits compaction; O(log n)). */
int cw_entity_sees(const cw_world *w, const cw_entity *e, int64_t id);
/* Elements of seen sets that hiding entities (removals, zone changes) and
 * cw_world_compact have read or moved so far: a cost measure for tests and
 * benchmarks (it only grows; moves and views built afresh are not counted). */
uint64_t cw_world_view_work(const cw_world *w);
cw_entity *cw_world_find_player(const cw_world *w, int64_t ref);
size_t cw_world_count(const cw_world *w);
const cw_zone *cw_world_zone_of(const cw_world *w, const cw_entity *e);

/* A validated move at now_ns. On refusal returns CW_EINVAL with *why set and
 * e unchanged (its position is the authoritative one). A move ending inside
 * a portal moves e to the portal's target (zone hook), unless the portal
 * hook holds it: then e stays where it was and the result is CW_EBUSY.
 * CW_ENOMEM (the grid could not file e in its new cell): e stays where it was. */
int cw_world_move(cw_world *w, cw_entity *e, double x, double y, uint64_t now_ns,
                  cw_move_verdict *why);
/* Moves e to zone index zi at (x,y) (not validated against speed). */
int cw_world_transfer(cw_world *w, cw_entity *e, int zi, double x, double y);

/* Moves e to (x,y) in its own zone without the speed check (monster steps,
 * respawns): observers get move/enter/leave as for a move. The caller keeps
 * (x,y) standable; no portal is taken. CW_EINVAL when not standable,
 * CW_ENOMEM as for cw_world_move (e unchanged). */
int cw_world_relocate(cw_world *w, cw_entity *e, double x, double y);
/* Ids of entities within r of (x,y) in zone zi (any kind), at most max of
 * them in out; returns the total (see cw_grid_query), or 0 for a bad zone. */
int cw_world_query(const cw_world *w, int zi, double x, double y, double r, int64_t *out, int max);

/* One fixed-rate tick (bookkeeping now: cw_world_compact; monsters later). */
void cw_world_tick(cw_world *w, uint64_t now_ns);
uint64_t cw_world_ticks(const cw_world *w);
void cw_world_each(cw_world *w, void (*fn)(cw_entity *e, void *ud), void *ud);

#endif
