/* Unit tests: core/script/host — generations, op calls, errors, budgets,
 * reload (refused and accepted), timers across generations. The test opens
 * its own minimal `chaos` module over the host's API, so only core/script
 * is under test here (bindings are exercised by tests/lua and integration). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
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

static int l_on_op(lua_State *L)
{
    cw_error err;
    if (cw_gen_on_op(cw_gen_of(L), luaL_checkstring(L, 1), 2, &err))
        return luaL_error(L, "%s", err.msg);
    return 0;
}

static int l_every(lua_State *L)
{
    cw_error err;
    int id = cw_gen_add_timer(cw_gen_of(L), luaL_checknumber(L, 1), 1, 2, &err);
    if (id < 0)
        return luaL_error(L, "%s", err.msg);
    lua_pushinteger(L, id);
    return 1;
}

static int l_generation(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cw_gen_number(cw_gen_of(L)));
    return 1;
}

static int open_test_chaos(lua_State *L, void *ctx)
{
    (void)ctx;
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_newtable(L);
    lua_pushcfunction(L, l_on_op);
    lua_setfield(L, -2, "on_op");
    lua_pushcfunction(L, l_every);
    lua_setfield(L, -2, "every");
    lua_pushcfunction(L, l_generation);
    lua_setfield(L, -2, "generation");
    lua_newtable(L); /* shared: a place timers can write to observe they ran */
    lua_setfield(L, -2, "seen");
    lua_setfield(L, -2, "chaos");
    lua_pop(L, 2);
    return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/chaos-host-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->scripts, sizeof fx->scripts, "%s/scripts", fx->dir);
    snprintf(fx->content, sizeof fx->content, "%s/content", fx->dir);
    mkdir(fx->scripts, 0755);
    mkdir(fx->content, 0755);
    write_file(fx->scripts, "util.lua", "return { twice = function(x) return 2 * x end }\n");
    cw_log_setup(CW_LOG_OFF, NULL);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    cw_host_free(fx->host);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static cw_host *start(fixture *fx, cw_error *err)
{
    cw_host_config cfg = {.scripts_dir = fx->scripts,
                          .content_dir = fx->content,
                          .budget_ms = 30,
                          .seed = 1,
                          .open = open_test_chaos};
    fx->host = cw_host_new(&cfg, err);
    return fx->host;
}

/* Calls op with payload; returns the body or "ERR:<code>" in a static buffer. */
static const char *call(cw_host *h, const char *op, const char *payload)
{
    static char out[512];
    cw_op_result res;
    memset(&res, 0, sizeof res);
    int rc = cw_host_call_op(h, op, payload, strlen(payload), 7, &res);
    if (rc == CW_ENOTFOUND)
        snprintf(out, sizeof out, "NOTFOUND");
    else if (res.ok)
        snprintf(out, sizeof out, "%s", res.body.data);
    else
        snprintf(out, sizeof out, "ERR:%s", res.code);
    cw_op_result_free(&res);
    return out;
}

static const char *GOOD =
    "local chaos = require('chaos')\n"
    "local util = require('util')\n"
    "chaos.on_op('double', function(req, ctx) return { v = util.twice(req.x) + 1000 * ctx.conn } end)\n"
    "chaos.on_op('boom', function() error('kaboom') end)\n"
    "chaos.on_op('deny', function() error({ code = 'not_allowed', message = 'no' }) end)\n"
    "chaos.on_op('spin', function() while true do end end)\n"
    "chaos.on_op('gen', function() return { g = chaos.generation() } end)\n"
    "chaos.every(1, function() chaos.seen[#chaos.seen + 1] = chaos.generation() end)\n";

static void first_generation_answers_ops(void **state)
{
    fixture *fx = *state;
    write_file(fx->content, "main.lua", GOOD);
    cw_error err;
    cw_host *h = start(fx, &err);
    assert_non_null(h);
    assert_int_equal(cw_host_generation(h), 1);
    assert_true(cw_host_has_op(h, "double"));
    assert_false(cw_host_has_op(h, "triple"));
    assert_string_equal(call(h, "double", "{\"op\":\"double\",\"x\":21}"), "{\"v\":7042}");
    assert_string_equal(call(h, "triple", "{}"), "NOTFOUND");
    assert_true(cw_host_lua_memory(h) > 0);
}

static void errors_become_codes_and_the_host_carries_on(void **state)
{
    fixture *fx = *state;
    write_file(fx->content, "main.lua", GOOD);
    cw_error err;
    cw_host *h = start(fx, &err);
    assert_non_null(h);
    assert_string_equal(call(h, "boom", "{}"), "ERR:internal");
    assert_string_equal(call(h, "deny", "{}"), "ERR:not_allowed");
    assert_string_equal(call(h, "spin", "{}"), "ERR:script_timeout");
    assert_int_equal(cw_host_errors(h), 2); /* boom and spin; deny is a normal answer */
    assert_string_equal(call(h, "double", "{\"x\":1}"), "{\"v\":7002}");
}

/* Op answers come without lua-cjson's `\/` escapes; other escapes stay, and
 * a slash after an escaped backslash is not mistaken for one. */
static void answers_do_not_escape_slashes(void **state)
{
    fixture *fx = *state;
    write_file(fx->content, "main.lua",
               "local chaos = require('chaos')\n"
               "chaos.on_op('say', function(req) return { t = req.t } end)\n");
    cw_error err;
    cw_host *h = start(fx, &err);
    assert_non_null(h);
    assert_string_equal(call(h, "say", "{\"t\":\"a/b//c\"}"), "{\"t\":\"a/b//c\"}");
    /* the text \/ (backslash, slash): cjson writes \\\/, we write \\/ */
    assert_string_equal(call(h, "say", "{\"t\":\"\\\\/\"}"), "{\"t\":\"\\\\/\"}");
    /* two backslashes, then a slash: cjson writes five backslashes and the slash */
    assert_string_equal(call(h, "say", "{\"t\":\"x\\\\\\\\/y\"}"), "{\"t\":\"x\\\\\\\\/y\"}");
    assert_string_equal(call(h, "say", "{\"t\":\"\\\\\"}"), "{\"t\":\"\\\\\"}");
    assert_string_equal(call(h, "say", "{\"t\":\"q\\\"/\\n\\u007f/\"}"),
                        "{\"t\":\"q\\\"/\\n\\u007f/\"}");
    assert_string_equal(call(h, "say", "{\"t\":\"/\"}"), "{\"t\":\"/\"}");
}

static void broken_content_fails_with_every_error(void **state)
{
    fixture *fx = *state;
    write_file(fx->content, "a.lua", "local x = = 1\n");
    write_file(fx->content, "b.lua", "\n\nundefined_call()\n");
    write_file(fx->content, "c.lua", "leak = 1\n");
    cw_error err;
    assert_null(start(fx, &err));
    assert_int_equal(err.code, CW_ESCRIPT);
    assert_non_null(strstr(err.msg, "a.lua:1:"));
    assert_non_null(strstr(err.msg, "b.lua:3:"));
    assert_non_null(strstr(err.msg, "c.lua:1:"));
    assert_non_null(strstr(err.msg, "undeclared global 'leak'"));
}

static void refused_reload_keeps_live_generation(void **state)
{
    fixture *fx = *state;
    write_file(fx->content, "main.lua", GOOD);
    cw_error err;
    cw_host *h = start(fx, &err);
    assert_non_null(h);
    write_file(fx->content, "main.lua", "local chaos = require('chaos')\nchaos.on_op('double'\n");
    cw_strbuf errors = CW_STRBUF_INIT;
    assert_int_equal(cw_host_reload(h, &errors), CW_ESCRIPT);
    assert_non_null(strstr(errors.data, "main.lua:"));
    cw_strbuf_free(&errors);
    assert_int_equal(cw_host_generation(h), 1);
    assert_string_equal(call(h, "double", "{\"x\":5}"), "{\"v\":7010}");
}

static void accepted_reload_swaps_and_old_timers_stop(void **state)
{
    fixture *fx = *state;
    write_file(fx->content, "main.lua", GOOD);
    cw_error err;
    cw_host *h = start(fx, &err);
    assert_non_null(h);
    assert_int_equal(cw_host_advance(h, 2.5, &err), 0); /* gen 1 timer: t=1, t=2 */
    write_file(fx->content, "main.lua",
               "local chaos = require('chaos')\n"
               "chaos.on_op('gen', function() return { g = chaos.generation() .. ':' .. #chaos.seen } end)\n"
               "chaos.every(1, function() chaos.seen[#chaos.seen + 1] = chaos.generation() end)\n");
    assert_int_equal(cw_host_reload(h, NULL), 0);
    assert_int_equal(cw_host_generation(h), 2);
    assert_false(cw_host_has_op(h, "double"));
    /* The new generation has fresh state: nothing seen yet. */
    assert_string_equal(call(h, "gen", "{}"), "{\"g\":\"2:0\"}");
    assert_int_equal(cw_host_advance(h, 3, &err), 0);
    /* Only generation 2's timer ran after the swap: exactly 3 ticks. */
    assert_string_equal(call(h, "gen", "{}"), "{\"g\":\"2:3\"}");
}

static void reserved_ops_are_refused(void **state)
{
    fixture *fx = *state;
    write_file(fx->content, "main.lua", GOOD);
    cw_error err;
    cw_host *h = start(fx, &err);
    assert_non_null(h);
    cw_host_reserve_op(h, "ping");
    write_file(fx->content, "main.lua",
               "local chaos = require('chaos')\nchaos.on_op('ping', function() end)\n");
    cw_strbuf errors = CW_STRBUF_INIT;
    assert_int_equal(cw_host_reload(h, &errors), CW_ESCRIPT);
    assert_non_null(strstr(errors.data, "handled by the core"));
    cw_strbuf_free(&errors);
    write_file(fx->content, "main.lua",
               "local chaos = require('chaos')\nchaos.on_op('Bad Name', function() end)\n");
    errors = (cw_strbuf)CW_STRBUF_INIT;
    assert_int_equal(cw_host_reload(h, &errors), CW_ESCRIPT);
    assert_non_null(strstr(errors.data, "may use only"));
    cw_strbuf_free(&errors);
}

static void handler_must_return_an_object(void **state)
{
    fixture *fx = *state;
    write_file(fx->content, "main.lua",
               "local chaos = require('chaos')\n"
               "chaos.on_op('list', function() return { 1, 2 } end)\n"
               "chaos.on_op('str', function() return 'x' end)\n"
               "chaos.on_op('none', function() end)\n"
               "chaos.on_op('envelope', function() return { id = 9, ok = false, error = 1, a = 1 } end)\n");
    cw_error err;
    cw_host *h = start(fx, &err);
    assert_non_null(h);
    assert_string_equal(call(h, "list", "{}"), "ERR:internal");
    assert_string_equal(call(h, "str", "{}"), "ERR:internal");
    assert_string_equal(call(h, "none", "{}"), "{}");
    assert_string_equal(call(h, "envelope", "{}"), "{\"a\":1}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(first_generation_answers_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_become_codes_and_the_host_carries_on, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_content_fails_with_every_error, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_reload_keeps_live_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(accepted_reload_swaps_and_old_timers_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(reserved_ops_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(handler_must_return_an_object, setup, teardown),
        cmocka_unit_test_setup_teardown(answers_do_not_escape_slashes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
