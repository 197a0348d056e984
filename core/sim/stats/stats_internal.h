/* stats_internal.h — the data layout shared by the stat engine's files.
 * Not part of the public API: only the .c files of core/sim/stats include it. */
#ifndef CW_SIM_STATS_INTERNAL_H
#define CW_SIM_STATS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/sim/stats/stats.h"

/* ---- memory (memory.c) ---- */

void *st_realloc(const cw_stats_allocator *al, void *p, size_t size);
void st_free(const cw_stats_allocator *al, void *p);
/* Makes *arr hold at least `need` elements of `elem` bytes; 0 or CW_ENOMEM. */
int st_reserve(const cw_stats_allocator *al, void **arr, uint32_t *cap, size_t need, size_t elem,
               cw_error *err);
/* A copy of n elements (NULL when n == 0); sets *fail on allocation failure. */
void *st_dup(const cw_stats_allocator *al, const void *src, size_t n, size_t elem, int *fail);

/* ---- string interning (symtab.c) ---- */

typedef struct st_symtab {
    char **names;    /* id -> NUL-terminated name; each separately allocated (stable) */
    uint32_t n, cap; /* ids in use, capacity of names */
    uint32_t *slots; /* open addressing: 0 empty, else id + 1 */
    uint32_t nslots; /* power of two */
} st_symtab;

void st_symtab_free(const cw_stats_allocator *al, st_symtab *t);
uint32_t st_symtab_find(const st_symtab *t, const char *name);
int st_symtab_intern(const cw_stats_allocator *al, st_symtab *t, const char *name, uint32_t *id,
                     cw_error *err);
/* Validates a name: non-NULL, 1..CW_STATS_MAX_NAME bytes. */
int st_check_name(const char *name, const char *what, cw_error *err);

/* ---- compiled inputs ---- */

/* One contribution, as stored in a source and in the actor's sorted array. */
typedef struct st_entry {
    const char *sys; /* interned system name (stable pointer, sorts by strcmp) */
    double value;
    uint32_t dim;
    int32_t prio;
    uint8_t list;   /* cw_stats_list */
    uint8_t bucket; /* cw_stats_bucket */
} st_entry;

typedef struct st_cap {
    const char *sys;
    double value;
    uint32_t dim;
    uint32_t realm; /* symbol id or CW_STATS_NONE */
    int32_t prio;
    uint16_t layer; /* layer id */
    uint8_t mode;   /* cw_stats_cap_mode */
    uint8_t kind;   /* cw_stats_cap_kind */
} st_cap;

/* A run of consecutive sorted elements sharing one dimension. */
typedef struct st_run {
    uint32_t dim;
    uint32_t start, count;
} st_run;

/* Orders entries by list, dim, bucket, priority (high first), system, value. */
int st_entry_cmp(const void *a, const void *b);
/* Orders caps by dim, layer, mode, kind, priority (high first), system, realm, value. */
int st_cap_cmp(const void *a, const void *b);
/* Builds runs over a sorted array; returns the number of runs (<= n). */
uint32_t st_entry_runs(const st_entry *e, uint32_t n, st_run *runs, uint32_t *nprimary_runs);
uint32_t st_cap_runs(const st_cap *c, uint32_t n, st_run *runs);
/* Binary search for dim in runs; NULL when absent. */
const st_run *st_run_find(const st_run *runs, uint32_t n, uint32_t dim);

/* Converts public inputs to compiled form (interning names). Values must be finite. */
int st_convert_contrib(cw_stats_registry *reg, const cw_stats_contrib_in *in, uint8_t list,
                       const char *path, size_t index, st_entry *out, cw_error *err);
int st_convert_cap(cw_stats_registry *reg, const cw_stats_cap_in *in, size_t index, st_cap *out,
                   cw_error *err);

/* ---- registry (registry.c) ---- */

typedef struct st_formula {
    uint32_t dim;
    uint32_t n;
    uint32_t *inputs;
    double *weights;
    double constant;
} st_formula;

typedef struct st_shared {
    uint32_t name; /* symbol id of the source */
    st_cap *caps;
    uint32_t ncaps;
} st_shared;

struct cw_stats_registry {
    cw_stats_allocator al;
    int refs;
    st_symtab dims;
    st_symtab syms;

    cw_stats_rule def;
    cw_stats_rule *rules; /* per dim, valid when has_rule[dim] */
    uint8_t *has_rule;
    uint32_t rules_cap;

    /* layers: id -> symbol; rank_layer lists every layer id in walk order */
    uint32_t layer_sym[CW_STATS_MAX_LAYERS];
    uint32_t nlayers;
    uint32_t order_sym[CW_STATS_MAX_LAYERS]; /* the configured order (symbols) */
    uint32_t norder;
    uint16_t rank_layer[CW_STATS_MAX_LAYERS];
    cw_stats_across across;
    uint16_t total_layer, realm_layer;
    uint32_t formula_sys_id;
    const char *formula_sys; /* interned "formula" */

    st_formula *formulas; /* sorted by dim */
    uint32_t nformulas, formulas_cap;

    st_shared *shared;
    uint32_t nshared, shared_cap;
    st_cap *shared_caps; /* all shared caps, sorted */
    uint32_t nshared_caps, shared_caps_cap;
    st_run *shared_runs;
    uint32_t nshared_runs, shared_runs_cap;

    uint32_t *extra_dims; /* sorted union of formula dims and shared cap dims */
    uint32_t nextra_dims, extra_dims_cap;

    uint64_t epoch;
};

/* The rule for dim (its own, else the default). */
static inline const cw_stats_rule *st_rule(const cw_stats_registry *reg, uint32_t dim)
{
    return (dim < reg->rules_cap && reg->has_rule[dim]) ? &reg->rules[dim] : &reg->def;
}

/* Layer id of a scope name, interning it (CW_ELIMIT past CW_STATS_MAX_LAYERS). */
int st_layer_intern(cw_stats_registry *reg, const char *scope, uint16_t *layer, cw_error *err);
const st_formula *st_formula_find(const cw_stats_registry *reg, uint32_t dim);

/* ---- actor (actor.c) ---- */

typedef struct st_pack_src {
    uint32_t name;
    double add, post;
    uint32_t mstart, mcount; /* into the source's mults */
} st_pack_src;

typedef struct st_source {
    uint32_t name;
    const char *name_str;
    st_entry *entries;
    uint32_t nentries;
    st_cap *caps;
    uint32_t ncaps;
    st_pack_src *packs;
    uint32_t npacks;
    double *mults;
    uint32_t nmults;
} st_source;

struct cw_stats_actor {
    cw_stats_registry *reg;
    st_source *sources;
    uint32_t nsources, sources_cap;
    uint32_t realm;

    /* compiled, sorted inputs of all sources */
    st_entry *entries;
    uint32_t nentries, entries_cap;
    st_run *runs; /* primary runs first, then derived runs */
    uint32_t nruns, nprimary_runs, runs_cap;
    st_cap *caps;
    uint32_t ncaps, caps_cap;
    st_run *cap_runs;
    uint32_t ncap_runs, cap_runs_cap;
    uint32_t *dims; /* sorted union of every dim the actor's inputs mention */
    uint32_t ndims, dims_cap;
    cw_stats_pack *packs; /* merged context, sorted by name id */
    uint32_t npacks, packs_cap;
    double *mults;
    uint32_t nmults, mults_cap;

    /* snapshot storage */
    cw_stats_value *out_primary;
    uint32_t out_primary_cap;
    cw_stats_value *out_derived;
    uint32_t out_derived_cap;
    cw_stats_bounds *out_bounds;
    uint32_t out_bounds_cap;
    cw_stats_snapshot snap;

    int dirty;
    uint64_t seen_epoch;
    uint64_t version;
};

/* Sizes the snapshot buffers for the current inputs and registry. */
int st_actor_reserve_outputs(cw_stats_actor *a, cw_error *err);

/* ---- resolve (resolve.c) ---- */

/* Computes the snapshot into the actor's pre-sized buffers. Never allocates. */
void st_resolve(cw_stats_actor *a);

#endif
