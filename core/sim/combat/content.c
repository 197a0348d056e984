/* content.c — content tables: demo defaults, validated setters, the contest. */
#include "core/sim/combat/content.h"

#include <math.h>
#include <string.h>

static int name_ok(const char *name, cw_error *err)
{
    if (!name || !name[0]) return cw_error_set(err, CW_EINVAL, "combat: empty name");
    if (strlen(name) >= CW_COMBAT_NAME_MAX)
        return cw_error_set(err, CW_EINVAL, "combat: name '%s' longer than %d bytes", name,
                            CW_COMBAT_NAME_MAX - 1);
    return 0;
}

static void name_copy(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= CW_COMBAT_NAME_MAX) n = CW_COMBAT_NAME_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void reset_matrix(cw_combat_content *c)
{
    for (int a = 0; a < CW_COMBAT_MAX_ELEMENTS; a++) {
        for (int d = 0; d < CW_COMBAT_MAX_ELEMENTS; d++)
            c->matrix[a][d] = 1.0;
        c->curve[a].scale = CW_COMBAT_DEFAULT_SCALE;
        c->curve[a].steep = CW_COMBAT_DEFAULT_STEEP;
    }
}

void cw_combat_content_demo(cw_combat_content *c)
{
    memset(c, 0, sizeof *c);
    static const char *const elems[] = {"none", "wood", "fire", "earth", "metal", "water"};
    c->n_elements = 6;
    for (int i = 0; i < 6; i++)
        name_copy(c->element_name[i], elems[i]);
    reset_matrix(c);
    /* Generating: wood → fire → earth → metal → water → wood. Overcoming: wood →
     * earth → water → fire → metal → wood. Indices 1..5 in generating order, so
     * "generates" is +1 and "overcomes" is +2 around the five-cycle. */
    for (int i = 0; i < 5; i++) {
        int a = 1 + i;
        int gen = 1 + (i + 1) % 5, over = 1 + (i + 2) % 5;
        c->matrix[a][gen] = 1.2;
        c->matrix[a][over] = 1.5;
        c->matrix[over][a] = 0.5; /* the one overcome, hitting back */
    }
    static const char *const res[] = {"hp", "mp", "qi", "stamina"};
    c->n_resources = 4;
    c->hp = CW_COMBAT_DEMO_HP;
    for (int i = 0; i < 4; i++) {
        name_copy(c->resource[i].name, res[i]);
        c->resource[i].offline_cap = CW_COMBAT_DEFAULT_OFFLINE_CAP;
        c->event_order[i] = (uint8_t)i;
    }
    c->resource[CW_COMBAT_DEMO_HP].regen_gated = 1;
    c->resource[CW_COMBAT_DEMO_MP].regen_gated = 1;
    static const struct {
        const char *name;
        double hp, mp, qi;
    } dts[] = {{"physical", 1.0, 0, 0},
               {"magical", 0.8, 0.2, 0},
               {"elemental", 0.85, 0.15, 0},
               {"qi", 0.7, 0, 0.3}};
    c->n_damage_types = 4;
    for (int i = 0; i < 4; i++) {
        name_copy(c->damage_type[i].name, dts[i].name);
        c->damage_type[i].split[CW_COMBAT_DEMO_HP] = dts[i].hp;
        c->damage_type[i].split[CW_COMBAT_DEMO_MP] = dts[i].mp;
        c->damage_type[i].split[CW_COMBAT_DEMO_QI] = dts[i].qi;
    }
    static const struct {
        const char *name;
        int res;
        double enter, window;
    } th[] = {{"hp_low", CW_COMBAT_DEMO_HP, 0.25, 2.0},
              {"mp_low", CW_COMBAT_DEMO_MP, 0.10, 2.0},
              {"exhausted", CW_COMBAT_DEMO_STAMINA, 0.0, 2.0}};
    c->n_thresholds = 3;
    for (int i = 0; i < 3; i++) {
        name_copy(c->threshold[i].name, th[i].name);
        c->threshold[i].resource = th[i].res;
        c->threshold[i].enter = th[i].enter;
        c->threshold[i].exit = th[i].enter + CW_COMBAT_DEFAULT_HYSTERESIS;
        c->threshold[i].window = th[i].window;
    }
    c->n_dr = 1;
    name_copy(c->dr[0].name, "stun");
    c->dr[0].n_steps = 3;
    c->dr[0].steps[0] = 1.0;
    c->dr[0].steps[1] = 0.5;
    c->dr[0].steps[2] = 0.25;
    c->dr[0].reset = 15.0;
    c->max_hit = CW_COMBAT_DEFAULT_MAX_HIT;
    c->version = 1;
}

int cw_combat_element_find(const cw_combat_content *c, const char *name)
{
    if (!name) return CW_ENOTFOUND;
    for (int i = 0; i < c->n_elements; i++)
        if (strcmp(c->element_name[i], name) == 0) return i;
    return CW_ENOTFOUND;
}

int cw_combat_resource_find(const cw_combat_content *c, const char *name)
{
    if (!name) return CW_ENOTFOUND;
    for (int i = 0; i < c->n_resources; i++)
        if (strcmp(c->resource[i].name, name) == 0) return i;
    return CW_ENOTFOUND;
}

int cw_combat_damage_type_find(const cw_combat_content *c, const char *name)
{
    if (!name) return CW_ENOTFOUND;
    for (int i = 0; i < c->n_damage_types; i++)
        if (strcmp(c->damage_type[i].name, name) == 0) return i;
    return CW_ENOTFOUND;
}

int cw_combat_dr_find(const cw_combat_content *c, const char *name)
{
    if (!name) return CW_ENOTFOUND;
    for (int i = 0; i < c->n_dr; i++)
        if (strcmp(c->dr[i].name, name) == 0) return i;
    return CW_ENOTFOUND;
}

int cw_combat_content_set_elements(cw_combat_content *c, const char *const *names, int n,
                                   cw_error *err)
{
    if (n < 1 || n > CW_COMBAT_MAX_ELEMENTS)
        return cw_error_set(err, CW_EINVAL, "combat: %d elements (1..%d allowed)", n,
                            CW_COMBAT_MAX_ELEMENTS);
    for (int i = 0; i < n; i++) {
        int rc = name_ok(names[i], err);
        if (rc) return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return cw_error_set(err, CW_EEXIST, "combat: element '%s' listed twice", names[i]);
    }
    memset(c->element_name, 0, sizeof c->element_name);
    for (int i = 0; i < n; i++)
        name_copy(c->element_name[i], names[i]);
    c->n_elements = n;
    reset_matrix(c);
    c->version++;
    return 0;
}

int cw_combat_content_set_matrix(cw_combat_content *c, int attack, int defender, double value,
                                 cw_error *err)
{
    if (attack < 0 || attack >= c->n_elements || defender < 0 || defender >= c->n_elements)
        return cw_error_set(err, CW_EINVAL, "combat: matrix index out of range");
    if (!isfinite(value) || value < 0 || value > CW_COMBAT_LIMIT)
        return cw_error_set(err, CW_EINVAL, "combat: matrix value must be finite and >= 0");
    c->matrix[attack][defender] = value;
    c->version++;
    return 0;
}

int cw_combat_content_set_curve(cw_combat_content *c, int element, double scale, double steep,
                                cw_error *err)
{
    if (element < 0 || element >= c->n_elements)
        return cw_error_set(err, CW_EINVAL, "combat: curve element out of range");
    if (!isfinite(scale) || scale <= 0 || !isfinite(steep) || fabs(steep) > CW_COMBAT_LIMIT)
        return cw_error_set(err, CW_EINVAL, "combat: curve needs scale > 0 and finite steep");
    c->curve[element].scale = scale;
    c->curve[element].steep = steep;
    c->version++;
    return 0;
}

int cw_combat_content_set_resources(cw_combat_content *c, const char *const *names,
                                    const uint8_t *gated, const double *caps, int n, cw_error *err)
{
    if (n < 1 || n > CW_COMBAT_MAX_RESOURCES)
        return cw_error_set(err, CW_EINVAL, "combat: %d resources (1..%d allowed)", n,
                            CW_COMBAT_MAX_RESOURCES);
    int hp = -1;
    for (int i = 0; i < n; i++) {
        int rc = name_ok(names[i], err);
        if (rc) return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return cw_error_set(err, CW_EEXIST, "combat: resource '%s' listed twice", names[i]);
        if (strcmp(names[i], "hp") == 0) hp = i;
        if (caps && (!isfinite(caps[i]) || caps[i] < 0))
            return cw_error_set(err, CW_EINVAL, "combat: offline cap of '%s' must be >= 0",
                                names[i]);
    }
    if (hp < 0) return cw_error_set(err, CW_EINVAL, "combat: resources must include 'hp'");
    memset(c->resource, 0, sizeof c->resource);
    for (int i = 0; i < n; i++) {
        name_copy(c->resource[i].name, names[i]);
        c->resource[i].regen_gated = gated ? (gated[i] != 0) : 0;
        c->resource[i].offline_cap = caps ? caps[i] : CW_COMBAT_DEFAULT_OFFLINE_CAP;
        c->event_order[i] = (uint8_t)i;
    }
    c->n_resources = n;
    c->hp = hp;
    c->n_damage_types = 0;
    memset(c->damage_type, 0, sizeof c->damage_type);
    c->n_thresholds = 0;
    c->version++;
    return 0;
}

int cw_combat_content_set_event_order(cw_combat_content *c, const int *order, int n, cw_error *err)
{
    if (n != c->n_resources || n < 1 || n > CW_COMBAT_MAX_RESOURCES)
        return cw_error_set(err, CW_EINVAL, "combat: event order must list all %d resources",
                            c->n_resources);
    unsigned seen = 0;
    for (int i = 0; i < n; i++) {
        if (order[i] < 0 || order[i] >= n || (seen & (1u << order[i])))
            return cw_error_set(err, CW_EINVAL, "combat: event order is not a permutation");
        seen |= 1u << order[i];
    }
    /* A fixed trip count: GCC's -Wstringop-overflow cannot bound n here. */
    for (int i = 0; i < CW_COMBAT_MAX_RESOURCES; i++)
        c->event_order[i] = (uint8_t)(i < n ? order[i] : i);
    c->version++;
    return 0;
}

int cw_combat_content_set_damage_type(cw_combat_content *c, const char *name, const double *split,
                                      cw_error *err)
{
    int rc = name_ok(name, err);
    if (rc) return rc;
    double sum = 0;
    for (int r = 0; r < c->n_resources; r++) {
        if (!isfinite(split[r]) || split[r] < 0 || split[r] > 1)
            return cw_error_set(err, CW_EINVAL, "combat: damage type '%s': bad share for '%s'",
                                name, c->resource[r].name);
        sum += split[r];
    }
    if (fabs(sum - 1.0) > 1e-6)
        return cw_error_set(err, CW_EINVAL, "combat: damage type '%s': shares sum to %g, not 1",
                            name, sum);
    int i = cw_combat_damage_type_find(c, name);
    if (i < 0) {
        if (c->n_damage_types >= CW_COMBAT_MAX_DAMAGE_TYPES)
            return cw_error_set(err, CW_ELIMIT, "combat: more than %d damage types",
                                CW_COMBAT_MAX_DAMAGE_TYPES);
        i = c->n_damage_types++;
    }
    memset(&c->damage_type[i], 0, sizeof c->damage_type[i]);
    name_copy(c->damage_type[i].name, name);
    for (int r = 0; r < c->n_resources; r++)
        c->damage_type[i].split[r] = split[r];
    c->version++;
    return 0;
}

void cw_combat_content_clear_thresholds(cw_combat_content *c)
{
    c->n_thresholds = 0;
    memset(c->threshold, 0, sizeof c->threshold);
    c->version++;
}

int cw_combat_content_add_threshold(cw_combat_content *c, const char *name, int resource,
                                    double enter, double exit, double window, cw_error *err)
{
    int rc = name_ok(name, err);
    if (rc) return rc;
    if (resource < 0 || resource >= c->n_resources)
        return cw_error_set(err, CW_EINVAL, "combat: threshold '%s': no such resource", name);
    if (!isfinite(enter) || !isfinite(exit) || enter < 0 || exit <= enter)
        return cw_error_set(err, CW_EINVAL, "combat: threshold '%s' needs 0 <= enter < exit", name);
    if (!isfinite(window) || window < 0)
        return cw_error_set(err, CW_EINVAL, "combat: threshold '%s': window must be >= 0", name);
    if (c->n_thresholds >= CW_COMBAT_MAX_THRESHOLDS)
        return cw_error_set(err, CW_ELIMIT, "combat: more than %d thresholds",
                            CW_COMBAT_MAX_THRESHOLDS);
    cw_combat_threshold_def *t = &c->threshold[c->n_thresholds++];
    memset(t, 0, sizeof *t);
    name_copy(t->name, name);
    t->resource = resource;
    t->enter = enter;
    t->exit = exit;
    t->window = window;
    c->version++;
    return 0;
}

int cw_combat_content_set_dr(cw_combat_content *c, const char *name, const double *steps, int n,
                             double reset, cw_error *err)
{
    int rc = name_ok(name, err);
    if (rc) return rc;
    if (n < 1 || n > CW_COMBAT_MAX_DR_STEPS)
        return cw_error_set(err, CW_EINVAL, "combat: dr '%s': 1..%d steps", name,
                            CW_COMBAT_MAX_DR_STEPS);
    for (int i = 0; i < n; i++)
        if (!isfinite(steps[i]) || steps[i] < 0 || steps[i] > 1)
            return cw_error_set(err, CW_EINVAL, "combat: dr '%s': steps must be in [0, 1]", name);
    if (!isfinite(reset) || reset < 0)
        return cw_error_set(err, CW_EINVAL, "combat: dr '%s': reset must be >= 0", name);
    int i = cw_combat_dr_find(c, name);
    if (i < 0) {
        if (c->n_dr >= CW_COMBAT_MAX_DR)
            return cw_error_set(err, CW_ELIMIT, "combat: more than %d dr categories",
                                CW_COMBAT_MAX_DR);
        i = c->n_dr++;
    }
    cw_combat_dr_def *d = &c->dr[i];
    memset(d, 0, sizeof *d);
    name_copy(d->name, name);
    d->n_steps = n;
    for (int k = 0; k < n; k++)
        d->steps[k] = steps[k];
    d->reset = reset;
    c->version++;
    return 0;
}

int cw_combat_content_set_max_hit(cw_combat_content *c, double max_hit, cw_error *err)
{
    if (!isfinite(max_hit) || max_hit <= 0 || max_hit > CW_COMBAT_LIMIT)
        return cw_error_set(err, CW_EINVAL, "combat: max_hit must be in (0, %g]", CW_COMBAT_LIMIT);
    c->max_hit = max_hit;
    c->version++;
    return 0;
}

double cw_combat_sigma(double x)
{
    if (!(x == x)) return 0.5;
    return 1.0 / (1.0 + exp(-x));
}

double cw_combat_contest(const cw_combat_curve *cv, double a, double d)
{
    double s = cv->scale > 0 ? cv->scale : CW_COMBAT_DEFAULT_SCALE;
    return cw_combat_sigma(cv->steep * (cw_combat_sane(a) - cw_combat_sane(d)) / s);
}

double cw_combat_crit_multiplier(const cw_combat_curve *cv, double cd, double cdr)
{
    return 1.0 + 2.0 * cw_combat_contest(cv, cd, cdr);
}
