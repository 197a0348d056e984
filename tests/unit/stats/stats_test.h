/* stats_test.h — small builders shared by the stat engine's cmocka tests. */
#ifndef CW_TEST_STATS_H
#define CW_TEST_STATS_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sim/stats/stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define FLAT(d, v, sys)                                                                            \
    {                                                                                              \
        (d), CW_STATS_FLAT, (v), (sys), 0                                                          \
    }
#define MULT(d, v, sys)                                                                            \
    {                                                                                              \
        (d), CW_STATS_MULT, (v), (sys), 0                                                          \
    }
#define POST(d, v, sys)                                                                            \
    {                                                                                              \
        (d), CW_STATS_POST_ADD, (v), (sys), 0                                                      \
    }
#define OVER(d, v, sys, prio)                                                                      \
    {                                                                                              \
        (d), CW_STATS_OVERRIDE, (v), (sys), (prio)                                                 \
    }
#define CAP(sys, d, mode, kind, v, scope)                                                          \
    {                                                                                              \
        (sys), (d), CW_STATS_CAP_##mode, CW_STATS_KIND_##kind, (v), 0, (scope), NULL               \
    }

static inline cw_stats_registry *new_registry(void)
{
    cw_stats_registry *reg = NULL;
    cw_error err = {0};
    int rc = cw_stats_registry_new(NULL, &reg, &err);
    if (rc != 0) fail_msg("registry: %s", err.msg);
    return reg;
}

static inline cw_stats_actor *new_actor(cw_stats_registry *reg)
{
    cw_stats_actor *a = NULL;
    assert_int_equal(cw_stats_actor_new(reg, &a, NULL), 0);
    return a;
}

static inline void set_rule(cw_stats_registry *reg, const char *dim, int pipeline, int op,
                            double lo, double hi)
{
    cw_stats_rule r = {pipeline, (cw_stats_operator)op, lo, hi};
    cw_error err = {0};
    if (cw_stats_set_rule(reg, dim, &r, &err) != 0) fail_msg("rule: %s", err.msg);
}

static inline void set_src(cw_stats_actor *a, const char *name, const cw_stats_contrib_in *p,
                           size_t np, const cw_stats_cap_in *c, size_t nc)
{
    cw_stats_source_in in = {.primary = p, .nprimary = np, .caps = c, .ncaps = nc};
    cw_error err = {0};
    if (cw_stats_actor_set_source(a, name, &in, &err) != 0) fail_msg("set_source: %s", err.msg);
}

static inline const cw_stats_snapshot *resolve(cw_stats_actor *a)
{
    const cw_stats_snapshot *s = NULL;
    cw_error err = {0};
    if (cw_stats_actor_resolve(a, &s, &err) != 0) fail_msg("resolve: %s", err.msg);
    return s;
}

/* The value of dim in list; fails the test when absent. */
static inline double value_of(cw_stats_actor *a, int list, const char *dim)
{
    const cw_stats_snapshot *s = resolve(a);
    uint32_t id = cw_stats_dim_find(cw_stats_actor_registry(a), dim);
    double v = NAN;
    if (!cw_stats_snapshot_get(s, (cw_stats_list)list, id, &v)) fail_msg("no value for %s", dim);
    return v;
}

static inline void bounds_of_dim(cw_stats_actor *a, const char *dim, double *lo, double *hi)
{
    const cw_stats_snapshot *s = resolve(a);
    uint32_t id = cw_stats_dim_find(cw_stats_actor_registry(a), dim);
    if (!cw_stats_snapshot_bounds(s, id, lo, hi)) fail_msg("no bounds for %s", dim);
}

#define EPS 1e-9

#endif
