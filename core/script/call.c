/* call.c — cw_host_call_module: offline tools call a function of an engine
 * module in the live generation (chaosctl item roll → items.roll_json). */
#include "core/script/internal.h"

#include <lauxlib.h>
#include <string.h>

/* The first line of the error value on top of the stack (a traceback string
 * or chaos.fail's {code, message} table) into err. */
static void set_error(lua_State *L, cw_error *err)
{
    const char *msg = NULL;
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "message");
        msg = lua_tostring(L, -1);
        cw_error_set(err, CW_ESCRIPT, "%s", msg ? msg : "?");
        lua_pop(L, 1);
        return;
    }
    msg = lua_tostring(L, -1);
    if (!msg) msg = "?";
    size_t n = strcspn(msg, "\n");
    cw_error_set(err, CW_ESCRIPT, "%.*s", (int)n, msg);
}

int cw_host_call_module(cw_host *h, const char *module, const char *fn, const char *const *args,
                        int nargs, cw_strbuf *out, cw_error *err)
{
    if (!h || !h->live) return cw_error_set(err, CW_ESTATE, "no live generation");
    lua_State *L = h->live->L;
    int top = lua_gettop(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, module);
    if (!lua_istable(L, -1)) {
        lua_settop(L, top);
        return cw_error_set(err, CW_ENOTFOUND, "no engine module '%s'", module);
    }
    lua_getfield(L, -1, fn);
    if (!lua_isfunction(L, -1)) {
        lua_settop(L, top);
        return cw_error_set(err, CW_ENOTFOUND, "module '%s' has no function '%s'", module, fn);
    }
    if (!lua_checkstack(L, nargs + 4)) {
        lua_settop(L, top);
        return cw_error_set(err, CW_ENOMEM, "Lua stack exhausted");
    }
    for (int i = 0; i < nargs; i++)
        lua_pushstring(L, args[i]);
    int rc = 0;
    if (cw_gen_pcall(h->live, nargs, 1, h->cfg.budget_ms) != 0) {
        set_error(L, err);
        rc = CW_ESCRIPT;
    } else if (lua_type(L, -1) != LUA_TSTRING) {
        rc = cw_error_set(err, CW_ESCRIPT, "%s.%s returned %s, not a string", module, fn,
                          luaL_typename(L, -1));
    } else {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (cw_strbuf_append(out, s, len) != 0) rc = cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    lua_settop(L, top);
    return rc;
}
