/* script_fixture.h — shared by the core/script unit tests (test_sandbox.c,
 * test_reload.c): a temporary scripts/ + content/ tree, a minimal `chaos`
 * module over the host's API, and op calls. Include after cmocka.h. */
#ifndef CW_TEST_SCRIPT_FIXTURE_H
#define CW_TEST_SCRIPT_FIXTURE_H

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/script/host.h"

typedef struct fixture {
    char dir[64];
    char scripts[96];
    char content[96];
    cw_host *host;
} fixture;

static int fx_on_op(lua_State *L)
{
    cw_error err;
    if (cw_gen_on_op(cw_gen_of(L), luaL_checkstring(L, 1), 2, &err))
        return luaL_error(L, "%s", err.msg);
    return 0;
}

static int fx_every(lua_State *L)
{
    cw_error err;
    int id = cw_gen_add_timer(cw_gen_of(L), luaL_checknumber(L, 1), 1, 2, &err);
    if (id < 0)
        return luaL_error(L, "%s", err.msg);
    lua_pushinteger(L, id);
    return 1;
}

static int fx_generation(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cw_gen_number(cw_gen_of(L)));
    return 1;
}

static int fx_is_live(lua_State *L)
{
    lua_pushboolean(L, cw_gen_is_live(cw_gen_of(L)));
    return 1;
}

static int fx_fail(lua_State *L)
{
    lua_createtable(L, 0, 2);
    lua_pushstring(L, luaL_checkstring(L, 1));
    lua_setfield(L, -2, "code");
    lua_pushstring(L, luaL_optstring(L, 2, "failed"));
    lua_setfield(L, -2, "message");
    return lua_error(L);
}

static int fx_open_chaos(lua_State *L, void *ctx)
{
    (void)ctx;
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_newtable(L);
    lua_pushcfunction(L, fx_on_op);
    lua_setfield(L, -2, "on_op");
    lua_pushcfunction(L, fx_every);
    lua_setfield(L, -2, "every");
    lua_pushcfunction(L, fx_generation);
    lua_setfield(L, -2, "generation");
    lua_pushcfunction(L, fx_is_live);
    lua_setfield(L, -2, "is_live");
    lua_pushcfunction(L, fx_fail);
    lua_setfield(L, -2, "fail");
    lua_newtable(L); /* shared between files: where scripts leave observations */
    lua_setfield(L, -2, "seen");
    lua_setfield(L, -2, "chaos");
    lua_pop(L, 2);
    return 0;
}

/* Writes dir/name (creating one level of sub-directory if name has one). */
static void fx_write(const char *dir, const char *name, const char *text, size_t len)
{
    char path[512];
    const char *slash = strrchr(name, '/');
    if (slash) {
        snprintf(path, sizeof path, "%s/%.*s", dir, (int)(slash - name), name);
        mkdir(path, 0755);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(text, 1, len, f);
    fclose(f);
}

static void fx_content(fixture *fx, const char *name, const char *text)
{
    fx_write(fx->content, name, text, strlen(text));
}

static int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/chaos-script-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->scripts, sizeof fx->scripts, "%s/scripts", fx->dir);
    snprintf(fx->content, sizeof fx->content, "%s/content", fx->dir);
    mkdir(fx->scripts, 0755);
    mkdir(fx->content, 0755);
    /* An engine module with the full environment (the "private door"). */
    static const char util[] =
        "local M = {}\n"
        "function M.twice(x) return 2 * x end\n"
        "function M.upper(s) return string.upper(s) end\n"
        "function M.has_debug() return debug.getinfo ~= nil end\n"
        "function M.string_mt_locked() return debug.getmetatable('').__metatable == false end\n"
        "return M\n";
    fx_write(fx->scripts, "util.lua", util, sizeof util - 1);
    cw_log_setup(CW_LOG_OFF, NULL);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fixture *fx = *state;
    cw_host_free(fx->host);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static cw_host *fx_start(fixture *fx, const cw_host_config *extra, cw_error *err)
{
    cw_host_config cfg = {.budget_ms = 200, .seed = 1, .open = fx_open_chaos};
    if (extra)
        cfg = *extra;
    cfg.scripts_dir = fx->scripts;
    cfg.content_dir = fx->content;
    if (!cfg.open)
        cfg.open = fx_open_chaos;
    fx->host = cw_host_new(&cfg, err);
    return fx->host;
}

/* Calls op; returns the body or "ERR:<code>:<message>" in a static buffer. */
static const char *fx_call(cw_host *h, const char *op, const char *payload)
{
    static char out[4096];
    cw_op_result res;
    memset(&res, 0, sizeof res);
    int rc = cw_host_call_op(h, op, payload, strlen(payload), 7, &res);
    if (rc == CW_ENOTFOUND)
        snprintf(out, sizeof out, "NOTFOUND");
    else if (res.ok)
        snprintf(out, sizeof out, "%s", res.body.data);
    else
        snprintf(out, sizeof out, "ERR:%s:%s", res.code, res.message.data ? res.message.data : "");
    cw_op_result_free(&res);
    return out;
}

#endif
