/* Unit tests: core/app config file loading (Lua table → settings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/app/server.h"

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/chaos-cfg-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void nested_table_sets_keys(void **state)
{
    (void)state;
    cw_config c;
    cw_error err;
    cw_config_init(&c);
    const char *p =
        write_tmp("return { server = { name = 'eu-1' }, net = { port = 7001, rate = 2.5 },"
                  " lua = { jit = true } }\n");
    assert_int_equal(cw_config_load_lua(&c, p, &err), 0);
    assert_string_equal(c.server_name, "eu-1");
    assert_int_equal(c.net_port, 7001);
    assert_true(c.net_rate == 2.5);
    assert_int_equal(c.lua_jit, 1);
    unlink(p);
    cw_config_free(&c);
}

static void errors_name_the_problem(void **state)
{
    (void)state;
    cw_config c;
    cw_error err;
    cw_config_init(&c);
    const char *p = write_tmp("return { net = { prot = 1 } }\n");
    assert_int_equal(cw_config_load_lua(&c, p, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "net.prot"));
    unlink(p);
    p = write_tmp("return { net = { port = 'x' } }\n");
    assert_int_equal(cw_config_load_lua(&c, p, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "net.port"));
    unlink(p);
    p = write_tmp("return 5\n");
    assert_int_equal(cw_config_load_lua(&c, p, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "must return a table"));
    unlink(p);
    p = write_tmp("return {\n");
    assert_int_equal(cw_config_load_lua(&c, p, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, ":2:"));
    unlink(p);
    assert_int_equal(cw_config_load_lua(&c, "/nonexistent/x.lua", &err), CW_EINVAL);
    assert_int_equal(c.net_port, 7777);
    cw_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nested_table_sets_keys),
        cmocka_unit_test(errors_name_the_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
