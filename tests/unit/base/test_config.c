/* Unit tests: core/base/config — defaults, typed parsing, ranges, environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "core/base/config.h"

static void defaults_are_documented_values(void **state)
{
    (void)state;
    cw_config c;
    assert_int_equal(cw_config_init(&c), 0);
    assert_int_equal(c.net_port, 7777);
    assert_int_equal(c.admin_port, 7778);
    assert_int_equal(c.http_port, 7780);
    assert_int_equal(c.net_max_frame, 65536);
    assert_string_equal(c.net_host, "127.0.0.1");
    assert_int_equal(c.lua_budget_ms, 50);
    assert_int_equal(c.lua_jit, 0);
    /* world events ride on the player's replies for up to 200 ms; crowds thinned
     * beyond the 32 nearest (docs/performance.md, "Capacity") */
    assert_int_equal(c.world_event_delay_ms, 200);
    assert_int_equal(c.world_interest_full, 32);
    assert_int_equal(c.world_interest_far_ms, 1000);
    assert_int_equal(c.world_interest_cap, 32);
    cw_config_free(&c);
}

static void set_parses_each_type(void **state)
{
    (void)state;
    cw_config c;
    cw_error err;
    cw_config_init(&c);
    assert_int_equal(cw_config_set(&c, "net.port", "9000", &err), 0);
    assert_int_equal(c.net_port, 9000);
    assert_int_equal(cw_config_set(&c, "net.rate", "12.5", &err), 0);
    assert_true(c.net_rate == 12.5);
    assert_int_equal(cw_config_set(&c, "lua.jit", "true", &err), 0);
    assert_int_equal(c.lua_jit, 1);
    assert_int_equal(cw_config_set(&c, "server.name", "eu-1", &err), 0);
    assert_string_equal(c.server_name, "eu-1");
    assert_int_equal(cw_config_set(&c, "server.seed", "123456789012", &err), 0);
    assert_true(c.seed == 123456789012LL);
    char buf[64];
    assert_int_equal(cw_config_get(&c, "net.port", buf, sizeof buf), 0);
    assert_string_equal(buf, "9000");
    cw_config_free(&c);
}

static void bad_values_are_refused_and_leave_config_unchanged(void **state)
{
    (void)state;
    cw_config c;
    cw_error err;
    cw_config_init(&c);
    assert_int_equal(cw_config_set(&c, "net.port", "70000", &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "net.port"));
    assert_int_equal(cw_config_set(&c, "net.port", "12abc", &err), CW_EINVAL);
    assert_int_equal(cw_config_set(&c, "net.port", "", &err), CW_EINVAL);
    assert_int_equal(cw_config_set(&c, "net.rate", "nan", &err), CW_EINVAL);
    assert_int_equal(cw_config_set(&c, "net.rate", "-1", &err), CW_EINVAL);
    assert_int_equal(cw_config_set(&c, "lua.jit", "maybe", &err), CW_EINVAL);
    assert_int_equal(cw_config_set(&c, "no.such.key", "1", &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "no.such.key"));
    assert_int_equal(c.net_port, 7777);
    assert_int_equal(c.lua_jit, 0);
    cw_config_free(&c);
}

static void environment_overrides_and_typos_fail(void **state)
{
    (void)state;
    cw_config c;
    cw_error err;
    cw_config_init(&c);
    char *env[] = {"HOME=/root", "CHAOS_NET_PORT=7001", "CHAOS_LUA_BUDGET_MS=20", "CHAOS_CONFIG=/x",
                   NULL};
    const char *ignore[] = {"CHAOS_CONFIG", NULL};
    cw_strbuf unknown = CW_STRBUF_INIT;
    assert_int_equal(cw_config_apply_env(&c, env, ignore, &unknown, &err), 0);
    assert_int_equal(c.net_port, 7001);
    assert_int_equal(c.lua_budget_ms, 20);
    assert_int_equal(unknown.len, 0);
    char *typo[] = {"CHAOS_NET_PROT=1", "CHAOS_LOG_LEVEL=warn", "CHAOS_X=2", NULL};
    assert_int_equal(cw_config_apply_env(&c, typo, ignore, &unknown, &err), 0);
    assert_string_equal(unknown.data, "CHAOS_NET_PROT CHAOS_X");
    assert_string_equal(c.log_level, "warn");
    cw_strbuf_free(&unknown);
    char *bad[] = {"CHAOS_NET_PORT=-5", NULL};
    assert_int_equal(cw_config_apply_env(&c, bad, ignore, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "net.port"));
    assert_int_equal(c.net_port, 7001);
    cw_config_free(&c);
}

static void every_key_has_help_and_valid_default(void **state)
{
    (void)state;
    cw_config c;
    cw_config_init(&c);
    for (int i = 0; i < cw_config_nkeys; i++) {
        const cw_config_key *k = &cw_config_keys[i];
        assert_non_null(k->help);
        assert_true(strlen(k->help) > 10);
        cw_error err;
        assert_int_equal(cw_config_set(&c, k->key, k->def, &err), 0);
        assert_ptr_equal(cw_config_find(k->key), k);
    }
    cw_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_documented_values),
        cmocka_unit_test(set_parses_each_type),
        cmocka_unit_test(bad_values_are_refused_and_leave_config_unchanged),
        cmocka_unit_test(environment_overrides_and_typos_fail),
        cmocka_unit_test(every_key_has_help_and_valid_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
