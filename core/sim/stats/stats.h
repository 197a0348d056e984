/* stats.h — the stat engine of spec/stats.md ("Actor Core v3").
 *
 * Game systems hand an actor contributions and cap contributions, grouped by
 * SOURCE ("race", "job", "item:123", "buff:haste", "realm"); the engine
 * resolves them, deterministically, into a snapshot of values and bounds.
 *
 * Ownership
 *   - A cw_stats_registry holds everything shared by the actors of one content
 *     generation: interned names, combiner rules, the cap layer registry,
 *     derived formulas and shared cap sources (world events). It is
 *     reference-counted: cw_stats_registry_new returns one reference, every
 *     actor holds one more, cw_stats_registry_free drops the caller's. The
 *     memory goes when the last reference goes, so actors and registry may be
 *     freed in any order (Lua's __gc order at lua_close is unspecified).
 *   - A cw_stats_actor is a C object owned by whoever created it (the entity
 *     table); Lua only ever holds handles. It copies every input it is given:
 *     the caller's strings and arrays may be freed right after the call.
 *   - A snapshot is owned by its actor and stays valid until the next call
 *     that mutates or resolves that actor, or until the actor is freed.
 *   - All memory goes through the allocator given to cw_stats_registry_new
 *     (NULL = libc), so a benchmark or test can count or fail allocations.
 *
 * Errors: functions that can fail return 0 or a negative CW_E* code and fill
 * the caller's cw_error (may be NULL). A failed call leaves the object exactly
 * as it was. Values must be finite (NaN and ±inf are CW_EINVAL), except the
 * clamp bounds of a rule, where ±INFINITY means "unbounded".
 *
 * Cost: interning and every mutation may allocate and sort; a resolve walks
 * flat pre-sorted arrays and allocates nothing, except the first resolve after
 * the registry itself grew (a new formula or shared-cap dimension), which may
 * enlarge the actor's snapshot buffers once. An actor whose inputs and
 * registry are unchanged returns its cached snapshot without recomputing.
 *
 * Threads: none. One registry and its actors belong to one thread. */
#ifndef CW_SIM_STATS_H
#define CW_SIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

typedef struct cw_stats_registry cw_stats_registry;
typedef struct cw_stats_actor cw_stats_actor;

typedef enum {
    CW_STATS_FLAT = 0,
    CW_STATS_MULT = 1,
    CW_STATS_POST_ADD = 2,
    CW_STATS_OVERRIDE = 3,
} cw_stats_bucket;

typedef enum {
    CW_STATS_SUM = 0,
    CW_STATS_MAX,
    CW_STATS_MIN,
    CW_STATS_AVERAGE,
    CW_STATS_MULTIPLY,
} cw_stats_operator;

typedef enum {
    CW_STATS_CAP_BASELINE = 0,
    CW_STATS_CAP_ADDITIVE,
    CW_STATS_CAP_HARD_MAX,
    CW_STATS_CAP_HARD_MIN,
    CW_STATS_CAP_OVERRIDE,
} cw_stats_cap_mode;

typedef enum { CW_STATS_KIND_MAX = 0, CW_STATS_KIND_MIN = 1 } cw_stats_cap_kind;

typedef enum { CW_STATS_INTERSECT = 0, CW_STATS_PRIORITIZED_OVERRIDE = 1 } cw_stats_across;

typedef enum { CW_STATS_PRIMARY = 0, CW_STATS_DERIVED = 1 } cw_stats_list;

/* Limits (CW_ELIMIT beyond them). */
#define CW_STATS_MAX_LAYERS 32
#define CW_STATS_MAX_NAME 128

/* Symbol id meaning "no such name". */
#define CW_STATS_NONE UINT32_MAX

/* Parsers and names for the interchange spellings ("FLAT", "HARD_MAX", ...).
 * Parsers return the enum value or -1 when unknown; names never return NULL. */
int cw_stats_bucket_parse(const char *s);
int cw_stats_operator_parse(const char *s);
int cw_stats_cap_mode_parse(const char *s);
int cw_stats_cap_kind_parse(const char *s); /* "max" | "min" */
int cw_stats_across_parse(const char *s);
const char *cw_stats_bucket_name(int b);
const char *cw_stats_operator_name(int op);
const char *cw_stats_cap_mode_name(int m);
const char *cw_stats_across_name(int a);

/* Combiner rule of one dimension. Unbounded clamp sides are ±INFINITY. */
typedef struct cw_stats_rule {
    int use_pipeline; /* 1: buckets; 0: operator mode */
    cw_stats_operator op;
    double clamp_min, clamp_max;
} cw_stats_rule;

/* The rule in force before any default is set: pipeline, SUM, (-inf, +inf). */
cw_stats_rule cw_stats_rule_init(void);

/* ---- inputs (strings are copied/interned; arrays are copied) ---- */

typedef struct cw_stats_contrib_in {
    const char *dimension;
    cw_stats_bucket bucket;
    double value;
    const char *system;
    int32_t priority; /* 0 by default */
} cw_stats_contrib_in;

typedef struct cw_stats_cap_in {
    const char *system;
    const char *dimension;
    cw_stats_cap_mode mode;
    cw_stats_cap_kind kind; /* must agree with HARD_MAX (max) / HARD_MIN (min) */
    double value;
    int32_t priority;
    const char *scope; /* layer name; NULL = "TOTAL" */
    const char *realm; /* required when scope is "REALM", ignored otherwise */
} cw_stats_cap_in;

typedef struct cw_stats_pack_in {
    const char *name; /* "damage", "healing", ... */
    double additive_percent;
    const double *multipliers;
    size_t nmultipliers;
    double post_add;
} cw_stats_pack_in;

typedef struct cw_stats_source_in {
    const cw_stats_contrib_in *primary;
    size_t nprimary;
    const cw_stats_contrib_in *derived;
    size_t nderived;
    const cw_stats_cap_in *caps;
    size_t ncaps;
    const cw_stats_pack_in *packs;
    size_t npacks;
} cw_stats_source_in;

/* ---- outputs ---- */

/* A context modifier pack: value' = base * (1 + additive_percent) * prod(multipliers) + post_add.
 */
typedef struct cw_stats_pack {
    uint32_t name; /* symbol id: cw_stats_symbol_name() */
    double additive_percent;
    double post_add;
    const double *multipliers;
    size_t nmultipliers;
} cw_stats_pack;

typedef struct cw_stats_value {
    uint32_t dim;
    double value;
} cw_stats_value;

typedef struct cw_stats_bounds {
    uint32_t dim;
    double min, max; /* ±INFINITY when unbounded */
} cw_stats_bounds;

/* Every array is sorted by dim id (packs by name id). */
typedef struct cw_stats_snapshot {
    const cw_stats_value *primary;
    size_t nprimary;
    const cw_stats_value *derived;
    size_t nderived;
    const cw_stats_bounds *caps_used;
    size_t ncaps_used;
    const cw_stats_pack *context;
    size_t ncontext;
    uint64_t version;
} cw_stats_snapshot;

/* ---- allocator hooks ---- */

typedef struct cw_stats_allocator {
    void *(*realloc)(void *ud, void *ptr, size_t size); /* size 0 never requested */
    void (*free)(void *ud, void *ptr);
    void *ud;
} cw_stats_allocator;

/* ---- registry ---- */

int cw_stats_registry_new(const cw_stats_allocator *alloc, cw_stats_registry **out, cw_error *err);
/* Drops the caller's reference (NULL is a no-op). */
void cw_stats_registry_free(cw_stats_registry *reg);

/* Dimension names -> small dense ids (0, 1, 2, ...), stable for the registry's life. */
int cw_stats_dim_intern(cw_stats_registry *reg, const char *name, uint32_t *id, cw_error *err);
uint32_t cw_stats_dim_find(const cw_stats_registry *reg, const char *name); /* or CW_STATS_NONE */
const char *cw_stats_dim_name(const cw_stats_registry *reg, uint32_t dim);  /* NULL if bad */
size_t cw_stats_dim_count(const cw_stats_registry *reg);
/* Other names (systems, layers, realms, context packs) share a second table. */
const char *cw_stats_symbol_name(const cw_stats_registry *reg, uint32_t sym);

/* Rules. Changing any registry-level setting bumps the registry epoch, which
 * makes every actor re-resolve (and bump its version) on its next resolve. */
int cw_stats_set_default_rule(cw_stats_registry *reg, const cw_stats_rule *rule, cw_error *err);
int cw_stats_set_rule(cw_stats_registry *reg, const char *dim, const cw_stats_rule *rule,
                      cw_error *err);
const cw_stats_rule *cw_stats_get_rule(const cw_stats_registry *reg, uint32_t dim);

/* Cap layers. Default: REALM, WORLD, EVENT, TOTAL with INTERSECT. Layers used
 * by caps but absent from `order` come after the listed ones, by name. */
int cw_stats_set_layers(cw_stats_registry *reg, const char *const *order, size_t n,
                        cw_stats_across across, cw_error *err);

/* Derived formula: derived[dim] gets FLAT (sum weights[i]*primary[inputs[i]] +
 * constant) from system "formula". A missing primary counts as 0. Replaces
 * any previous formula of dim; n == 0 with constant only is allowed. */
int cw_stats_set_formula(cw_stats_registry *reg, const char *dim, const char *const *inputs,
                         const double *weights, size_t n, double constant, cw_error *err);
int cw_stats_remove_formula(cw_stats_registry *reg, const char *dim, cw_error *err);

/* Shared cap sources apply to every actor of the registry (a world event
 * capping a layer for everyone). Setting or removing one bumps the epoch, so
 * every actor re-resolves once, lazily, on its next resolve. Only caps: a
 * source's contributions stay per actor. */
int cw_stats_set_shared_caps(cw_stats_registry *reg, const char *source,
                             const cw_stats_cap_in *caps, size_t ncaps, cw_error *err);
int cw_stats_remove_shared_caps(cw_stats_registry *reg, const char *source, cw_error *err);
uint64_t cw_stats_registry_epoch(const cw_stats_registry *reg);

/* ---- actors ---- */

int cw_stats_actor_new(cw_stats_registry *reg, cw_stats_actor **out, cw_error *err);
void cw_stats_actor_free(cw_stats_actor *a); /* NULL is a no-op */
cw_stats_registry *cw_stats_actor_registry(const cw_stats_actor *a);

/* Adds the source, or replaces all of its outputs. Setting identical content
 * (in any order) is not a change: no version bump, no re-resolve. */
int cw_stats_actor_set_source(cw_stats_actor *a, const char *source, const cw_stats_source_in *in,
                              cw_error *err);
/* CW_ENOTFOUND if the actor has no such source. */
int cw_stats_actor_remove_source(cw_stats_actor *a, const char *source, cw_error *err);
size_t cw_stats_actor_source_count(const cw_stats_actor *a);
/* The actor's current realm: REALM caps apply only when their realm equals
 * it; with no realm (NULL) no REALM cap applies. */
int cw_stats_actor_set_realm(cw_stats_actor *a, const char *realm, cw_error *err);
const char *cw_stats_actor_realm(const cw_stats_actor *a); /* NULL when none */
/* Forces the next resolve to recompute (does not change the version). */
void cw_stats_actor_mark_dirty(cw_stats_actor *a);
int cw_stats_actor_is_dirty(const cw_stats_actor *a);
/* Number of input changes seen so far (see cw_stats_snapshot.version). */
uint64_t cw_stats_actor_version(const cw_stats_actor *a);

/* Resolves (if needed) and points *out at the actor's snapshot. */
int cw_stats_actor_resolve(cw_stats_actor *a, const cw_stats_snapshot **out, cw_error *err);

/* ---- snapshot and pack helpers (pure) ---- */

/* 1 and *value when dim has a value in that list, else 0. */
int cw_stats_snapshot_get(const cw_stats_snapshot *s, cw_stats_list list, uint32_t dim,
                          double *value);
/* 1 and the bounds when dim is in caps_used, else 0. */
int cw_stats_snapshot_bounds(const cw_stats_snapshot *s, uint32_t dim, double *min, double *max);
/* The pack named `name` (symbol id), or NULL. */
const cw_stats_pack *cw_stats_snapshot_pack(const cw_stats_snapshot *s, uint32_t name);
uint32_t cw_stats_symbol_find(const cw_stats_registry *reg, const char *name);

/* base * (1 + additive_percent) * prod(multipliers) + post_add. NULL pack -> base. */
double cw_stats_pack_apply(const cw_stats_pack *p, double base);
/* Merges packs (same name assumed) into *out: sums additive_percent and
 * post_add, concatenates multipliers into mult_buf (capacity mult_cap) in
 * argument order. CW_ELIMIT when mult_buf is too small. */
int cw_stats_pack_merge(const cw_stats_pack *packs, size_t n, double *mult_buf, size_t mult_cap,
                        cw_stats_pack *out, cw_error *err);

#endif
