/* sandbox.c — the environment every file of content/ runs in.
 *
 * Engine scripts (scripts/) run in the state's global table with every
 * library. Each content file runs in an environment of its own (setfenv on
 * its chunk) holding only what content needs and cannot escape through:
 * the base functions that touch nothing outside the state, copies of
 * string (without dump), table, math and coroutine, an `os` with time, clock
 * and date, text-only load/loadstring, a restricted collectgarbage and
 * require, print (to the log) and _G (the environment itself). Undeclared
 * globals raise with file:line, as in the engine. Nothing here can reach io,
 * debug, jit, ffi, package, the registry or another file's environment.
 *
 * C functions content can reach run without the budget hook (it counts VM
 * instructions), so the ones whose running time content controls are bounded
 * here: table.sort checks the deadline from its comparator, load's reader
 * loop checks it, os.date's format is capped, and JSON encoding is refused
 * before lua-cjson allocates outside the memory cap. */
#include "core/script/internal.h"

#include "core/base/log.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Registry keys (addresses). */
static const char K_BASE = 'b';    /* {name = value}: base functions of every environment */
static const char K_LIBS = 'l';    /* {string = {…}, table = …}: library templates to copy */
static const char K_ENVMT = 'm';   /* the strict metatable of environments */
static const char K_ENGINE = 'e';  /* engine modules content may require: name → module */
static const char K_MODS = 'c';    /* content modules: name → value, or K_LOADING */
static const char K_RAN = 'r';     /* content paths already run: path → true */
static const char K_LOADING = 'L'; /* lightuserdata marking a module being loaded */

#define OS_DATE_MAX_FORMAT 256
/* lua-cjson refuses to nest deeper than 1000 by default; content may not
 * raise that (deep recursion in C). */
#define ENCODE_MAX_DEPTH 1000
#define ENCODE_MAX_NODES (4u << 20)

static void reg_push(lua_State *L, const char *key)
{
    lua_pushlightuserdata(L, (void *)key);
    lua_rawget(L, LUA_REGISTRYINDEX);
}

static void reg_set(lua_State *L, const char *key) /* pops the value */
{
    lua_pushlightuserdata(L, (void *)key);
    lua_insert(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

static int raise_budget(lua_State *L)
{
    cw_gen *g = cw_gen_of(L);
    return luaL_error(L, "script exceeded its %d ms budget", g ? g->budget_ms : 0);
}

/* ---- strict globals ------------------------------------------------------- */

static const char *key_name(lua_State *L, int idx)
{
    const char *k = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
    return k ? k : luaL_typename(L, idx);
}

static int env_index(lua_State *L)
{
    return luaL_error(L, "undefined global '%s'", key_name(L, 2));
}

static int env_newindex(lua_State *L)
{
    return luaL_error(L,
                      "assignment to undeclared global '%s' (use local, or export through your "
                      "module table)",
                      key_name(L, 2));
}

/* ---- base functions ------------------------------------------------------- */

/* print(...) → one info log line, tab-separated like print's output. */
static int l_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    lua_pushvalue(L, lua_upvalueindex(1)); /* tostring */
    int ts = lua_gettop(L);
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, ts);
        lua_pushvalue(L, i);
        lua_call(L, 1, 1);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "'tostring' must return a string to 'print'");
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    char where[256] = "";
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
        snprintf(where, sizeof where, "%s:%d", ar.short_src, ar.currentline);
    cw_log(CW_LOG_INFO, lua_tostring(L, -1), CW_S("where", where), CW_S("from", "print"), CW_END);
    return 0;
}

/* getmetatable: a table's metatable (honouring __metatable); nothing for
 * strings and userdata, whose metatables belong to the engine. */
static int l_getmetatable(lua_State *L)
{
    luaL_checkany(L, 1);
    if (!lua_istable(L, 1) || !lua_getmetatable(L, 1)) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushstring(L, "__metatable");
    lua_rawget(L, -2);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);
    return 1;
}

static int l_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "count") && strcmp(opt, "collect") && strcmp(opt, "step"))
        return luaL_error(L, "collectgarbage: option '%s' is not available to content", opt);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* Loads text (never bytecode) as a chunk whose environment is env_idx's. */
static int load_text(lua_State *L, const char *s, size_t n, const char *name, int env_idx)
{
    if (n > 0 && s[0] == '\033')
        return luaL_error(L, "load: bytecode is not allowed in content (text chunks only)");
    if (luaL_loadbufferx(L, s, n, name, "t") != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2; /* nil, message — as load does */
    }
    lua_pushvalue(L, env_idx);
    lua_setfenv(L, -2);
    return 1;
}

/* loadstring(s [, chunkname]) */
static int l_loadstring(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, s);
    return load_text(L, s, n, name, lua_upvalueindex(1));
}

/* load(string or reader function [, chunkname [, mode [, env]]]) */
static int l_load(lua_State *L)
{
    const char *name = luaL_optstring(L, 2, "=(load)");
    int env = lua_istable(L, 4) ? 4 : lua_upvalueindex(1);
    if (lua_type(L, 1) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, 1, &n);
        if (lua_isnoneornil(L, 2))
            name = s;
        return load_text(L, s, n, name, env);
    }
    luaL_checktype(L, 1, LUA_TFUNCTION);
    /* The reader may be a C function that never ends (os.date): the
     * deadline is checked on every piece. */
    lua_newtable(L);
    int parts = lua_gettop(L);
    int count = 0;
    for (;;) {
        if (cw_gen_over_budget(L))
            return raise_budget(L);
        lua_pushvalue(L, 1);
        lua_call(L, 0, 1);
        if (lua_isnil(L, -1) || (lua_isstring(L, -1) && lua_objlen(L, -1) == 0)) {
            lua_pop(L, 1);
            break;
        }
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "load: reader function must return a string");
        lua_rawseti(L, parts, ++count);
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= count; i++) {
        lua_rawgeti(L, parts, i);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    return load_text(L, s, n, name, env);
}

/* ---- library replacements ------------------------------------------------- */

typedef struct sort_ctx {
    unsigned calls;
} sort_ctx;

/* The comparator every content sort runs with: the caller's (or <), and a
 * deadline check every 64 comparisons — a C comparator (rawequal, …) or no
 * comparator at all would otherwise sort without ever meeting the hook. */
static int sort_cmp(lua_State *L)
{
    sort_ctx *c = lua_touserdata(L, lua_upvalueindex(1));
    if ((++c->calls & 63u) == 0 && cw_gen_over_budget(L))
        return raise_budget(L);
    if (lua_isnil(L, lua_upvalueindex(2))) {
        lua_pushboolean(L, lua_lessthan(L, 1, 2));
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    return 1;
}

static int l_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1)); /* the real sort */
    lua_pushvalue(L, 1);
    sort_ctx *c = lua_newuserdata(L, sizeof *c);
    c->calls = 0;
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, sort_cmp, 2);
    lua_call(L, 2, 0);
    return 0;
}

static int l_os_date(lua_State *L)
{
    size_t n = 0;
    if (!lua_isnoneornil(L, 1))
        luaL_checklstring(L, 1, &n);
    if (n > OS_DATE_MAX_FORMAT)
        return luaL_error(L, "os.date: format longer than %d bytes", OS_DATE_MAX_FORMAT);
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, 1);
    return 1;
}

/* ---- JSON encoding guard -------------------------------------------------- */

typedef struct enc_walk {
    size_t bytes, limit;
    unsigned nodes;
} enc_walk;

/* An upper bound of the JSON text of the value at idx (absolute); 0 when it
 * stays within the walk's limits, else an error message. Raw reads only. */
static const char *enc_size(lua_State *L, int idx, int depth, enc_walk *w)
{
    if (++w->nodes > ENCODE_MAX_NODES)
        return "value has too many elements to encode";
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n = lua_objlen(L, idx);
        w->bytes += n * 6 + 2; /* every byte escaped as \u00XX, at worst */
        break;
    }
    case LUA_TTABLE:
        if (depth >= ENCODE_MAX_DEPTH)
            return "value is nested too deep to encode (or has a cycle)";
        if (!lua_checkstack(L, 3))
            return "value is nested too deep to encode";
        w->bytes += 2;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            int top = lua_gettop(L);
            const char *e = enc_size(L, top - 1, depth + 1, w);
            if (!e)
                e = enc_size(L, top, depth + 1, w);
            if (!e && w->bytes > w->limit)
                e = "value too large to encode";
            if (e) {
                lua_pop(L, 2);
                return e;
            }
            w->bytes += 2;
            lua_pop(L, 1);
        }
        break;
    default:
        w->bytes += 32;
        break;
    }
    return w->bytes > w->limit ? "value too large to encode" : NULL;
}

/* encode(v): the real encoder (upvalue 1) after the size check. */
static int l_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    cw_gen *g = cw_gen_of(L);
    enc_walk w = {0, g && g->mem_cap ? g->mem_cap : (size_t)256 << 20, 0};
    const char *e = enc_size(L, 1, 0, &w);
    if (e)
        return luaL_error(L, "cjson.encode: %s", e);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

void cw_sandbox_guard_cjson(lua_State *L, int idx)
{
    idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
    lua_getfield(L, idx, "encode");
    lua_pushcclosure(L, l_encode, 1);
    lua_setfield(L, idx, "encode");
    /* Deeper nesting than the guard allows is refused by it anyway; these
     * settings would only let lua-cjson recurse further in C. */
    lua_pushnil(L);
    lua_setfield(L, idx, "encode_max_depth");
    lua_pushnil(L);
    lua_setfield(L, idx, "decode_max_depth");
}

/* ---- preparing the pieces ------------------------------------------------- */

static void copy_fields(lua_State *L, int from, int to)
{
    lua_pushnil(L);
    while (lua_next(L, from)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, to);
    }
}

/* Pushes a copy of global library `name` (raw reads: _G is strict). */
static void lib_template(lua_State *L, const char *name)
{
    lua_newtable(L);
    lua_pushstring(L, name);
    lua_rawget(L, LUA_GLOBALSINDEX);
    copy_fields(L, lua_gettop(L), lua_gettop(L) - 1);
    lua_pop(L, 1);
}

static void raw_global(lua_State *L, const char *name)
{
    lua_pushstring(L, name);
    lua_rawget(L, LUA_GLOBALSINDEX);
}

int cw_sandbox_prepare(lua_State *L)
{
    int top = lua_gettop(L);
    /* getmetatable("") must not hand out the real string table. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    static const char *const base[] = {
        "assert",   "error",  "ipairs",   "next",         "pairs",    "pcall",
        "xpcall",   "select", "tonumber", "tostring",     "type",     "unpack",
        "rawequal", "rawget", "rawset",   "setmetatable", "_VERSION", NULL};
    lua_newtable(L);
    int b = lua_gettop(L);
    for (const char *const *n = base; *n; n++) {
        raw_global(L, *n);
        lua_setfield(L, b, *n);
    }
    lua_pushcfunction(L, l_getmetatable);
    lua_setfield(L, b, "getmetatable");
    raw_global(L, "tostring");
    lua_pushcclosure(L, l_print, 1);
    lua_setfield(L, b, "print");
    raw_global(L, "collectgarbage");
    lua_pushcclosure(L, l_collectgarbage, 1);
    lua_setfield(L, b, "collectgarbage");
    reg_set(L, &K_BASE);

    lua_newtable(L);
    int libs = lua_gettop(L);
    lib_template(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_setfield(L, libs, "string");
    lib_template(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushcclosure(L, l_sort, 1);
    lua_setfield(L, -2, "sort");
    lua_setfield(L, libs, "table");
    lib_template(L, "math");
    lua_setfield(L, libs, "math");
    lib_template(L, "coroutine"); /* resume is the guarded one already */
    lua_setfield(L, libs, "coroutine");
    lua_newtable(L);
    raw_global(L, "os");
    lua_getfield(L, -1, "time");
    lua_setfield(L, -3, "time");
    lua_getfield(L, -1, "clock");
    lua_setfield(L, -3, "clock");
    lua_getfield(L, -1, "date");
    lua_pushcclosure(L, l_os_date, 1);
    lua_setfield(L, -3, "date");
    lua_pop(L, 1);
    lua_setfield(L, libs, "os");
    reg_set(L, &K_LIBS);

    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, env_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    reg_set(L, &K_ENVMT);

    lua_newtable(L);
    reg_set(L, &K_MODS);
    lua_newtable(L);
    reg_set(L, &K_RAN);
    lua_newtable(L);
    reg_set(L, &K_ENGINE);
    lua_settop(L, top);
    return 0;
}

void cw_sandbox_engine_modules(lua_State *L, char **names, int n)
{
    reg_push(L, &K_ENGINE);
    int t = lua_gettop(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    int loaded = lua_gettop(L);
    static const char *const fixed[] = {"chaos", "cjson"};
    for (int i = 0; i < n + 2; i++) {
        const char *name = i < n ? names[i] : fixed[i - n];
        if (!name[0])
            continue;
        lua_getfield(L, loaded, name);
        if (lua_isnil(L, -1))
            lua_pop(L, 1);
        else
            lua_setfield(L, t, name);
    }
    lua_settop(L, t - 1);
}

/* ---- environments and require --------------------------------------------- */

static int l_require(lua_State *L);

/* Pushes a fresh environment for one content file. */
static void push_env(lua_State *L)
{
    lua_createtable(L, 0, 32);
    int env = lua_gettop(L);
    reg_push(L, &K_BASE);
    copy_fields(L, env + 1, env);
    lua_pop(L, 1);
    reg_push(L, &K_LIBS);
    int libs = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, libs)) {
        lua_newtable(L);
        copy_fields(L, lua_gettop(L) - 1, lua_gettop(L));
        lua_pushvalue(L, -3);
        lua_insert(L, -2);
        lua_rawset(L, env);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");
    lua_pushvalue(L, env);
    lua_pushcclosure(L, l_load, 1);
    lua_setfield(L, env, "load");
    lua_pushvalue(L, env);
    lua_pushcclosure(L, l_loadstring, 1);
    lua_setfield(L, env, "loadstring");
    lua_pushcfunction(L, l_require);
    lua_setfield(L, env, "require");
    reg_push(L, &K_ENVMT);
    lua_setmetatable(L, env);
}

/* Loads path (text only) with a fresh environment; pushes the chunk, or
 * returns nonzero with the error message pushed. */
static int load_file(lua_State *L, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) {
        int c = fgetc(f);
        fclose(f);
        if (c == '\033') {
            lua_pushfstring(L, "%s: bytecode is not allowed in content (text files only)", path);
            return 1;
        }
    }
    if (luaL_loadfilex(L, path, "t") != 0)
        return 1;
    push_env(L);
    lua_setfenv(L, -2);
    return 0;
}

/* Marks path as run; 1 if it already was. */
static int mark_ran(lua_State *L, const char *path)
{
    reg_push(L, &K_RAN);
    lua_getfield(L, -1, path);
    int ran = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, path);
    lua_pop(L, 1);
    return ran;
}

static void set_module(lua_State *L, const char *name, int value_idx)
{
    if (value_idx < 0)
        value_idx = lua_gettop(L) + value_idx + 1;
    reg_push(L, &K_MODS);
    lua_pushvalue(L, value_idx);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

static int valid_module_name(const char *s)
{
    if (!*s || strlen(s) > 200)
        return 0;
    int seg = 0;
    for (; *s; s++) {
        char c = *s;
        if (c == '.') {
            if (seg == 0)
                return 0;
            seg = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-') {
            seg++;
        } else {
            return 0;
        }
    }
    return seg > 0;
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Clears a module left marked as loading by a failed load. */
static void unmark_loading(lua_State *L, const char *name)
{
    reg_push(L, &K_MODS);
    lua_getfield(L, -1, name);
    if (lua_touserdata(L, -1) == (void *)&K_LOADING) {
        lua_pushnil(L);
        lua_setfield(L, -3, name);
    }
    lua_pop(L, 2);
}

/* require(name) from content: an engine module, else content/<name>.lua (or
 * <name>/init.lua) run once in its own environment, else an error. */
static int l_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    reg_push(L, &K_ENGINE);
    lua_getfield(L, -1, name);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 2);
    reg_push(L, &K_MODS);
    lua_getfield(L, -1, name);
    if (lua_touserdata(L, -1) == (void *)&K_LOADING)
        return luaL_error(L, "require: loop while loading module '%s'", name);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 2);

    cw_gen *g = cw_gen_of(L);
    char path[4096] = "";
    if (g && valid_module_name(name)) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s", name);
        for (char *c = rel; *c; c++)
            if (*c == '.')
                *c = '/';
        snprintf(path, sizeof path, "%s/%s.lua", g->host->content_dir, rel);
        if (!is_file(path)) {
            snprintf(path, sizeof path, "%s/%s/init.lua", g->host->content_dir, rel);
            if (!is_file(path))
                path[0] = '\0';
        }
    }
    if (!path[0])
        return luaL_error(L, "require: module '%s' is not available to content", name);
    mark_ran(L, path);
    lua_pushlightuserdata(L, (void *)&K_LOADING);
    set_module(L, name, -1);
    lua_pop(L, 1);
    if (load_file(L, path) != 0) {
        lua_pushnil(L);
        set_module(L, name, -1);
        lua_pop(L, 1);
        return lua_error(L);
    }
    lua_pushvalue(L, 1);
    /* An error (budget included) belongs to the requiring file: it is
     * raised again once the module is no longer marked as loading. */
    if (lua_pcall(L, 1, 1, 0) != 0) {
        unmark_loading(L, name);
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    set_module(L, name, -1);
    return 1;
}

void cw_sandbox_run_file(cw_gen *g, const char *path, cw_strbuf *errors)
{
    lua_State *L = g->L;
    if (mark_ran(L, path))
        return; /* a require ran it already */
    char mod[512];
    cw_gen_module_name(g->host->content_dir, path, mod, sizeof mod);
    if (load_file(L, path) != 0) {
        cw_gen_add_error(L, errors);
        lua_pop(L, 1);
        return;
    }
    if (mod[0]) {
        lua_pushlightuserdata(L, (void *)&K_LOADING);
        set_module(L, mod, -1);
        lua_pop(L, 1);
    }
    lua_pushstring(L, mod);
    if (cw_gen_pcall(g, 1, 1, g->host->cfg.load_budget_ms) != 0) {
        cw_gen_add_error(L, errors);
        lua_pop(L, 1);
        if (mod[0])
            unmark_loading(L, mod);
        return;
    }
    if (mod[0]) {
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushboolean(L, 1);
        }
        set_module(L, mod, -1);
    }
    lua_pop(L, 1);
}
