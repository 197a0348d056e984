/* open.c — builds the `chaos` module table and lets every area register. */
#include "bindings/bindings.h"

#include "core/base/log.h"

#include <lauxlib.h>

int cw_bindings_open(lua_State *L, void *ctx)
{
    lua_newtable(L);
    int chaos = lua_gettop(L);
    int rc = cw_bind_host(L, chaos, ctx);
    if (rc == 0) rc = cw_bind_stats(L, chaos);
    if (rc == 0) rc = cw_bind_combat(L, chaos);
    if (rc == 0) rc = cw_bind_rng(L, chaos);
    if (rc == 0) rc = cw_bind_world(L, chaos, ctx);
    if (rc != 0) {
        cw_log(CW_LOG_ERROR, "binding failed to open", CW_I("code", rc), CW_END);
        lua_settop(L, chaos - 1);
        return rc;
    }
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_pushvalue(L, chaos);
    lua_setfield(L, -2, "chaos");
    lua_settop(L, chaos - 1);
    return 0;
}
