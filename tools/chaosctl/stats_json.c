/* stats_json.c — reading and writing the stat engine's JSON interchange
 * format with jansson (see stats_json.h). Validation happens here, with the
 * JSON path of the offending element in every message; the engine then only
 * sees well-formed input. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/chaosctl/stats_json.h"

#define PATH_MAX_LEN 256
#define SUB_PATH_LEN (PATH_MAX_LEN + 64) /* a path plus one more step */

static int bad(cw_error *err, const char *path, const char *what)
{
    return cw_error_set(err, CW_EINVAL, "%s: %s", path, what);
}

static int nomem(cw_error *err)
{
    return cw_error_set(err, CW_ENOMEM, "out of memory");
}

/* ---- typed field access ---- */

static int get_str(const json_t *obj, const char *key, const char *path, int required,
                   const char **out, cw_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required) return 0;
        return cw_error_set(err, CW_EINVAL, "%s.%s: missing field", path, key);
    }
    if (!json_is_string(v))
        return cw_error_set(err, CW_EINVAL, "%s.%s: expected a string", path, key);
    const char *s = json_string_value(v);
    if (!s[0] || strlen(s) != json_string_length(v) || strlen(s) > CW_STATS_MAX_NAME)
        return cw_error_set(err, CW_EINVAL, "%s.%s: empty, too long or contains NUL", path, key);
    *out = s;
    return 0;
}

static int num_value(const json_t *v, const char *path, const char *key, double *out, cw_error *err)
{
    if (!json_is_number(v))
        return cw_error_set(err, CW_EINVAL, "%s%s%s: expected a number", path, key ? "." : "",
                            key ? key : "");
    double d = json_number_value(v);
    if (!isfinite(d))
        return cw_error_set(err, CW_EINVAL, "%s%s%s: not a finite number", path, key ? "." : "",
                            key ? key : "");
    *out = d;
    return 0;
}

static int get_num(const json_t *obj, const char *key, const char *path, int required, double *out,
                   cw_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        if (!required) return 0;
        return cw_error_set(err, CW_EINVAL, "%s.%s: missing field", path, key);
    }
    return num_value(v, path, key, out, err);
}

static int get_priority(const json_t *obj, const char *path, int32_t *out, cw_error *err)
{
    const json_t *v = json_object_get(obj, "priority");
    *out = 0;
    if (!v || json_is_null(v)) return 0;
    double d = 0;
    int rc = num_value(v, path, "priority", &d, err);
    if (rc < 0) return rc;
    if (d != floor(d) || d < INT32_MIN || d > INT32_MAX)
        return cw_error_set(err, CW_EINVAL, "%s.priority: expected a 32-bit integer", path);
    *out = (int32_t)d;
    return 0;
}

static int get_array(const json_t *obj, const char *key, const char *path, int required,
                     const json_t **out, cw_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v) {
        if (!required) return 0;
        return cw_error_set(err, CW_EINVAL, "%s.%s: missing field", path, key);
    }
    if (!json_is_array(v))
        return cw_error_set(err, CW_EINVAL, "%s.%s: expected an array", path, key);
    *out = v;
    return 0;
}

static int get_object(const json_t *obj, const char *key, const char *path, int required,
                      const json_t **out, cw_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v) {
        if (!required) return 0;
        return cw_error_set(err, CW_EINVAL, "%s.%s: missing field", path, key);
    }
    if (!json_is_object(v))
        return cw_error_set(err, CW_EINVAL, "%s.%s: expected an object", path, key);
    *out = v;
    return 0;
}

/* ---- registry ---- */

static int parse_bound(const json_t *clamp, const char *key, const char *path, double *out,
                       cw_error *err)
{
    const json_t *v = json_object_get(clamp, key);
    if (!v) return 0; /* keep the inherited side */
    if (json_is_null(v)) {
        *out = strcmp(key, "min") == 0 ? -INFINITY : INFINITY;
        return 0;
    }
    return num_value(v, path, key, out, err);
}

static int parse_rule(const json_t *j, const char *path, cw_stats_rule *r, cw_error *err)
{
    if (!json_is_object(j)) return bad(err, path, "expected a rule object");
    const json_t *v = json_object_get(j, "use_pipeline");
    if (v) {
        if (!json_is_boolean(v))
            return cw_error_set(err, CW_EINVAL, "%s.use_pipeline: expected true or false", path);
        r->use_pipeline = json_is_true(v);
    }
    const char *op;
    int rc = get_str(j, "operator", path, 0, &op, err);
    if (rc < 0) return rc;
    if (op) {
        int o = cw_stats_operator_parse(op);
        if (o < 0)
            return cw_error_set(err, CW_EINVAL, "%s.operator: unknown operator \"%s\"", path, op);
        r->op = (cw_stats_operator)o;
    }
    const json_t *clamp;
    if ((rc = get_object(j, "clamp_default", path, 0, &clamp, err)) < 0) return rc;
    if (clamp) {
        char p[SUB_PATH_LEN];
        snprintf(p, sizeof p, "%s.clamp_default", path);
        if ((rc = parse_bound(clamp, "min", p, &r->clamp_min, err)) < 0 ||
            (rc = parse_bound(clamp, "max", p, &r->clamp_max, err)) < 0)
            return rc;
        if (r->clamp_min > r->clamp_max) return bad(err, p, "min above max");
    }
    return 0;
}

static int parse_formula(cw_stats_registry *reg, const char *dim, const json_t *j, const char *path,
                         cw_error *err)
{
    if (!json_is_object(j)) return bad(err, path, "expected an object");
    const json_t *weights;
    double constant = 0;
    int rc;
    if ((rc = get_object(j, "weights", path, 1, &weights, err)) < 0 ||
        (rc = get_num(j, "constant", path, 0, &constant, err)) < 0)
        return rc;
    size_t n = json_object_size(weights);
    const char **names = calloc(n + 1, sizeof *names);
    double *w = calloc(n + 1, sizeof *w);
    if (!names || !w) {
        rc = nomem(err);
        goto done;
    }
    size_t i = 0;
    const char *key;
    const json_t *v;
    char p[SUB_PATH_LEN];
    snprintf(p, sizeof p, "%s.weights", path);
    json_object_foreach((json_t *)weights, key, v)
    {
        if ((rc = num_value(v, p, key, &w[i], err)) < 0) goto done;
        names[i++] = key;
    }
    rc = cw_stats_set_formula(reg, dim, names, w, n, constant, err);
done:
    free(names);
    free(w);
    return rc;
}

int cw_stats_json_load_registry(cw_stats_registry *reg, const json_t *root, cw_error *err)
{
    if (!json_is_object(root)) return bad(err, "registry", "expected an object");
    cw_stats_rule def = cw_stats_rule_init();
    const json_t *j, *dims, *formulas;
    int rc;
    if ((j = json_object_get(root, "default")) &&
        (rc = parse_rule(j, "registry.default", &def, err)) < 0)
        return rc;
    if ((rc = get_object(root, "dimensions", "registry", 0, &dims, err)) < 0 ||
        (rc = get_object(root, "formulas", "registry", 0, &formulas, err)) < 0)
        return rc;
    if ((rc = cw_stats_set_default_rule(reg, &def, err)) < 0) return rc;
    const char *key;
    json_t *v;
    char p[PATH_MAX_LEN];
    if (dims) json_object_foreach((json_t *)dims, key, v)
        {
            snprintf(p, sizeof p, "registry.dimensions.%s", key);
            cw_stats_rule r = def;
            if ((rc = parse_rule(v, p, &r, err)) < 0) return rc;
            if ((rc = cw_stats_set_rule(reg, key, &r, err)) < 0) return rc;
        }
    if (formulas) json_object_foreach((json_t *)formulas, key, v)
        {
            snprintf(p, sizeof p, "registry.formulas.%s", key);
            if ((rc = parse_formula(reg, key, v, p, err)) < 0) return rc;
        }
    return 0;
}

int cw_stats_json_load_layers(cw_stats_registry *reg, const json_t *root, cw_error *err)
{
    if (!json_is_object(root)) return bad(err, "layers", "expected an object");
    const json_t *order;
    const char *policy;
    int rc;
    if ((rc = get_array(root, "order", "layers", 0, &order, err)) < 0 ||
        (rc = get_str(root, "across_policy", "layers", 0, &policy, err)) < 0)
        return rc;
    int across = CW_STATS_INTERSECT;
    if (policy && (across = cw_stats_across_parse(policy)) < 0)
        return cw_error_set(err, CW_EINVAL, "layers.across_policy: unknown policy \"%s\"", policy);
    const char *names[CW_STATS_MAX_LAYERS];
    static const char *const defaults[] = {"REALM", "WORLD", "EVENT", "TOTAL"};
    size_t n = 4;
    if (order) {
        n = json_array_size(order);
        if (n > CW_STATS_MAX_LAYERS)
            return cw_error_set(err, CW_EINVAL, "layers.order: more than %d layers",
                                CW_STATS_MAX_LAYERS);
        for (size_t i = 0; i < n; i++) {
            const json_t *v = json_array_get(order, i);
            if (!json_is_string(v) || !json_string_value(v)[0])
                return cw_error_set(err, CW_EINVAL, "layers.order[%zu]: expected a layer name", i);
            names[i] = json_string_value(v);
        }
    } else {
        memcpy(names, defaults, sizeof defaults);
    }
    return cw_stats_set_layers(reg, names, n, (cw_stats_across)across, err);
}

/* ---- input ---- */

static int parse_contrib(const json_t *j, const char *path, cw_stats_contrib_in *c, cw_error *err)
{
    if (!json_is_object(j)) return bad(err, path, "expected a contribution object");
    const char *bucket;
    int rc;
    if ((rc = get_str(j, "dimension", path, 1, &c->dimension, err)) < 0 ||
        (rc = get_str(j, "bucket", path, 1, &bucket, err)) < 0)
        return rc;
    int b = cw_stats_bucket_parse(bucket);
    if (b < 0)
        return cw_error_set(err, CW_EINVAL, "%s.bucket: unknown bucket \"%s\"", path, bucket);
    c->bucket = (cw_stats_bucket)b;
    if ((rc = get_num(j, "value", path, 1, &c->value, err)) < 0 ||
        (rc = get_str(j, "system", path, 1, &c->system, err)) < 0 ||
        (rc = get_priority(j, path, &c->priority, err)) < 0)
        return rc;
    return 0;
}

static int parse_cap(const json_t *j, const char *path, cw_stats_cap_in *c, cw_error *err)
{
    if (!json_is_object(j)) return bad(err, path, "expected a cap object");
    const char *mode, *kind;
    int rc;
    if ((rc = get_str(j, "system", path, 1, &c->system, err)) < 0 ||
        (rc = get_str(j, "dimension", path, 1, &c->dimension, err)) < 0 ||
        (rc = get_str(j, "mode", path, 1, &mode, err)) < 0)
        return rc;
    int m = cw_stats_cap_mode_parse(mode);
    if (m < 0) return cw_error_set(err, CW_EINVAL, "%s.mode: unknown mode \"%s\"", path, mode);
    if ((rc = get_str(j, "kind", path, 1, &kind, err)) < 0) return rc;
    int k = cw_stats_cap_kind_parse(kind);
    if (k < 0)
        return cw_error_set(err, CW_EINVAL, "%s.kind: unknown kind \"%s\" (max or min)", path,
                            kind);
    if ((m == CW_STATS_CAP_HARD_MAX && k != CW_STATS_KIND_MAX) ||
        (m == CW_STATS_CAP_HARD_MIN && k != CW_STATS_KIND_MIN))
        return cw_error_set(err, CW_EINVAL, "%s.kind: mode %s requires kind \"%s\"", path, mode,
                            m == CW_STATS_CAP_HARD_MAX ? "max" : "min");
    c->mode = (cw_stats_cap_mode)m;
    c->kind = (cw_stats_cap_kind)k;
    if ((rc = get_num(j, "value", path, 1, &c->value, err)) < 0 ||
        (rc = get_priority(j, path, &c->priority, err)) < 0 ||
        (rc = get_str(j, "scope", path, 0, &c->scope, err)) < 0 ||
        (rc = get_str(j, "realm", path, 0, &c->realm, err)) < 0)
        return rc;
    if (c->scope && strcmp(c->scope, "REALM") == 0 && !c->realm)
        return cw_error_set(err, CW_EINVAL, "%s.realm: a REALM cap needs a realm", path);
    const json_t *tags;
    if ((rc = get_array(j, "tags", path, 0, &tags, err)) < 0) return rc;
    for (size_t i = 0; tags && i < json_array_size(tags); i++)
        if (!json_is_string(json_array_get(tags, i)))
            return cw_error_set(err, CW_EINVAL, "%s.tags[%zu]: expected a string", path, i);
    return 0;
}

static int parse_pack(const char *name, const json_t *j, const char *path, cw_stats_pack_in *p,
                      double *mults, cw_error *err)
{
    if (!json_is_object(j)) return bad(err, path, "expected a modifier pack object");
    *p = (cw_stats_pack_in){.name = name, .multipliers = mults};
    const json_t *m;
    int rc;
    if ((rc = get_num(j, "additive_percent", path, 0, &p->additive_percent, err)) < 0 ||
        (rc = get_num(j, "post_add", path, 0, &p->post_add, err)) < 0 ||
        (rc = get_array(j, "multipliers", path, 0, &m, err)) < 0)
        return rc;
    char ip[SUB_PATH_LEN];
    for (size_t i = 0; m && i < json_array_size(m); i++) {
        snprintf(ip, sizeof ip, "%s.multipliers[%zu]", path, i);
        if ((rc = num_value(json_array_get(m, i), ip, NULL, &mults[i], err)) < 0) return rc;
        p->nmultipliers++;
    }
    return 0;
}

/* Where each output's parsed pieces live in the flat arrays. */
typedef struct out_span {
    const char *system, *realm;
    size_t p0, np, d0, nd, c0, nc, k0, nk;
    int group; /* index of the first output with the same system */
} out_span;

typedef struct parsed {
    out_span *spans;
    cw_stats_contrib_in *contribs;
    cw_stats_cap_in *caps;
    cw_stats_pack_in *packs;
    double *mults;
} parsed;

static void parsed_free(parsed *ps)
{
    free(ps->spans);
    free(ps->contribs);
    free(ps->caps);
    free(ps->packs);
    free(ps->mults);
}

static int parse_outputs(const json_t *root, parsed *ps, size_t *nc_total, cw_error *err)
{
    size_t n = json_array_size(root), ncon = 0, ncap = 0, npk = 0, nm = 0;
    char p[PATH_MAX_LEN];
    int rc;
    /* pass 1: shapes and sizes */
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(root, i), *a, *ctx, *meta;
        snprintf(p, sizeof p, "input[%zu]", i);
        if (!json_is_object(o)) return bad(err, p, "expected a subsystem output object");
        if ((rc = get_object(o, "meta", p, 1, &meta, err)) < 0) return rc;
        if ((rc = get_array(o, "primary", p, 1, &a, err)) < 0) return rc;
        ncon += json_array_size(a);
        if ((rc = get_array(o, "derived", p, 1, &a, err)) < 0) return rc;
        ncon += json_array_size(a);
        if ((rc = get_array(o, "caps", p, 1, &a, err)) < 0) return rc;
        ncap += json_array_size(a);
        if ((rc = get_object(o, "context", p, 0, &ctx, err)) < 0) return rc;
        const char *key;
        json_t *v;
        if (ctx) json_object_foreach((json_t *)ctx, key, v)
            {
                npk++;
                const json_t *m = json_is_object(v) ? json_object_get(v, "multipliers") : NULL;
                nm += json_is_array(m) ? json_array_size(m) : 0;
            }
    }
    ps->spans = calloc(n + 1, sizeof *ps->spans);
    ps->contribs = calloc(ncon + 1, sizeof *ps->contribs);
    ps->caps = calloc(ncap + 1, sizeof *ps->caps);
    ps->packs = calloc(npk + 1, sizeof *ps->packs);
    ps->mults = calloc(nm + 1, sizeof *ps->mults);
    if (!ps->spans || !ps->contribs || !ps->caps || !ps->packs || !ps->mults) return nomem(err);
    /* pass 2: every element */
    size_t ci = 0, ki = 0, pi = 0, mi = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(root, i), *meta = json_object_get(o, "meta");
        out_span *s = &ps->spans[i];
        snprintf(p, sizeof p, "input[%zu].meta", i);
        if ((rc = get_str(meta, "system", p, 1, &s->system, err)) < 0 ||
            (rc = get_str(meta, "realm", p, 0, &s->realm, err)) < 0)
            return rc;
        static const char *const lists[] = {"primary", "derived"};
        for (int l = 0; l < 2; l++) {
            const json_t *a = json_object_get(o, lists[l]);
            if (l == 0)
                s->p0 = ci;
            else
                s->d0 = ci;
            for (size_t k = 0; k < json_array_size(a); k++) {
                snprintf(p, sizeof p, "input[%zu].%s[%zu]", i, lists[l], k);
                if ((rc = parse_contrib(json_array_get(a, k), p, &ps->contribs[ci++], err)) < 0)
                    return rc;
            }
            if (l == 0)
                s->np = ci - s->p0;
            else
                s->nd = ci - s->d0;
        }
        const json_t *a = json_object_get(o, "caps");
        s->c0 = ki;
        for (size_t k = 0; k < json_array_size(a); k++) {
            snprintf(p, sizeof p, "input[%zu].caps[%zu]", i, k);
            if ((rc = parse_cap(json_array_get(a, k), p, &ps->caps[ki++], err)) < 0) return rc;
        }
        s->nc = ki - s->c0;
        const json_t *ctx = json_object_get(o, "context");
        s->k0 = pi;
        const char *key;
        json_t *v;
        if (ctx) json_object_foreach((json_t *)ctx, key, v)
            {
                snprintf(p, sizeof p, "input[%zu].context.%s", i, key);
                if (!key[0]) return bad(err, p, "empty pack name");
                if ((rc = parse_pack(key, v, p, &ps->packs[pi], ps->mults + mi, err)) < 0)
                    return rc;
                mi += ps->packs[pi++].nmultipliers;
            }
        s->nk = pi - s->k0;
        s->group = (int)i;
        for (size_t g = 0; g < i; g++)
            if (strcmp(ps->spans[g].system, s->system) == 0) {
                s->group = (int)g;
                break;
            }
    }
    *nc_total = ncon + ncap + npk + nm;
    return 0;
}

/* Applies the outputs of group g (all outputs sharing one meta.system) as one source. */
static int apply_group(cw_stats_actor *a, const parsed *ps, size_t n, size_t g, cw_error *err)
{
    size_t np = 0, nd = 0, nc = 0, nk = 0, nm = 0;
    for (size_t i = g; i < n; i++)
        if (ps->spans[i].group == (int)g) {
            np += ps->spans[i].np;
            nd += ps->spans[i].nd;
            nc += ps->spans[i].nc;
            nk += ps->spans[i].nk;
            for (size_t k = 0; k < ps->spans[i].nk; k++)
                nm += ps->packs[ps->spans[i].k0 + k].nmultipliers;
        }
    cw_stats_contrib_in *prim = calloc(np + 1, sizeof *prim), *der = calloc(nd + 1, sizeof *der);
    cw_stats_cap_in *caps = calloc(nc + 1, sizeof *caps);
    cw_stats_pack_in *packs = calloc(nk + 1, sizeof *packs);
    double *mults = calloc(nm + 1, sizeof *mults);
    int rc = 0;
    if (!prim || !der || !caps || !packs || !mults) {
        rc = nomem(err);
        goto done;
    }
    size_t ip = 0, id = 0, ic = 0, ik = 0, im = 0;
    for (size_t i = g; i < n; i++) {
        const out_span *s = &ps->spans[i];
        if (s->group != (int)g) continue;
        memcpy(prim + ip, ps->contribs + s->p0, s->np * sizeof *prim);
        memcpy(der + id, ps->contribs + s->d0, s->nd * sizeof *der);
        memcpy(caps + ic, ps->caps + s->c0, s->nc * sizeof *caps);
        ip += s->np;
        id += s->nd;
        ic += s->nc;
    }
    /* packs of the same name within the group merge here; multipliers concatenate */
    for (size_t i = g; i < n; i++) {
        const out_span *s = &ps->spans[i];
        if (s->group != (int)g) continue;
        for (size_t k = 0; k < s->nk; k++) {
            const cw_stats_pack_in *src = &ps->packs[s->k0 + k];
            size_t at = 0;
            while (at < ik && strcmp(packs[at].name, src->name) != 0)
                at++;
            if (at == ik) packs[ik++] = (cw_stats_pack_in){.name = src->name};
            packs[at].additive_percent += src->additive_percent;
            packs[at].post_add += src->post_add;
        }
    }
    for (size_t at = 0; at < ik; at++) {
        packs[at].multipliers = mults + im;
        for (size_t i = g; i < n; i++) {
            const out_span *s = &ps->spans[i];
            if (s->group != (int)g) continue;
            for (size_t k = 0; k < s->nk; k++) {
                const cw_stats_pack_in *src = &ps->packs[s->k0 + k];
                if (strcmp(src->name, packs[at].name) != 0) continue;
                for (size_t m = 0; m < src->nmultipliers; m++)
                    mults[im++] = src->multipliers[m];
                packs[at].nmultipliers += src->nmultipliers;
            }
        }
    }
    cw_stats_source_in in = {prim, np, der, nd, caps, nc, packs, ik};
    cw_error e2 = {0};
    if ((rc = cw_stats_actor_set_source(a, ps->spans[g].system, &in, &e2)) < 0)
        cw_error_set(err, rc, "input[%zu] (system \"%s\"): %s", g, ps->spans[g].system, e2.msg);
done:
    free(prim);
    free(der);
    free(caps);
    free(packs);
    free(mults);
    return rc;
}

int cw_stats_json_load_input(cw_stats_actor *a, const json_t *root, cw_error *err)
{
    if (!json_is_array(root)) return bad(err, "input", "expected an array of subsystem outputs");
    parsed ps = {0};
    size_t total = 0, n = json_array_size(root);
    int rc = parse_outputs(root, &ps, &total, err);
    const char *realm = NULL;
    size_t realm_at = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *r = ps.spans[i].realm;
        if (!r) continue;
        if (realm && strcmp(realm, r) != 0)
            rc = cw_error_set(err, CW_EINVAL,
                              "input[%zu].meta.realm: \"%s\" conflicts with \"%s\" of input[%zu]",
                              i, r, realm, realm_at);
        realm = r;
        realm_at = i;
    }
    if (rc == 0 && realm) rc = cw_stats_actor_set_realm(a, realm, err);
    for (size_t g = 0; rc == 0 && g < n; g++)
        if (ps.spans[g].group == (int)g) rc = apply_group(a, &ps, n, g, err);
    parsed_free(&ps);
    return rc;
}

static json_t *parse_text(const char *what, const char *text, size_t len, cw_error *err)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
    if (!j)
        cw_error_set(err, CW_EINVAL, "%s: invalid JSON at line %d column %d: %s", what, je.line,
                     je.column, je.text);
    return j;
}

int cw_stats_json_resolve_text(const char *registry, size_t registry_len, const char *layers,
                               size_t layers_len, const char *input, size_t input_len,
                               const char *realm, char **out, cw_error *err)
{
    cw_stats_registry *reg = NULL;
    cw_stats_actor *a = NULL;
    json_t *jr = NULL, *jl = NULL, *ji = NULL;
    const cw_stats_snapshot *s;
    int rc;
    *out = NULL;
    if (!(jr = parse_text("registry", registry, registry_len, err)) ||
        (layers && !(jl = parse_text("layers", layers, layers_len, err))) ||
        !(ji = parse_text("input", input, input_len, err))) {
        rc = CW_EINVAL;
        goto done;
    }
    if ((rc = cw_stats_registry_new(NULL, &reg, err)) < 0 ||
        (rc = cw_stats_json_load_registry(reg, jr, err)) < 0 ||
        (jl && (rc = cw_stats_json_load_layers(reg, jl, err)) < 0) ||
        (rc = cw_stats_actor_new(reg, &a, err)) < 0 ||
        (rc = cw_stats_json_load_input(a, ji, err)) < 0 ||
        (realm && (rc = cw_stats_actor_set_realm(a, realm, err)) < 0) ||
        (rc = cw_stats_actor_resolve(a, &s, err)) < 0)
        goto done;
    if (!(*out = cw_stats_json_snapshot_text(reg, s))) rc = nomem(err);
done:
    json_decref(jr);
    json_decref(jl);
    json_decref(ji);
    cw_stats_actor_free(a);
    cw_stats_registry_free(reg);
    return rc;
}
