/* test_jsonvalid.c — cw_json_object_valid: JSON objects every reader of a
 * character document accepts, and the texts it must refuse. */
#include "core/base/jsonvalid.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static int valid(const char *s)
{
    return cw_json_object_valid(s, strlen(s)) == 0;
}

static void test_accepts(void **state)
{
    (void)state;
    const char *ok[] = {
        "{}",
        " \t\r\n{ }\n",
        "{\"a\":1}",
        "{\"\":\"\"}",
        "{\"a\":[1,-0,0.5,-2.5e-3,1E+2,true,false,null,{},[]]}",
        "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
        "{\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", /* é € 😀 */
        "{\"i\":9223372036854775807,\"j\":-9223372036854775808}",
        "{\"r\":1e308,\"tiny\":1e-400}",
        "{\"a\":1,\"a\":2}", /* duplicate keys: every reader takes one */
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!valid(ok[i])) fail_msg("refused: %s", ok[i]);
}

static void test_refuses(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "   ",
        "[]",
        "\"x\"",
        "1",
        "null",
        "{",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{\"a\":1}{}",
        "{\"a\":1} x",
        "{a:1}",
        "{'a':1}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":1e}",
        "{\"a\":+1}",
        "{\"a\":-}",
        "{\"a\":0x10}",
        "{\"a\":NaN}",
        "{\"a\":Infinity}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":9223372036854775808}", /* integer beyond int64 */
        "{\"a\":-9223372036854775809}",
        "{\"a\":1e309}",       /* double overflow */
        "{\"a\":\"\\u0000\"}", /* NUL */
        "{\"a\":\"\\ud800\"}", /* lone high surrogate */
        "{\"a\":\"\\ud800x\"}",
        "{\"a\":\"\\ud800\\u0041\"}", /* not followed by a low half */
        "{\"a\":\"\\udc00\"}",        /* lone low surrogate */
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\x41\"}",
        "{\"a\":\"tab\there\"}",        /* raw control character */
        "{\"a\":\"\xc0\xaf\"}",         /* overlong */
        "{\"a\":\"\xe0\x80\xaf\"}",     /* overlong */
        "{\"a\":\"\xed\xa0\x80\"}",     /* UTF-8 encoded surrogate */
        "{\"a\":\"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
        "{\"a\":\"\xff\"}",
        "{\"a\":\"\x80\"}",
        "{\"a\":\"\xc3\"}", /* cut short */
        "{\"a\":\"unterminated}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (valid(bad[i])) fail_msg("accepted: %s", bad[i]);
    assert_int_equal(cw_json_object_valid(NULL, 0), CW_EINVAL);
    /* a NUL byte inside the length is refused; the length bounds the read */
    assert_int_equal(cw_json_object_valid("{\"a\":\"\0\"}", 8), CW_EINVAL);
    assert_int_equal(cw_json_object_valid("{}garbage", 2), 0);
    assert_int_equal(cw_json_object_valid("{\"a\":1}", 6), CW_EINVAL);
}

static void test_depth_and_long_numbers(void **state)
{
    (void)state;
    char buf[1200];
    /* CW_JSON_DEPTH_MAX levels in all (the object counts): fine; one more: refused */
    for (int depth = CW_JSON_DEPTH_MAX; depth <= CW_JSON_DEPTH_MAX + 1; depth++) {
        size_t n = 0;
        buf[n++] = '{';
        memcpy(buf + n, "\"a\":", 4);
        n += 4;
        for (int i = 1; i < depth; i++)
            buf[n++] = '[';
        for (int i = 1; i < depth; i++)
            buf[n++] = ']';
        if (depth == 1) buf[n++] = '1';
        buf[n++] = '}';
        assert_int_equal(cw_json_object_valid(buf, n) == 0, depth <= CW_JSON_DEPTH_MAX);
    }
    /* a fraction with many digits is a number like any other, up to a bound */
    snprintf(buf, sizeof buf, "{\"a\":0.%0400d1}", 0);
    assert_true(valid(buf));
    snprintf(buf, sizeof buf, "{\"a\":0.%01000d1}", 0);
    assert_false(valid(buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_depth_and_long_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
