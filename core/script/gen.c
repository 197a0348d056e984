/* gen.c — building one content generation: a fresh LuaJIT state with a
 * counting allocator (the memory cap), the libraries, lua-cjson, the `chaos`
 * module and strict globals, then the engine runtime (scripts/, full
 * environment) and the content (content/, each file in its own sandbox
 * environment: sandbox.c). Also the time budget every call into Lua runs
 * under. */
#include "core/script/internal.h"
#include "core/script/lpattern.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strbuf.h"

#include <dirent.h>
#include <lauxlib.h>
#include <lua-cjson.h>
#include <luajit.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char GEN_KEY = 'g'; /* address used as a registry key */

cw_gen *cw_gen_of(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&GEN_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    cw_gen *g = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return g;
}

/* ---- memory -------------------------------------------------------------- */

/* Counts every byte of the state. While Lua code runs (mem_enforce), a growth
 * past the cap is refused: LuaJIT turns that into a "not enough memory" error
 * the script (or its caller) sees. A free or a shrink is never refused, and
 * neither is anything the C side allocates outside a call (pushing arguments,
 * interning a key), which is small and must not fail unprotected. */
static void *gen_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    cw_gen *g = ud;
    if (nsize == 0) {
        free(ptr);
        g->mem_used -= osize;
        return NULL;
    }
    if (nsize > osize && g->mem_enforce && g->mem_cap && g->mem_used - osize + nsize > g->mem_cap) {
        g->oom = 1;
        g->mem_refused++;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p)
        g->mem_used = g->mem_used - osize + nsize;
    return p;
}

/* ---- time budget ---------------------------------------------------------- */

static int past_deadline(cw_gen *g)
{
    if (!g || !g->deadline_ns)
        return 0;
    if (atomic_load_explicit(&g->abandon, memory_order_relaxed) || cw_now_ns() > g->deadline_ns) {
        g->timed_out = 1;
        return 1;
    }
    return 0;
}

int cw_gen_over_budget(lua_State *L)
{
    return past_deadline(cw_gen_of(L));
}

/* Every 1000 VM instructions: past the deadline → raise. Keeps raising while
 * the deadline stays passed, so a script that catches the error with pcall
 * is interrupted again outside its pcall. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
    cw_gen *g = cw_gen_of(L);
    if (past_deadline(g)) {
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            luaL_error(L, "%s:%d: script exceeded its %d ms budget", ar->short_src, ar->currentline,
                       g->budget_ms);
        luaL_error(L, "script exceeded its %d ms budget", g->budget_ms);
    }
}

/* pcall, xpcall and coroutine.resume catch errors, so a script could swallow
 * the budget error in a loop. Each is wrapped: once the call in progress has
 * run out of budget, returning through any of them raises again. */
static int guarded(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    cw_gen *g = cw_gen_of(L);
    if (g && g->timed_out && g->deadline_ns)
        return luaL_error(L, "script exceeded its %d ms budget", g->budget_ms);
    return lua_gettop(L);
}

static void guard(lua_State *L, const char *table, const char *name)
{
    if (table) {
        lua_getglobal(L, table);
        lua_getfield(L, -1, name);
        lua_pushcclosure(L, guarded, 1);
        lua_setfield(L, -2, name);
        lua_pop(L, 1);
    } else {
        lua_getglobal(L, name);
        lua_pushcclosure(L, guarded, 1);
        lua_setglobal(L, name);
    }
}

/* Message handler: structured errors ({code=…, message=…}) pass through,
 * anything else becomes "message\nstack traceback: …". */
static int msg_handler(lua_State *L)
{
    if (lua_istable(L, 1))
        return 1;
    const char *msg = lua_tostring(L, 1);
    if (!msg)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int cw_gen_pcall(cw_gen *g, int nargs, int nresults, int budget_ms)
{
    lua_State *L = g->L;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msg_handler);
    lua_insert(L, base);
    uint64_t saved_deadline = g->deadline_ns;
    int saved_budget = g->budget_ms;
    int saved_enforce = g->mem_enforce;
    if (!saved_deadline) { /* nested calls keep the outer deadline */
        g->deadline_ns = cw_now_ns() + (uint64_t)budget_ms * 1000000ull;
        g->budget_ms = budget_ms;
        g->timed_out = 0;
        g->oom = 0;
    }
    g->mem_enforce = 1;
    int rc = lua_pcall(L, nargs, nresults, base);
    g->mem_enforce = saved_enforce;
    g->deadline_ns = saved_deadline;
    g->budget_ms = saved_budget;
    lua_remove(L, base);
    /* A refusal may have come from garbage the collector had not reached
     * yet: collect now, outside the cap, so the next call has room. */
    if (g->oom && !saved_deadline)
        lua_gc(L, LUA_GCCOLLECT, 0);
    if (g->live && !saved_deadline)
        cw_host_sync_gen(g->host, g);
    return rc;
}

/* Raw reads only, here and below: an error value is content's, and a
 * metamethod of it must not run outside a protected call. */
static const char *raw_message(lua_State *L, int idx)
{
    const char *text = lua_tostring(L, idx);
    if (!text && lua_istable(L, idx)) {
        lua_pushstring(L, "message");
        lua_rawget(L, idx < 0 ? idx - 1 : idx);
        text = lua_tostring(L, -1); /* anchored by the table */
        lua_pop(L, 1);
    }
    return text;
}

void cw_gen_log_error(cw_gen *g, const char *what, const char *name)
{
    lua_State *L = g->L;
    int structured = !lua_isstring(L, -1) && lua_istable(L, -1);
    const char *text = raw_message(L, -1);
    char first[512];
    const char *tb = "";
    text = text ? text : "(no message)";
    const char *nl = structured ? NULL : strchr(text, '\n');
    size_t n = nl ? (size_t)(nl - text) : strlen(text);
    if (n >= sizeof first)
        n = sizeof first - 1;
    memcpy(first, text, n);
    first[n] = '\0';
    tb = nl ? nl + 1 : "";
    /* "file:line: message" → split the location off for structured logs. */
    char where[256] = "";
    const char *colon = strstr(first, ": ");
    if (colon && (size_t)(colon - first) < sizeof where) {
        memcpy(where, first, (size_t)(colon - first));
        where[colon - first] = '\0';
    }
    cw_log(CW_LOG_ERROR, "lua error", CW_S("in", what), CW_S("name", name ? name : ""),
           CW_S("where", where), CW_S("error", first), CW_S("traceback", tb),
           CW_I("generation", g->number), CW_B("timeout", g->timed_out),
           CW_B("out_of_memory", g->oom && !g->timed_out), CW_END);
    /* Called for live generations on the loop only (handlers, timers). */
    g->host->errors++;
    cw_counter_add(g->host->m_errors, 1);
    if (g->timed_out)
        cw_counter_add(g->host->m_timeouts, 1);
}

/* ---- files --------------------------------------------------------------- */

typedef struct pathlist {
    char **v;
    int n, cap;
} pathlist;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_lua(const char *dir, pathlist *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t need = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(need);
        if (!p)
            break;
        snprintf(p, need, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect_lua(p, out);
            free(p);
            continue;
        }
        size_t len = strlen(p);
        if (len < 4 || strcmp(p + len - 4, ".lua") != 0) {
            free(p);
            continue;
        }
        if (out->n == out->cap) {
            int cap = out->cap ? out->cap * 2 : 32;
            char **v = realloc(out->v, sizeof(char *) * (size_t)cap);
            if (!v) {
                free(p);
                break;
            }
            out->v = v;
            out->cap = cap;
        }
        out->v[out->n++] = p;
    }
    closedir(d);
}

static void pathlist_free(pathlist *pl)
{
    for (int i = 0; i < pl->n; i++)
        free(pl->v[i]);
    free(pl->v);
}

void cw_gen_add_error(lua_State *L, cw_strbuf *errors)
{
    const char *msg = raw_message(L, -1);
    if (!msg)
        msg = "(error without message)";
    const char *nl = strchr(msg, '\n');
    cw_strbuf_append(errors, msg, nl ? (size_t)(nl - msg) : strlen(msg));
    cw_strbuf_puts(errors, "\n");
}

void cw_gen_module_name(const char *root, const char *path, char *out, size_t cap)
{
    const char *rel = path + strlen(root);
    while (*rel == '/')
        rel++;
    snprintf(out, cap, "%s", rel);
    size_t n = strlen(out);
    if (n > 4)
        out[n - 4] = '\0';
    n = strlen(out);
    if (n >= 5 && strcmp(out + n - 5, "/init") == 0)
        out[n - 5] = '\0';
    else if (strcmp(out, "init") == 0)
        out[0] = '\0';
    for (char *c = out; *c; c++)
        if (*c == '/')
            *c = '.';
}

static void load_scripts(cw_gen *g, cw_strbuf *errors)
{
    lua_State *L = g->L;
    pathlist pl = {0};
    collect_lua(g->host->scripts_dir, &pl);
    if (pl.n > 1)
        qsort(pl.v, (size_t)pl.n, sizeof(char *), cmp_str);
    for (int i = 0; i < pl.n; i++) {
        char mod[512];
        cw_gen_module_name(g->host->scripts_dir, pl.v[i], mod, sizeof mod);
        /* The list becomes the names content may require. */
        snprintf(pl.v[i], strlen(pl.v[i]) + 1, "%s", mod);
        if (!mod[0])
            continue; /* a top-level init.lua is not a module of its own */
        if (atomic_load(&g->abandon))
            break;
        lua_getglobal(L, "require");
        lua_pushstring(L, mod);
        if (cw_gen_pcall(g, 1, 0, g->host->cfg.load_budget_ms) != 0) {
            cw_gen_add_error(L, errors);
            lua_pop(L, 1);
        }
    }
    cw_sandbox_engine_modules(L, pl.v, pl.n);
    pathlist_free(&pl);
}

static void load_content(cw_gen *g, cw_strbuf *errors)
{
    pathlist pl = {0};
    collect_lua(g->host->content_dir, &pl);
    if (pl.n > 1)
        qsort(pl.v, (size_t)pl.n, sizeof(char *), cmp_str);
    for (int i = 0; i < pl.n && !atomic_load(&g->abandon); i++)
        cw_sandbox_run_file(g, pl.v[i], errors);
    pathlist_free(&pl);
}

/* Cross-references between definitions (a portal's target zone, …): the
 * runtime leaves a checker in the registry under CW_HOST_DEFS_KEY ".check";
 * it runs once every content file has loaded and returns a list of
 * "file:line: message" strings, each one a load error. */
static void check_defs(cw_gen *g, cw_strbuf *errors)
{
    lua_State *L = g->L;
    lua_pushstring(L, CW_HOST_DEFS_KEY ".check");
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (!lua_isfunction(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    if (cw_gen_pcall(g, 0, 1, g->host->cfg.load_budget_ms) != 0) {
        cw_gen_add_error(L, errors);
        lua_pop(L, 1);
        return;
    }
    if (lua_istable(L, -1))
        for (int i = 1;; i++) {
            lua_rawgeti(L, -1, i);
            if (!lua_isstring(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            cw_strbuf_puts(errors, lua_tostring(L, -1));
            cw_strbuf_puts(errors, "\n");
            lua_pop(L, 1);
        }
    lua_pop(L, 1);
}

/* Globals are frozen once the libraries are open: a script that assigns or
 * reads an undeclared global fails with file and line, which catches typos
 * and keeps content from leaking state between files. (Content files get the
 * same rule in their own environments: sandbox.c.) */
static const char STRICT_LUA[] =
    "local mt = {}\n"
    "function mt.__newindex(_, k) error(\"assignment to undeclared global '\" .. tostring(k) .."
    " \"' (use local, or export through your module table)\", 2) end\n"
    "function mt.__index(_, k) error(\"undefined global '\" .. tostring(k) .. \"'\", 2) end\n"
    "setmetatable(_G, mt)\n";

/* Two lua-cjson instances: a private one for the engine's own decode and
 * encode (ops, definitions), whose settings no script can change, and the
 * module `require("cjson")` returns. Both encoders are guarded (sandbox.c),
 * and the module loses `new` (an unguarded instance). */
static int open_cjson(cw_gen *g)
{
    lua_State *L = g->L;
    lua_pushcfunction(L, luaopen_cjson);
    lua_call(L, 0, 1);
    int mod = lua_gettop(L);
    lua_getfield(L, mod, "new");
    lua_call(L, 0, 1);
    cw_sandbox_guard_cjson(L, -1);
    lua_getfield(L, -1, "decode");
    g->decode_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getfield(L, -1, "encode");
    g->encode_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    cw_sandbox_guard_cjson(L, mod);
    lua_pushnil(L);
    lua_setfield(L, mod, "new");
    /* luaL_register made a global too; modules must come through require. */
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_pushvalue(L, mod);
    lua_setfield(L, -2, "cjson");
    lua_pop(L, 3);
    lua_pushnil(L);
    lua_setglobal(L, "cjson");
    return 0;
}

static int setup_state(cw_gen *g, cw_strbuf *errors)
{
    cw_host *h = g->host;
    lua_State *L = g->L;
    luaL_openlibs(L);
    /* After openlibs: opening the jit library switches the compiler back on. */
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | (h->cfg.jit ? LUAJIT_MODE_ON : LUAJIT_MODE_OFF));
    lua_pushlightuserdata(L, (void *)&GEN_KEY);
    lua_pushlightuserdata(L, g);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1000);

    /* The real string table: the one every string's methods come from. */
    lua_getglobal(L, "string");
    int string_idx = lua_gettop(L);
    /* find/match/gmatch/gsub bounded by the call's budget (lpattern.h) */
    cw_lpattern_install(L, string_idx, cw_gen_over_budget);
    lua_pop(L, 1);

    guard(L, NULL, "pcall");
    guard(L, NULL, "xpcall");
    guard(L, "coroutine", "resume");

    /* No process exit from scripts; modules only from scripts/, no C modules. */
    lua_getglobal(L, "os");
    lua_pushnil(L);
    lua_setfield(L, -2, "exit");
    lua_pop(L, 1);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", h->scripts_dir, h->scripts_dir);
    lua_setfield(L, -2, "path");
    lua_pushstring(L, "");
    lua_setfield(L, -2, "cpath");
    lua_pop(L, 1);

    open_cjson(g);
    if (h->cfg.open && h->cfg.open(L, h->cfg.open_ctx) != 0) {
        cw_strbuf_puts(errors, "the chaos module failed to open (see log)\n");
        return CW_ESCRIPT;
    }
    if (cw_sandbox_prepare(L) != 0) {
        cw_strbuf_puts(errors, "the content sandbox failed to build (out of memory)\n");
        return CW_ESCRIPT;
    }
    if (luaL_loadstring(L, STRICT_LUA) || lua_pcall(L, 0, 0, 0)) {
        cw_gen_add_error(L, errors);
        lua_pop(L, 1);
        return CW_ESCRIPT;
    }
    return 0;
}

cw_gen *cw_gen_new(cw_host *h)
{
    cw_gen *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->host = h;
    g->number = h->next_number;
    g->decode_ref = g->encode_ref = LUA_NOREF;
    g->mem_cap = (size_t)(h->cfg.memory_mb > 0 ? h->cfg.memory_mb : 256) << 20;
    atomic_init(&g->abandon, 0);
    /* The first generation draws from the configured seed itself, so an
     * offline run with --seed N repeats; later ones get a stream of their own. */
    if (g->number == 1)
        cw_rng_seed(&g->rng, h->cfg.seed);
    else
        cw_rng_seed(&g->rng, cw_rng_next(&h->rng));
    return g;
}

/* An error outside any protected call: a bug of ours. Say what it was
 * before LuaJIT ends the process. */
static int gen_panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    cw_log(CW_LOG_ERROR, "lua panic: unprotected error", CW_S("error", msg ? msg : "?"), CW_END);
    return 0;
}

int cw_gen_build(cw_gen *g, cw_strbuf *errors)
{
    g->L = lua_newstate(gen_alloc, g);
    if (!g->L) {
        cw_strbuf_puts(errors, "cannot create a Lua state (out of memory)\n");
        return CW_ESCRIPT;
    }
    lua_atpanic(g->L, gen_panic);
    size_t before = errors->len;
    if (setup_state(g, errors) == 0) {
        load_scripts(g, errors);
        load_content(g, errors);
        if (errors->len == before)
            check_defs(g, errors);
    }
    if (atomic_load(&g->abandon) && errors->len == before)
        cw_strbuf_puts(errors, "the build was abandoned\n");
    return errors->len != before ? CW_ESCRIPT : 0;
}

cw_gen *cw_gen_load(cw_host *h, cw_strbuf *errors)
{
    cw_gen *g = cw_gen_new(h);
    if (!g) {
        cw_strbuf_puts(errors, "out of memory\n");
        return NULL;
    }
    if (cw_gen_build(g, errors) != 0) {
        cw_host_sync_gen(h, g);
        cw_gen_free(g);
        return NULL;
    }
    return g;
}

void cw_gen_free(cw_gen *g)
{
    if (!g)
        return;
    cw_timers_free_all(g);
    if (g->L)
        lua_close(g->L);
    for (int i = 0; i < g->nops; i++)
        free(g->ops[i].name);
    free(g->ops);
    free(g);
}
