/* config_file.c — the Lua config file. It returns a table whose nesting
 * mirrors the keys: `return { net = { port = 7777 }, lua = { budget_ms = 50 } }`.
 * It runs in a bare state of its own (no content, no `chaos` module). */
#include "core/app/server.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

static int walk(lua_State *L, cw_config *cfg, const char *prefix, cw_error *err)
{
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 2);
            return cw_error_set(err, CW_EINVAL, "config: keys must be names (under \"%s\")",
                                prefix);
        }
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", lua_tostring(L, -2));
        int rc = 0;
        char val[64];
        switch (lua_type(L, -1)) {
        case LUA_TTABLE:
            rc = walk(L, cfg, key, err);
            break;
        case LUA_TBOOLEAN:
            rc = cw_config_set(cfg, key, lua_toboolean(L, -1) ? "true" : "false", err);
            break;
        case LUA_TNUMBER: {
            double d = lua_tonumber(L, -1);
            if (d == (double)(long long)d)
                snprintf(val, sizeof val, "%lld", (long long)d);
            else
                snprintf(val, sizeof val, "%.17g", d);
            rc = cw_config_set(cfg, key, val, err);
            break;
        }
        case LUA_TSTRING:
            rc = cw_config_set(cfg, key, lua_tostring(L, -1), err);
            break;
        default:
            rc = cw_error_set(err, CW_EINVAL, "config: %s has unsupported type %s", key,
                              luaL_typename(L, -1));
        }
        if (rc) {
            lua_pop(L, 2);
            return rc;
        }
        lua_pop(L, 1);
    }
    return 0;
}

int cw_config_load_lua(cw_config *cfg, const char *path, cw_error *err)
{
    lua_State *L = luaL_newstate();
    if (!L) return cw_error_set(err, CW_ENOMEM, "out of memory");
    luaL_openlibs(L);
    int rc = 0;
    if (luaL_loadfile(L, path) || lua_pcall(L, 0, 1, 0)) {
        rc = cw_error_set(err, CW_EINVAL, "config: %s", lua_tostring(L, -1));
    } else if (!lua_istable(L, -1)) {
        rc = cw_error_set(err, CW_EINVAL, "config: %s must return a table", path);
    } else {
        rc = walk(L, cfg, "", err);
    }
    lua_close(L);
    return rc;
}
