/* lpattern_lib.c — string.find, match, gmatch and gsub over the bounded
 * matcher of lpattern_match.c, argument handling as LuaJIT 2.1's. See
 * lpattern.h. */
#include "core/script/lpattern_int.h"

#include <lauxlib.h>
#include <string.h>

/* The only mutable global: process-wide, set before states run. */
static uint64_t step_cap = CW_LPATTERN_DEFAULT_STEP_CAP;

void cw_lpattern_set_step_cap(uint64_t steps)
{
    step_cap = steps ? steps : CW_LPATTERN_DEFAULT_STEP_CAP;
}

/* Upvalue 1 of every function: what install was given. */
typedef struct lp_config {
    cw_lpattern_check_fn check;
} lp_config;

static cw_lpattern_check_fn check_of(lua_State *L)
{
    const lp_config *cfg = lua_touserdata(L, lua_upvalueindex(1));
    return cfg ? cfg->check : NULL;
}

/* ---------------------------------------------------------------------------
 * find and match
 * ------------------------------------------------------------------------- */

/* LuaJIT reads init as an int32 with a truncating conversion; out of range
 * (and NaN) gives INT32_MIN there, as the x86-64 instruction does. */
static int32_t opt_int32(lua_State *L, int arg, int32_t def)
{
    if (lua_isnoneornil(L, arg)) return def;
    lua_Number n = luaL_checknumber(L, arg);
    if (n >= -2147483648.0 && n < 2147483648.0) return (int32_t)n;
    return INT32_MIN;
}

static int has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] && strchr("^$*+?.([%-", p[i])) return 1;
    return 0;
}

static int find_or_match(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int64_t start = opt_int32(L, 3, 1);
    if (start < 0)
        start += (int64_t)ls;
    else
        start--;
    if (start < 0) start = 0;
    if ((uint64_t)start > ls) start = (int64_t)ls;
    size_t st = (size_t)start;

    if (find && ((lua_gettop(L) >= 4 && lua_toboolean(L, 4)) || !has_specials(p, lp))) {
        const char *q = memmem(s + st, ls - st, p, lp);
        if (!q) {
            lua_pushnil(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(q - s) + 1);
        lua_pushinteger(L, (lua_Integer)(q - s) + (lua_Integer)lp);
        return 2;
    }

    cw_lpm ms;
    cw_lpm_init(&ms, L, find ? "string.find" : "string.match", check_of(L), step_cap, s, ls, p, lp);
    int anchored = lp > 0 && p[0] == '^';
    const char *pat = p + anchored;
    const char *at = s + st;
    for (;;) {
        const char *e = cw_lpm_match_at(&ms, at, pat);
        if (e) {
            if (!find) return cw_lpm_push_captures(&ms, at, e);
            luaL_checkstack(L, 2, "too many captures");
            lua_pushinteger(L, (lua_Integer)(at - s) + 1);
            lua_pushinteger(L, (lua_Integer)(e - s));
            return cw_lpm_push_captures(&ms, NULL, NULL) + 2;
        }
        if (anchored || at >= ms.subj_end) break;
        at++;
    }
    lua_pushnil(L);
    return 1;
}

static int lp_find(lua_State *L)
{
    return find_or_match(L, 1);
}

static int lp_match(lua_State *L)
{
    return find_or_match(L, 0);
}

/* ---------------------------------------------------------------------------
 * gmatch
 * ------------------------------------------------------------------------- */

/* Upvalues: 1 config, 2 subject, 3 pattern, 4 where the next search starts. */
static int lp_gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(2), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(3), &lp);
    size_t pos = (size_t)lua_tointeger(L, lua_upvalueindex(4));
    cw_lpm ms;
    cw_lpm_init(&ms, L, "string.gmatch", check_of(L), step_cap, s, ls, p, lp);
    /* '^' is an ordinary byte here, as in LuaJIT. */
    for (; pos <= ls; pos++) {
        const char *e = cw_lpm_match_at(&ms, s + pos, p);
        if (e) {
            size_t next = (size_t)(e - s);
            if (e == s + pos) /* an empty match moves on by one */
                next++;
            lua_pushinteger(L, (lua_Integer)next);
            lua_replace(L, lua_upvalueindex(4));
            return cw_lpm_push_captures(&ms, s + pos, e);
        }
    }
    return 0;
}

static int lp_gmatch(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, lp_gmatch_next, 4);
    return 1;
}

/* ---------------------------------------------------------------------------
 * gsub
 * ------------------------------------------------------------------------- */

/* The replacement string at index 3 for the match [s, e). */
static void add_template(cw_lpm *ms, luaL_Buffer *b, const char *s, const char *e)
{
    size_t n;
    const char *r = lua_tolstring(ms->L, 3, &n);
    for (size_t i = 0; i < n; i++) {
        if (r[i] != '%') {
            luaL_addchar(b, r[i]);
            continue;
        }
        /* A '%' last adds the string's terminating NUL, as LuaJIT does. */
        char c = ++i < n ? r[i] : '\0';
        if (c < '0' || c > '9') {
            luaL_addchar(b, c);
        } else if (c == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else {
            cw_lpm_push_capture(ms, c - '1', s, e);
            luaL_addvalue(b);
        }
    }
}

static void add_replacement(cw_lpm *ms, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = ms->L;
    int t = lua_type(L, 3);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        add_template(ms, b, s, e);
        return;
    }
    if (t == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = cw_lpm_push_captures(ms, s, e);
        lua_call(L, n, 1);
    } else {
        cw_lpm_push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        lua_pushlstring(L, s, (size_t)(e - s));
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    }
    luaL_addvalue(b);
}

static int lp_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int t = lua_type(L, 3);
    int max = luaL_optint(L, 4, (int)(ls + 1));
    luaL_argcheck(L, t == LUA_TNUMBER || t == LUA_TSTRING || t == LUA_TFUNCTION || t == LUA_TTABLE,
                  3, "string/function/table expected");
    int anchored = lp > 0 && p[0] == '^';
    const char *pat = p + anchored;

    cw_lpm ms;
    cw_lpm_init(&ms, L, "string.gsub", check_of(L), step_cap, s, ls, p, lp);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *at = s;
    int n = 0;
    while (n < max) {
        const char *e = cw_lpm_match_at(&ms, at, pat);
        if (e) {
            n++;
            add_replacement(&ms, &b, at, e);
        }
        if (e && e > at)
            at = e;
        else if (at < ms.subj_end)
            luaL_addchar(&b, *at++);
        else
            break;
        if (anchored) break;
    }
    luaL_addlstring(&b, at, (size_t)(ms.subj_end - at));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

/* ---------------------------------------------------------------------------
 * Install
 * ------------------------------------------------------------------------- */

void cw_lpattern_install(lua_State *L, int string_idx, cw_lpattern_check_fn check)
{
    static const luaL_Reg fns[] = {
        {"find", lp_find}, {"match", lp_match}, {"gmatch", lp_gmatch}, {"gsub", lp_gsub}};
    if (string_idx < 0 && string_idx > LUA_REGISTRYINDEX)
        string_idx = lua_gettop(L) + string_idx + 1;
    lp_config *cfg = lua_newuserdata(L, sizeof *cfg);
    cfg->check = check;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        lua_pushvalue(L, -1);
        lua_pushcclosure(L, fns[i].func, 1);
        lua_setfield(L, string_idx, fns[i].name);
    }
    lua_pop(L, 1);
}
