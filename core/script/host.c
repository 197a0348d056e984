/* host.c — the host's lifecycle: first load, synchronous reload and swap,
 * op calls, counters. The asynchronous reload is in reload.c. */
#include "core/script/internal.h"

#include "core/base/clock.h"
#include "core/base/log.h"

#include <ctype.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup(const char *s)
{
    return strdup(s ? s : "");
}

void cw_host_sync_gen(cw_host *h, cw_gen *g)
{
    if (g->mem_refused) {
        cw_counter_add(h->m_mem_refused, g->mem_refused);
        g->mem_refused = 0;
    }
    if (g == h->live) cw_gauge_set(h->m_memory, (double)g->mem_used);
}

void cw_host_go_live(cw_host *h, cw_gen *g)
{
    cw_gen *old = h->live;
    if (old) cw_script_carry_state(old->L, g->L);
    h->live = g;
    g->live = 1;
    cw_timers_activate(g);
    cw_gen_free(old); /* cancels its timers, closes its state */
    cw_gauge_set(h->m_generation, g->number);
    cw_host_sync_gen(h, g);
}

int cw_gen_is_live(const cw_gen *g)
{
    return g && g->live && g->host->live == g &&
           pthread_equal(pthread_self(), g->host->loop_thread);
}

cw_host *cw_host_new(const cw_host_config *cfg, cw_error *err)
{
    cw_host *h = calloc(1, sizeof *h);
    if (!h) {
        cw_error_set(err, CW_ENOMEM, "out of memory");
        return NULL;
    }
    h->cfg = *cfg;
    if (h->cfg.budget_ms <= 0) h->cfg.budget_ms = 50;
    if (h->cfg.load_budget_ms <= 0)
        h->cfg.load_budget_ms = h->cfg.budget_ms * 40 > 2000 ? h->cfg.budget_ms * 40 : 2000;
    h->cfg.hook_names = NULL; /* copied below */
    if (cw_host_set_hook_names(h, cfg->hook_names, cfg->nhook_names) != 0) {
        cw_error_set(err, CW_ENOMEM, "out of memory");
        free(h);
        return NULL;
    }
    h->scripts_dir = xstrdup(cfg->scripts_dir);
    h->content_dir = xstrdup(cfg->content_dir);
    h->start_ns = cw_now_ns();
    h->next_number = 1;
    h->loop_thread = pthread_self();
    cw_rng_seed(&h->rng, cfg->seed);
    if (cfg->metrics) {
        cw_metrics *m = cfg->metrics;
        h->m_errors = cw_metrics_counter(m, "chaos_lua_errors_total",
                                         "Lua errors in handlers, timers and loads", NULL, NULL);
        h->m_timeouts = cw_metrics_counter(m, "chaos_lua_timeouts_total",
                                           "Lua calls interrupted by the time budget", NULL, NULL);
        h->m_reload_ok =
            cw_metrics_counter(m, "chaos_reloads_total", "content reloads", "result", "ok");
        h->m_reload_failed =
            cw_metrics_counter(m, "chaos_reloads_total", "content reloads", "result", "refused");
        h->m_generation =
            cw_metrics_gauge(m, "chaos_content_generation", "live content generation", NULL, NULL);
        h->m_memory = cw_metrics_gauge(m, "chaos_lua_memory_bytes", "memory in the live Lua state",
                                       NULL, NULL);
        h->m_mem_refused = cw_metrics_counter(
            m, "chaos_lua_memory_refused_total",
            "Lua allocations refused by the memory cap (lua.memory_mb)", NULL, NULL);
    }
    cw_strbuf errors = CW_STRBUF_INIT;
    cw_gen *g = cw_gen_load(h, &errors);
    if (!g) {
        cw_error_set(err, CW_ESCRIPT, "%s", errors.data ? errors.data : "content failed to load");
        cw_strbuf_free(&errors);
        cw_host_free(h);
        return NULL;
    }
    cw_strbuf_free(&errors);
    h->next_number++;
    cw_host_go_live(h, g);
    return h;
}

void cw_host_free(cw_host *h)
{
    if (!h) return;
    cw_reload_free(h); /* abandons a build in progress, answers its callers */
    cw_gen_free(h->live);
    cw_host_free_hook_names(h);
    for (int i = 0; i < h->nreserved; i++)
        free(h->reserved[i]);
    free(h->reserved);
    free(h->scripts_dir);
    free(h->content_dir);
    free(h);
}

void cw_host_reload_refused(cw_host *h, const char *errors)
{
    cw_counter_add(h->m_reload_failed, 1);
    cw_log(CW_LOG_WARN, "reload refused", CW_S("errors", errors ? errors : ""),
           CW_I("live_generation", h->live ? h->live->number : 0), CW_END);
}

void cw_host_reload_swap(cw_host *h, cw_gen *g, uint64_t build_ns)
{
    uint64_t t0 = cw_now_ns();
    h->next_number++;
    cw_host_go_live(h, g);
    uint64_t t1 = cw_now_ns();
    if (h->cfg.on_swap) h->cfg.on_swap(h->cfg.open_ctx, g->number);
    double swap_ms = (double)(cw_now_ns() - t0) / 1e6;
    cw_counter_add(h->m_reload_ok, 1);
    cw_log(CW_LOG_INFO, "reloaded", CW_I("generation", g->number),
           CW_D("ms", (double)build_ns / 1e6 + swap_ms), CW_D("build_ms", (double)build_ns / 1e6),
           CW_D("swap_ms", swap_ms), CW_D("state_ms", (double)(t1 - t0) / 1e6),
           CW_D("tables_ms", (double)(cw_now_ns() - t1) / 1e6), CW_END);
}

int cw_host_reload(cw_host *h, cw_strbuf *errors)
{
    if (cw_host_reload_busy(h)) return CW_ESTATE;
    uint64_t t0 = cw_now_ns();
    cw_strbuf local = CW_STRBUF_INIT;
    cw_strbuf *errs = errors ? errors : &local;
    size_t before = errs->len;
    cw_gen *g = cw_gen_load(h, errs);
    if (!g) {
        cw_host_reload_refused(h, errs->data ? errs->data + before : "");
        cw_strbuf_free(&local);
        return CW_ESCRIPT;
    }
    cw_host_reload_swap(h, g, cw_now_ns() - t0);
    cw_strbuf_free(&local);
    return 0;
}

/* ---- ops ------------------------------------------------------------------ */

void cw_host_reserve_op(cw_host *h, const char *op)
{
    char **v = realloc(h->reserved, sizeof(char *) * (size_t)(h->nreserved + 1));
    if (!v) return;
    h->reserved = v;
    h->reserved[h->nreserved] = strdup(op);
    if (h->reserved[h->nreserved]) h->nreserved++;
}

static cw_op_entry *find_op(const cw_gen *g, const char *op)
{
    for (int i = 0; g && i < g->nops; i++)
        if (strcmp(g->ops[i].name, op) == 0) return &g->ops[i];
    return NULL;
}

int cw_gen_on_op(cw_gen *g, const char *op, int idx, cw_error *err)
{
    size_t n = strlen(op);
    if (n == 0 || n > 48) return cw_error_set(err, CW_EINVAL, "op name must be 1 to 48 characters");
    for (const char *c = op; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_' || *c == '.'))
            return cw_error_set(err, CW_EINVAL, "op name \"%s\" may use only a-z, 0-9, _ and .",
                                op);
    for (int i = 0; i < g->host->nreserved; i++)
        if (strcmp(g->host->reserved[i], op) == 0)
            return cw_error_set(err, CW_EEXIST, "op \"%s\" is handled by the core", op);
    lua_pushvalue(g->L, idx);
    int ref = luaL_ref(g->L, LUA_REGISTRYINDEX);
    cw_op_entry *e = find_op(g, op);
    if (e) {
        luaL_unref(g->L, LUA_REGISTRYINDEX, e->ref);
        e->ref = ref;
        return 0;
    }
    if (g->nops == g->capops) {
        int cap = g->capops ? g->capops * 2 : 16;
        cw_op_entry *ops = realloc(g->ops, sizeof *ops * (size_t)cap);
        if (!ops) {
            luaL_unref(g->L, LUA_REGISTRYINDEX, ref);
            return cw_error_set(err, CW_ENOMEM, "out of memory");
        }
        g->ops = ops;
        g->capops = cap;
    }
    g->ops[g->nops].name = strdup(op);
    if (!g->ops[g->nops].name) {
        luaL_unref(g->L, LUA_REGISTRYINDEX, ref);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    g->ops[g->nops++].ref = ref;
    return 0;
}

int cw_host_has_op(const cw_host *h, const char *op)
{
    return find_op(h->live, op) != NULL;
}

int cw_host_has_def(const cw_host *h, const char *kind, const char *id)
{
    if (!h || !h->live || !kind || !id) return 0;
    /* Raw reads only: no metamethod of content code runs from here. */
    lua_State *L = h->live->L;
    int top = lua_gettop(L);
    lua_pushstring(L, CW_HOST_DEFS_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    int found = 0;
    if (lua_istable(L, -1)) {
        lua_pushstring(L, kind);
        lua_rawget(L, -2);
        if (lua_istable(L, -1)) {
            lua_pushstring(L, id);
            lua_rawget(L, -2);
            found = !lua_isnil(L, -1);
        }
    }
    lua_settop(L, top);
    return found;
}

/* Runs inside the protected call: (table) → its JSON text. */
static int l_encode_defs(lua_State *L)
{
    cw_gen *g = cw_gen_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->encode_ref);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

int cw_host_defs_json(cw_host *h, const char *kind, cw_strbuf *out, cw_error *err)
{
    if (!h || !h->live) return cw_error_set(err, CW_ESTATE, "no live content generation");
    cw_gen *g = h->live;
    lua_State *L = g->L;
    int top = lua_gettop(L);
    lua_pushcfunction(L, l_encode_defs);
    lua_pushstring(L, CW_HOST_DEFS_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_istable(L, -1)) {
        lua_pushstring(L, kind);
        lua_rawget(L, -2);
        lua_remove(L, -2);
    }
    if (!lua_istable(L, -1)) {
        lua_settop(L, top);
        cw_strbuf_puts(out, "{}");
        return 0;
    }
    int rc = 0;
    if (cw_gen_pcall(g, 1, 1, h->cfg.budget_ms) == 0) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        if (s && n > 0 && s[0] == '{')
            cw_strbuf_append(out, s, n);
        else if (s && strcmp(s, "[]") == 0)
            cw_strbuf_puts(out, "{}");
        else
            rc = cw_error_set(err, CW_ESCRIPT, "%s definitions do not encode as an object", kind);
    } else {
        const char *m = lua_tostring(L, -1);
        rc = cw_error_set(err, CW_ESCRIPT, "%s definitions do not encode: %s", kind, m ? m : "?");
    }
    lua_settop(L, top);
    return rc;
}

void cw_host_list_ops(const cw_host *h, cw_strbuf *out)
{
    for (int i = 0; h->live && i < h->live->nops; i++) {
        if (i) cw_strbuf_puts(out, ",");
        cw_strbuf_puts(out, h->live->ops[i].name);
    }
}

typedef struct dispatch_ctx {
    cw_hook_push_fn ctx_fn;
    void *ctx_ud;
} dispatch_ctx;

/* Appends lua-cjson's text with every `\/` written as `/`: cjson escapes
 * each slash (legal JSON, but it doubles an answer of slashes past the frame
 * limit) and this cjson has no switch for it. A backslash in cjson's output
 * always starts a two-character escape, so walking escape by escape tells a
 * slash escape from the slash after an escaped backslash (`\\/` stays). */
static void append_unescaping_slashes(cw_strbuf *out, const char *s, size_t n)
{
    size_t from = 0, i = 0;
    while (i < n) {
        const char *bs = memchr(s + i, '\\', n - i);
        if (!bs)
            break;
        i = (size_t)(bs - s);
        if (i + 1 < n && s[i + 1] == '/') {
            cw_strbuf_append(out, s + from, i - from); /* up to the backslash */
            from = i + 1;                              /* the slash goes on with the rest */
        }
        i += 2; /* the whole escape (\uXXXX's digits are not backslashes) */
    }
    cw_strbuf_append(out, s + from, n - from);
}

/* Runs inside the protected call: (handler, payload, conn, dispatch_ctx) → encoded body
 * (lua-cjson's text; the caller drops its slash escapes, append_unescaping_slashes). */
static int l_dispatch(lua_State *L)
{
    cw_gen *g = cw_gen_of(L);
    const dispatch_ctx *dc = lua_touserdata(L, 4);
    lua_settop(L, 3);
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->decode_ref);
    lua_pushvalue(L, 2);
    lua_call(L, 1, 1); /* 4: request table */
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 4);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "conn");
    lua_pushinteger(L, (lua_Integer)g->number);
    lua_setfield(L, -2, "generation");
    if (dc && dc->ctx_fn) dc->ctx_fn(L, dc->ctx_ud); /* more fields: ctx.player, … */
    lua_call(L, 2, 1);                               /* 5: result */
    cw_script_call_end(L);
    if (lua_isnil(L, 5)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    if (!lua_istable(L, 5))
        return luaL_error(L, "op handler must return a table or nil, not a %s",
                          luaL_typename(L, 5));
    /* The envelope's keys belong to the core. */
    lua_pushnil(L);
    lua_setfield(L, 5, "id");
    lua_pushnil(L);
    lua_setfield(L, 5, "ok");
    lua_pushnil(L);
    lua_setfield(L, 5, "error");
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->encode_ref);
    lua_pushvalue(L, 5);
    lua_call(L, 1, 1);
    const char *s = lua_tostring(L, -1);
    if (!s || s[0] != '{')
        return luaL_error(L, "op handler must return a table with string keys (got a list)");
    return 1;
}

static int valid_code(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n >= 48) return 0;
    for (; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_')) return 0;
    return 1;
}

int cw_host_call_op(cw_host *h, const char *op, const char *payload, size_t len, uint64_t conn_id,
                    cw_op_result *res)
{
    return cw_host_call_op_ctx(h, op, payload, len, conn_id, NULL, NULL, res);
}

int cw_host_call_op_ctx(cw_host *h, const char *op, const char *payload, size_t len,
                        uint64_t conn_id, cw_hook_push_fn ctx_fn, void *ctx_ud, cw_op_result *res)
{
    dispatch_ctx dc = {ctx_fn, ctx_ud};
    cw_gen *g = h->live;
    cw_op_entry *e = find_op(g, op);
    if (!e) return CW_ENOTFOUND;
    lua_State *L = g->L;
    lua_pushcfunction(L, l_dispatch);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref);
    lua_pushlstring(L, payload, len);
    lua_pushnumber(L, (lua_Number)conn_id);
    lua_pushlightuserdata(L, &dc);
    if (cw_gen_pcall(g, 4, 1, h->cfg.budget_ms) == 0) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        res->ok = 1;
        append_unescaping_slashes(&res->body, s, n);
        lua_pop(L, 1);
        return 0;
    }
    res->ok = 0;
    if (lua_istable(L, -1)) {      /* structured error from chaos.fail / error{code=…} */
        lua_pushstring(L, "code"); /* raw: no metamethod of content runs out here */
        lua_rawget(L, -2);
        lua_pushstring(L, "message");
        lua_rawget(L, -3);
        const char *code = lua_tostring(L, -2);
        const char *msg = lua_tostring(L, -1);
        if (code && valid_code(code)) {
            snprintf(res->code, sizeof res->code, "%s", code);
            cw_strbuf_puts(&res->message, msg ? msg : code);
            lua_pop(L, 3);
            return 0;
        }
        lua_pop(L, 2);
    }
    cw_gen_log_error(g, "op", op);
    if (g->timed_out) {
        snprintf(res->code, sizeof res->code, "script_timeout");
        cw_strbuf_printf(&res->message, "the handler for \"%s\" ran past its %d ms budget", op,
                         h->cfg.budget_ms);
    } else if (g->oom) {
        snprintf(res->code, sizeof res->code, "out_of_memory");
        cw_strbuf_printf(&res->message, "the handler for \"%s\" ran out of script memory", op);
    } else {
        snprintf(res->code, sizeof res->code, "internal");
        cw_strbuf_printf(&res->message, "the handler for \"%s\" failed", op);
    }
    lua_pop(L, 1);
    return 0;
}

void cw_op_result_free(cw_op_result *res)
{
    cw_strbuf_free(&res->body);
    cw_strbuf_free(&res->message);
}

/* ---- introspection, clock, random ---------------------------------------- */

unsigned cw_host_generation(const cw_host *h)
{
    return h->live ? h->live->number : 0;
}

size_t cw_host_lua_memory(const cw_host *h)
{
    return h->live ? h->live->mem_used : 0;
}

uint64_t cw_host_errors(const cw_host *h)
{
    return h->errors;
}

int cw_host_advance(cw_host *h, double seconds, cw_error *err)
{
    if (h->cfg.base) return cw_error_set(err, CW_ESTATE, "the clock only advances by hand offline");
    if (!(seconds >= 0))
        return cw_error_set(err, CW_EINVAL, "cannot advance the clock by %g s", seconds);
    return cw_timers_advance(h, seconds);
}

int cw_host_run_file(cw_host *h, const char *path, cw_error *err)
{
    cw_gen *g = h->live;
    lua_State *L = g->L;
    if (luaL_loadfile(L, path) != 0) {
        cw_error_set(err, CW_ESCRIPT, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return CW_ESCRIPT;
    }
    if (cw_gen_pcall(g, 0, 0, h->cfg.load_budget_ms) != 0) {
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "message");
            cw_error_set(err, CW_ESCRIPT, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
            lua_pop(L, 1);
        } else {
            cw_error_set(err, CW_ESCRIPT, "%s", lua_tostring(L, -1));
        }
        lua_pop(L, 1);
        return CW_ESCRIPT;
    }
    return 0;
}

double cw_gen_now(cw_gen *g)
{
    cw_host *h = g->host;
    if (!h->cfg.base) return h->offline_clock;
    return (double)(cw_now_ns() - h->start_ns) / 1e9;
}

int cw_gen_set_clock(cw_gen *g, double t)
{
    if (g->host->cfg.base) return CW_ESTATE;
    g->host->offline_clock = t;
    return 0;
}

uint64_t cw_gen_random(cw_gen *g)
{
    return cw_rng_next(&g->rng);
}

int cw_gen_seed(cw_gen *g, uint64_t seed)
{
    if (g->host->cfg.base) return CW_ESTATE;
    cw_rng_seed(&g->rng, seed);
    return 0;
}

unsigned cw_gen_number(cw_gen *g)
{
    return g->number;
}

int cw_gen_advance(cw_gen *g, double seconds, cw_error *err)
{
    if (g != g->host->live)
        return cw_error_set(err, CW_ESTATE, "the clock advances only from the live generation");
    return cw_host_advance(g->host, seconds, err);
}
