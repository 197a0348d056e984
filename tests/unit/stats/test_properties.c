/* test_properties.c — invariants over random inputs, fixed seeds (cw_rng):
 * input order never changes a snapshot; every value lies within its
 * caps_used bounds; resolving twice gives the same snapshot; the version
 * rises by exactly one per input change. */
#include <stdio.h>
#include <string.h>

#include "core/base/rng.h"
#include "tests/unit/stats/stats_test.h"

#define NSRC 6
#define MAXC 24

static const char *const dims[] = {"d0", "d1", "d2", "d3", "d4", "d5"};
static const char *const systems[] = {"alpha", "beta", "gamma", "delta", "eps"};
static const char *const scopes[] = {"REALM", "WORLD", "EVENT", "TOTAL", "ZONE", NULL};
static const char *const realms[] = {"r0", "r1"};
static const char *const packs[] = {"damage", "gold"};

typedef struct gen_source {
    char name[16];
    cw_stats_contrib_in prim[MAXC], der[MAXC];
    cw_stats_cap_in caps[MAXC];
    cw_stats_pack_in pk[2];
    double mults[2][3];
    size_t np, nd, nc, npk;
} gen_source;

static const char *pick(cw_rng *r, const char *const *a, size_t n)
{
    return a[cw_rng_below(r, n)];
}

static double rnd_value(cw_rng *r)
{
    /* decimals that are not exact in binary, so summation order would show */
    return (double)((int64_t)cw_rng_below(r, 3000) - 1000) / 7.0;
}

static void gen_contrib(cw_rng *r, cw_stats_contrib_in *c)
{
    *c = (cw_stats_contrib_in){pick(r, dims, N(dims)), (cw_stats_bucket)cw_rng_below(r, 4),
                               rnd_value(r), pick(r, systems, N(systems)),
                               (int32_t)cw_rng_below(r, 3) - 1};
    if (c->bucket == CW_STATS_MULT) c->value /= 500.0;
}

static void gen_source_fill(cw_rng *r, gen_source *s, int idx)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "src%d", idx);
    s->np = cw_rng_below(r, MAXC);
    s->nd = cw_rng_below(r, 6);
    s->nc = cw_rng_below(r, 8);
    for (size_t i = 0; i < s->np; i++)
        gen_contrib(r, &s->prim[i]);
    for (size_t i = 0; i < s->nd; i++)
        gen_contrib(r, &s->der[i]);
    for (size_t i = 0; i < s->nc; i++) {
        cw_stats_cap_in *c = &s->caps[i];
        int mode = (int)cw_rng_below(r, 5);
        int kind = mode == CW_STATS_CAP_HARD_MAX   ? CW_STATS_KIND_MAX
                   : mode == CW_STATS_CAP_HARD_MIN ? CW_STATS_KIND_MIN
                                                   : (int)cw_rng_below(r, 2);
        *c = (cw_stats_cap_in){pick(r, systems, N(systems)),
                               pick(r, dims, N(dims)),
                               (cw_stats_cap_mode)mode,
                               (cw_stats_cap_kind)kind,
                               rnd_value(r),
                               (int32_t)cw_rng_below(r, 3),
                               pick(r, scopes, N(scopes)),
                               NULL};
        if (c->scope && strcmp(c->scope, "REALM") == 0) c->realm = pick(r, realms, N(realms));
    }
    s->npk = cw_rng_below(r, 3);
    for (size_t i = 0; i < s->npk; i++) {
        size_t nm = cw_rng_below(r, 4);
        for (size_t k = 0; k < nm; k++)
            s->mults[i][k] = 0.5 + (double)cw_rng_below(r, 100) / 70.0;
        s->pk[i] = (cw_stats_pack_in){packs[i], rnd_value(r) / 100, s->mults[i], nm, rnd_value(r)};
    }
}

#define SHUFFLE(r, arr, n)                                                                         \
    do {                                                                                           \
        for (size_t i_ = (n); i_ > 1; i_--) {                                                      \
            size_t j_ = cw_rng_below((r), i_);                                                     \
            __typeof__((arr)[0]) t_ = (arr)[i_ - 1];                                               \
            (arr)[i_ - 1] = (arr)[j_];                                                             \
            (arr)[j_] = t_;                                                                        \
        }                                                                                          \
    } while (0)

static void apply_source(cw_stats_actor *a, const gen_source *s)
{
    cw_stats_source_in in = {s->prim, s->np, s->der, s->nd, s->caps, s->nc, s->pk, s->npk};
    cw_error err = {0};
    if (cw_stats_actor_set_source(a, s->name, &in, &err) != 0) fail_msg("%s", err.msg);
}

static void setup_registry(cw_stats_registry *reg, cw_rng *r)
{
    set_rule(reg, "d1", 0, (int)cw_rng_below(r, 5), -1000, 1000);
    set_rule(reg, "d2", 0, CW_STATS_AVERAGE, -INFINITY, INFINITY);
    set_rule(reg, "d3", 1, CW_STATS_SUM, 0, 500);
    const char *order[] = {"TOTAL", "EVENT", "REALM", "WORLD"};
    cw_stats_across across = (cw_stats_across)cw_rng_below(r, 2);
    assert_int_equal(cw_stats_set_layers(reg, order, 4, across, NULL), 0);
    const char *in[] = {"d0", "d3"};
    double w[] = {1.5, -0.25};
    assert_int_equal(cw_stats_set_formula(reg, "d4", in, w, 2, 3.0 / 7.0, NULL), 0);
}

static void assert_same_snapshot(const cw_stats_snapshot *x, const cw_stats_snapshot *y)
{
    assert_int_equal(x->nprimary, y->nprimary);
    assert_int_equal(x->nderived, y->nderived);
    assert_int_equal(x->ncaps_used, y->ncaps_used);
    assert_int_equal(x->ncontext, y->ncontext);
    for (size_t i = 0; i < x->nprimary; i++) {
        assert_int_equal(x->primary[i].dim, y->primary[i].dim);
        assert_memory_equal(&x->primary[i].value, &y->primary[i].value, sizeof(double));
    }
    for (size_t i = 0; i < x->nderived; i++) {
        assert_int_equal(x->derived[i].dim, y->derived[i].dim);
        assert_memory_equal(&x->derived[i].value, &y->derived[i].value, sizeof(double));
    }
    for (size_t i = 0; i < x->ncaps_used; i++) {
        assert_int_equal(x->caps_used[i].dim, y->caps_used[i].dim);
        assert_memory_equal(&x->caps_used[i].min, &y->caps_used[i].min, sizeof(double));
        assert_memory_equal(&x->caps_used[i].max, &y->caps_used[i].max, sizeof(double));
    }
    for (size_t i = 0; i < x->ncontext; i++) {
        const cw_stats_pack *p = &x->context[i], *q = &y->context[i];
        assert_int_equal(p->name, q->name);
        assert_memory_equal(&p->additive_percent, &q->additive_percent, sizeof(double));
        assert_memory_equal(&p->post_add, &q->post_add, sizeof(double));
        assert_int_equal(p->nmultipliers, q->nmultipliers);
        if (p->nmultipliers)
            assert_memory_equal(p->multipliers, q->multipliers, p->nmultipliers * sizeof(double));
    }
}

/* A deep copy of a snapshot's value arrays, to compare across resolves. */
typedef struct saved {
    cw_stats_value p[64], d[64];
    cw_stats_bounds b[64];
    cw_stats_snapshot s;
} saved;

static void save(saved *sv, const cw_stats_snapshot *s)
{
    assert_true(s->nprimary <= 64 && s->nderived <= 64 && s->ncaps_used <= 64);
    memcpy(sv->p, s->primary, s->nprimary * sizeof *sv->p);
    memcpy(sv->d, s->derived, s->nderived * sizeof *sv->d);
    memcpy(sv->b, s->caps_used, s->ncaps_used * sizeof *sv->b);
    sv->s = *s;
    sv->s.primary = sv->p;
    sv->s.derived = sv->d;
    sv->s.caps_used = sv->b;
    sv->s.ncontext = 0;
}

static void shuffle_never_changes_snapshot(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        cw_rng r;
        cw_rng_seed(&r, seed);
        cw_stats_registry *reg = new_registry();
        setup_registry(reg, &r);
        gen_source src[NSRC];
        for (int i = 0; i < NSRC; i++)
            gen_source_fill(&r, &src[i], i);
        const char *realm = pick(&r, realms, N(realms));
        cw_stats_actor *a = new_actor(reg), *b = new_actor(reg);
        assert_int_equal(cw_stats_actor_set_realm(a, realm, NULL), 0);
        for (int i = 0; i < NSRC; i++)
            apply_source(a, &src[i]);
        SHUFFLE(&r, src, NSRC);
        for (int i = 0; i < NSRC; i++) {
            SHUFFLE(&r, src[i].prim, src[i].np);
            SHUFFLE(&r, src[i].der, src[i].nd);
            SHUFFLE(&r, src[i].caps, src[i].nc);
            for (size_t k = 0; k < src[i].npk; k++) /* the struct moved: re-point */
                src[i].pk[k].multipliers = src[i].mults[k];
            apply_source(b, &src[i]);
        }
        assert_int_equal(cw_stats_actor_set_realm(b, realm, NULL), 0);
        assert_same_snapshot(resolve(a), resolve(b));
        cw_stats_actor_free(a);
        cw_stats_actor_free(b);
        cw_stats_registry_free(reg);
    }
}

static void values_within_bounds_and_stable(void **state)
{
    (void)state;
    for (uint64_t seed = 1000; seed < 1300; seed++) {
        cw_rng r;
        cw_rng_seed(&r, seed);
        cw_stats_registry *reg = new_registry();
        setup_registry(reg, &r);
        cw_stats_actor *a = new_actor(reg);
        assert_int_equal(cw_stats_actor_set_realm(a, pick(&r, realms, N(realms)), NULL), 0);
        gen_source src[NSRC];
        for (int i = 0; i < NSRC; i++) {
            gen_source_fill(&r, &src[i], i);
            apply_source(a, &src[i]);
        }
        const cw_stats_snapshot *s = resolve(a);
        for (int list = 0; list < 2; list++) {
            const cw_stats_value *v = list ? s->derived : s->primary;
            size_t n = list ? s->nderived : s->nprimary;
            for (size_t i = 0; i < n; i++) {
                double lo, hi;
                assert_true(cw_stats_snapshot_bounds(s, v[i].dim, &lo, &hi));
                assert_true(lo <= hi);
                assert_true(v[i].value >= lo && v[i].value <= hi);
                assert_true(isfinite(v[i].value));
            }
        }
        saved first;
        save(&first, s);
        cw_stats_actor_mark_dirty(a);
        assert_true(cw_stats_actor_is_dirty(a));
        const cw_stats_snapshot *again = resolve(a);
        saved second;
        save(&second, again);
        assert_same_snapshot(&first.s, &second.s);
        assert_true(first.s.version == second.s.version);
        cw_stats_actor_free(a);
        cw_stats_registry_free(reg);
    }
}

static void version_counts_input_changes(void **state)
{
    (void)state;
    cw_rng r;
    cw_rng_seed(&r, 77);
    cw_stats_registry *reg = new_registry();
    cw_stats_actor *a = new_actor(reg);
    gen_source src[NSRC];
    int present[NSRC] = {0};
    for (int i = 0; i < NSRC; i++)
        gen_source_fill(&r, &src[i], i);
    uint64_t expect = 0;
    const char *realm = NULL;
    for (int step = 0; step < 2000; step++) {
        int i = (int)cw_rng_below(&r, NSRC);
        switch (cw_rng_below(&r, 5)) {
        case 0: /* same content again, shuffled: not a change */
            if (!present[i]) break;
            SHUFFLE(&r, src[i].prim, src[i].np);
            apply_source(a, &src[i]);
            break;
        case 1: /* new content */
            gen_source_fill(&r, &src[i], i);
            src[i].prim[0] = (cw_stats_contrib_in)FLAT("d5", 1e6 + step, "alpha");
            src[i].np = src[i].np ? src[i].np : 1;
            apply_source(a, &src[i]);
            present[i] = 1;
            expect++;
            break;
        case 2:
            if (cw_stats_actor_remove_source(a, src[i].name, NULL) == 0) {
                assert_true(present[i]);
                expect++;
            } else {
                assert_false(present[i]);
            }
            present[i] = 0;
            break;
        case 3: {
            const char *nr = cw_rng_below(&r, 3) ? pick(&r, realms, N(realms)) : NULL;
            assert_int_equal(cw_stats_actor_set_realm(a, nr, NULL), 0);
            if ((nr == NULL) != (realm == NULL) || (nr && strcmp(nr, realm) != 0)) expect++;
            realm = nr;
            break;
        }
        default: /* resolving and marking dirty are not changes */
            cw_stats_actor_mark_dirty(a);
            assert_true(resolve(a)->version == expect);
            break;
        }
        assert_true(cw_stats_actor_version(a) == expect);
    }
    assert_true(expect > 100);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shuffle_never_changes_snapshot),
        cmocka_unit_test(values_within_bounds_and_stable),
        cmocka_unit_test(version_counts_input_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
