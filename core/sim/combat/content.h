/* content.h — the content tables combat reads, and the logistic contest.
 *
 * Owns: cw_combat_content, a plain fixed-size struct (no pointers, no heap)
 * holding everything content decides: elements and their matrix, per-element
 * curve (scale S, steepness k), resources (pools) with regen gating, offline
 * cap and event order, damage types with their resource split, exhaustion
 * thresholds, crowd-control diminishing-return categories, max_hit.
 * The caller owns the struct (stack, server, or a Lua userdata); this module
 * never keeps a pointer to it.
 *
 * Errors: setters validate and return 0 or a negative CW_E* code with a
 * message in the optional cw_error; on error the content is left unchanged.
 * Lookups by name return the index or CW_ENOTFOUND. Every successful setter
 * bumps `version`, which lets per-actor state (threshold trackers) notice a
 * change of content and re-settle. */
#ifndef CW_SIM_COMBAT_CONTENT_H
#define CW_SIM_COMBAT_CONTENT_H

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/base/err.h"

#define CW_COMBAT_MAX_ELEMENTS 16
#define CW_COMBAT_MAX_RESOURCES 8
#define CW_COMBAT_MAX_DAMAGE_TYPES 16
#define CW_COMBAT_MAX_THRESHOLDS 16
#define CW_COMBAT_MAX_DR 8
#define CW_COMBAT_MAX_DR_STEPS 8
#define CW_COMBAT_NAME_MAX 24

#define CW_COMBAT_DEFAULT_SCALE 100.0
#define CW_COMBAT_DEFAULT_STEEP 1.0
#define CW_COMBAT_DEFAULT_MAX_HIT 999999.0
#define CW_COMBAT_DEFAULT_HYSTERESIS 0.05
#define CW_COMBAT_DEFAULT_OFFLINE_CAP 3600.0
/* Every double read from a caller is first made finite and clamped to
 * [-CW_COMBAT_LIMIT, CW_COMBAT_LIMIT] (NaN -> 0); see cw_combat_sane(). */
#define CW_COMBAT_LIMIT 1e12

typedef struct cw_combat_curve {
    double scale; /* S > 0 */
    double steep; /* k */
} cw_combat_curve;

typedef struct cw_combat_resource_def {
    char name[CW_COMBAT_NAME_MAX];
    uint8_t regen_gated; /* 1: regenerates only out of combat */
    double offline_cap;  /* seconds of offline catch-up at most */
} cw_combat_resource_def;

typedef struct cw_combat_damage_type {
    char name[CW_COMBAT_NAME_MAX];
    double split[CW_COMBAT_MAX_RESOURCES]; /* fraction per resource, sums to 1 */
} cw_combat_damage_type;

typedef struct cw_combat_threshold_def {
    char name[CW_COMBAT_NAME_MAX];
    int resource;
    double enter;  /* in when current/max <= enter */
    double exit;   /* out when current/max >= exit (exit > enter) */
    double window; /* coalescing window in seconds (0 = none) */
} cw_combat_threshold_def;

typedef struct cw_combat_dr_def {
    char name[CW_COMBAT_NAME_MAX];
    int n_steps;
    double steps[CW_COMBAT_MAX_DR_STEPS]; /* factors; after the last: immune */
    double reset;                         /* seconds */
} cw_combat_dr_def;

typedef struct cw_combat_content {
    uint32_t version;
    int n_elements;
    char element_name[CW_COMBAT_MAX_ELEMENTS][CW_COMBAT_NAME_MAX];
    double matrix[CW_COMBAT_MAX_ELEMENTS][CW_COMBAT_MAX_ELEMENTS]; /* [attack][defender] */
    cw_combat_curve curve[CW_COMBAT_MAX_ELEMENTS];                 /* per attack element */
    int n_resources;
    int hp; /* index of the resource that takes overflow and true damage */
    cw_combat_resource_def resource[CW_COMBAT_MAX_RESOURCES];
    uint8_t event_order[CW_COMBAT_MAX_RESOURCES]; /* permutation of resource indices */
    int n_damage_types;
    cw_combat_damage_type damage_type[CW_COMBAT_MAX_DAMAGE_TYPES];
    int n_thresholds;
    cw_combat_threshold_def threshold[CW_COMBAT_MAX_THRESHOLDS];
    int n_dr;
    cw_combat_dr_def dr[CW_COMBAT_MAX_DR];
    double max_hit;
} cw_combat_content;

/* Demo element indices as filled by cw_combat_content_demo(). */
enum {
    CW_COMBAT_DEMO_NONE = 0,
    CW_COMBAT_DEMO_WOOD,
    CW_COMBAT_DEMO_FIRE,
    CW_COMBAT_DEMO_EARTH,
    CW_COMBAT_DEMO_METAL,
    CW_COMBAT_DEMO_WATER,
};
/* Demo resources and damage types. */
enum { CW_COMBAT_DEMO_HP = 0, CW_COMBAT_DEMO_MP, CW_COMBAT_DEMO_QI, CW_COMBAT_DEMO_STAMINA };
enum {
    CW_COMBAT_DEMO_PHYSICAL = 0,
    CW_COMBAT_DEMO_MAGICAL,
    CW_COMBAT_DEMO_ELEMENTAL,
    CW_COMBAT_DEMO_QI_DAMAGE,
};

/* Fills the demo game's tables (see docs/combat.md "Demo content"). Cannot fail. */
void cw_combat_content_demo(cw_combat_content *c);

/* Lookups: index >= 0, or CW_ENOTFOUND. */
int cw_combat_element_find(const cw_combat_content *c, const char *name);
int cw_combat_resource_find(const cw_combat_content *c, const char *name);
int cw_combat_damage_type_find(const cw_combat_content *c, const char *name);
int cw_combat_dr_find(const cw_combat_content *c, const char *name);

/* Replaces the element list; resets the matrix to 1.0 and curves to the defaults. */
int cw_combat_content_set_elements(cw_combat_content *c, const char *const *names, int n,
                                   cw_error *err);
/* matrix[attack][defender] = value (finite, >= 0). */
int cw_combat_content_set_matrix(cw_combat_content *c, int attack, int defender, double value,
                                 cw_error *err);
/* Curve of one element: scale > 0, steep finite. */
int cw_combat_content_set_curve(cw_combat_content *c, int element, double scale, double steep,
                                cw_error *err);
/* Replaces the resources (the list order is also the event order). One must be
 * named "hp". Damage types and thresholds are cleared: set them afterwards.
 * gated/caps may be NULL (not gated / CW_COMBAT_DEFAULT_OFFLINE_CAP). */
int cw_combat_content_set_resources(cw_combat_content *c, const char *const *names,
                                    const uint8_t *gated, const double *caps, int n, cw_error *err);
/* Event order when several pools cross thresholds in one tick: a permutation. */
int cw_combat_content_set_event_order(cw_combat_content *c, const int *order, int n, cw_error *err);
/* Adds or replaces a damage type. split[n_resources]: each >= 0, sum 1 (±1e-6). */
int cw_combat_content_set_damage_type(cw_combat_content *c, const char *name, const double *split,
                                      cw_error *err);
/* Removes all thresholds. */
void cw_combat_content_clear_thresholds(cw_combat_content *c);
/* Adds a threshold: 0 <= enter < exit, window >= 0. */
int cw_combat_content_add_threshold(cw_combat_content *c, const char *name, int resource,
                                    double enter, double exit, double window, cw_error *err);
/* Adds or replaces a DR category: steps in [0, 1], 0 < n <= MAX_DR_STEPS, reset >= 0. */
int cw_combat_content_set_dr(cw_combat_content *c, const char *name, const double *steps, int n,
                             double reset, cw_error *err);
/* max_hit finite, > 0. */
int cw_combat_content_set_max_hit(cw_combat_content *c, double max_hit, cw_error *err);

/* σ(x) = 1 / (1 + e^(−x)); NaN -> 0.5. */
double cw_combat_sigma(double x);
/* p = σ(k·(a − d)/S) with the curve of an element. */
double cw_combat_contest(const cw_combat_curve *cv, double a, double d);
/* CM = 1 + 2·σ(k·(cd − cdr)/S): in (1, 3), 2 at parity. */
double cw_combat_crit_multiplier(const cw_combat_curve *cv, double cd, double cdr);

/* Branch-free selects with exactly the meaning of the C expression beside
 * each — NaN and signed zeros included — for the hot paths, where a branch
 * on a coin-flip outcome (hit, crit, a shield running out) mispredicts half
 * the time. On x86-64 they are single minsd/maxsd/mask instructions (their
 * IEEE definitions are these very ternaries); elsewhere plain C. */
static inline double cw_combat_fmax(double a, double b) /* a > b ? a : b */
{
#ifdef __SSE2__
    return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(a), _mm_set_sd(b)));
#else
    return a > b ? a : b;
#endif
}

static inline double cw_combat_fmin(double a, double b) /* a < b ? a : b */
{
#ifdef __SSE2__
    return _mm_cvtsd_f64(_mm_min_sd(_mm_set_sd(a), _mm_set_sd(b)));
#else
    return a < b ? a : b;
#endif
}

static inline double cw_combat_pick(int cond, double a, double b) /* cond ? a : b */
{
    uint64_t ua, ub, m = (uint64_t)0 - (uint64_t)(cond != 0);
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    ua = (ua & m) | (ub & ~m);
    memcpy(&a, &ua, sizeof a);
    return a;
}

/* Makes x finite and bounded: NaN -> 0, clamp to [-CW_COMBAT_LIMIT, CW_COMBAT_LIMIT]. */
static inline double cw_combat_sane(double x)
{
    /* x == x ? x : 0, then x < LIMIT ? x : LIMIT, then x > -LIMIT ? x : -LIMIT:
     * no branches, -0.0 kept. */
#ifdef __SSE2__
    __m128d v = _mm_set_sd(x);
    v = _mm_and_pd(_mm_cmpord_sd(v, v), v);
    v = _mm_min_sd(v, _mm_set_sd(CW_COMBAT_LIMIT));
    return _mm_cvtsd_f64(_mm_max_sd(v, _mm_set_sd(-CW_COMBAT_LIMIT)));
#else
    x = x == x ? x : 0.0;
    x = x < CW_COMBAT_LIMIT ? x : CW_COMBAT_LIMIT;
    return x > -CW_COMBAT_LIMIT ? x : -CW_COMBAT_LIMIT;
#endif
}

/* cw_combat_clamp(x, lo, hi) without branches, for lo <= hi only (then it is
 * the same value, NaN passing through as in cw_combat_clamp). */
static inline double cw_combat_clamp_ordered(double x, double lo, double hi)
{
    return cw_combat_fmax(lo, cw_combat_fmin(hi, x));
}

static inline double cw_combat_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

#endif
