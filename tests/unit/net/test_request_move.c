/* test_request_move.c — the `move` fast path gives the full parser's answer:
 * over a table of tricky inputs and over random mutations of move frames,
 * cw_request_parse (fast path first) and cw_request_parse_full agree on the
 * return code, the error code, the echoed id, the op and the numbers. */
#include "core/io/net/request.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Compares both parsers on s[0..len); returns 1 when the fast path took it. */
static int same(const char *s, size_t len)
{
    cw_request_parsed a, b;
    cw_error ea = {0}, eb = {0};
    int ra = cw_request_parse(s, len, &a, &ea);
    int rb = cw_request_parse_full(s, len, &b, &eb);
    int fast = a.req.has_xy;
    if (ra != rb) fail_msg("%.*s: rc %d vs full %d", (int)len, s, ra, rb);
    if ((a.code == NULL) != (b.code == NULL) || (a.code && strcmp(a.code, b.code) != 0))
        fail_msg("%.*s: code %s vs full %s", (int)len, s, a.code ? a.code : "-",
                 b.code ? b.code : "-");
    if (a.code) assert_string_equal(ea.msg, eb.msg);
    if (strcmp(a.req.id_json, b.req.id_json) != 0)
        fail_msg("%.*s: id %s vs full %s", (int)len, s, a.req.id_json, b.req.id_json);
    assert_ptr_equal(a.req.payload, s);
    assert_int_equal(a.req.len, len);
    if (fast) {
        assert_int_equal(ra, 0);
        assert_null(a.req.json);
        assert_string_equal(a.req.op, "move");
        assert_string_equal(b.req.op, "move");
        json_t *x = json_object_get(b.req.json, "x"), *y = json_object_get(b.req.json, "y");
        assert_true(json_is_number(x) && json_is_number(y));
        double fx = json_number_value(x), fy = json_number_value(y);
        /* bit for bit: -0.0 and 0.0 differ */
        if (memcmp(&fx, &a.req.x, sizeof fx) != 0 || memcmp(&fy, &a.req.y, sizeof fy) != 0)
            fail_msg("%.*s: x,y %.17g,%.17g vs full %.17g,%.17g", (int)len, s, a.req.x, a.req.y, fx,
                     fy);
        assert_int_equal(json_object_size(b.req.json), json_object_get(b.req.json, "id") ? 4 : 3);
    } else if (ra == 0) {
        assert_non_null(a.req.json);
        assert_string_equal(a.req.op, b.req.op);
    }
    cw_request_release(&a);
    cw_request_release(&b);
    return fast;
}

#define SAME(lit) same(lit, sizeof(lit) - 1)

static void test_fast_path_taken(void **state)
{
    (void)state;
    /* chaos-load's frame and the shapes clients send */
    assert_true(SAME("{\"op\":\"move\",\"id\":17,\"x\":123.45600000000000307,\"y\":5e-05}"));
    assert_true(SAME("{\"op\":\"move\",\"x\":1,\"y\":2}"));
    assert_true(SAME("{\"x\":1.5,\"y\":-2.25,\"id\":\"a-b c\",\"op\":\"move\"}"));
    assert_true(SAME(" \t\r\n{ \"op\" : \"move\" , \"id\" : null , \"x\" : 0 , \"y\" : -0 } \n"));
    assert_true(SAME("{\"op\":\"move\",\"id\":true,\"x\":-0.0,\"y\":1E2}"));
    assert_true(SAME("{\"op\":\"move\",\"id\":false,\"x\":1e+2,\"y\":1.0e-2}"));
    assert_true(SAME("{\"op\":\"move\",\"id\":-999999999999999999,\"x\":999999999999999999,"
                     "\"y\":-999999999999999999}"));
    assert_true(SAME("{\"op\":\"move\",\"id\":\"\",\"x\":2.2250738585072014e-308,\"y\":1e308}"));
    assert_true(SAME("{\"op\":\"move\",\"id\":0,\"x\":0.1,\"y\":0.30000000000000004}"));
    assert_true(SAME("{\"op\":\"move\",\"id\":\"1234567890123456789012345678901234567890abcd\","
                     "\"x\":1,\"y\":1}"));
}

static void test_fallbacks_agree(void **state)
{
    (void)state;
    static const char *const cases[] = {
        /* duplicates: bad_json from jansson */
        "{\"op\":\"move\",\"op\":\"move\",\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"x\":1,\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":1,\"id\":2,\"x\":1,\"y\":2}",
        /* ids the fast path does not echo itself */
        "{\"op\":\"move\",\"id\":1.50,\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":-0,\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":1e3,\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":\"a\\\"b\",\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":\"\\u00e9\",\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":\"\xc3\xa9\",\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":\"\xff\",\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":\"a\x7f\",\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":\"a\tb\",\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":\"12345678901234567890123456789012345678901234567\",\"x\":1,"
        "\"y\":2}",
        "{\"op\":\"move\",\"id\":9223372036854775807,\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":9223372036854775808,\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":[1],\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":{},\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":nul,\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":truex,\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"id\":007,\"x\":1,\"y\":2}",
        /* numbers */
        "{\"op\":\"move\",\"x\":1e999,\"y\":2}",
        "{\"op\":\"move\",\"x\":-1e999,\"y\":2}",
        "{\"op\":\"move\",\"x\":1e-400,\"y\":2}",
        "{\"op\":\"move\",\"x\":9223372036854775807,\"y\":2}",
        "{\"op\":\"move\",\"x\":9223372036854775808,\"y\":2}",
        "{\"op\":\"move\",\"x\":-9223372036854775809,\"y\":2}",
        "{\"op\":\"move\",\"x\":01,\"y\":2}",
        "{\"op\":\"move\",\"x\":1.,\"y\":2}",
        "{\"op\":\"move\",\"x\":.5,\"y\":2}",
        "{\"op\":\"move\",\"x\":+1,\"y\":2}",
        "{\"op\":\"move\",\"x\":1e,\"y\":2}",
        "{\"op\":\"move\",\"x\":1e+,\"y\":2}",
        "{\"op\":\"move\",\"x\":-,\"y\":2}",
        "{\"op\":\"move\",\"x\":NaN,\"y\":2}",
        "{\"op\":\"move\",\"x\":Infinity,\"y\":2}",
        "{\"op\":\"move\",\"x\":0x10,\"y\":2}",
        "{\"op\":\"move\",\"x\":\"1\",\"y\":2}",
        "{\"op\":\"move\",\"x\":null,\"y\":2}",
        "{\"op\":\"move\",\"x\":1.000000000000000000000000000000000000000000000000000000000000001,"
        "\"y\":2}",
        /* shape */
        "{\"op\":\"move\",\"x\":1}",
        "{\"op\":\"move\",\"y\":1}",
        "{\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"x\":1,\"y\":2,\"z\":3}",
        "{\"op\":\"move\",\"x\":1,\"y\":2,}",
        "{\"op\":\"move\",,\"x\":1,\"y\":2}",
        "{\"op\":\"move\" \"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"x\":1,\"y\":2",
        "{\"op\":\"move\",\"x\":1,\"y\":2}}",
        "{\"op\":\"move\",\"x\":1,\"y\":2} x",
        "{\"op\":\"move\",\"x\":1,\"y\":2}{}",
        "[{\"op\":\"move\",\"x\":1,\"y\":2}]",
        "{\"op\":\"Move\",\"x\":1,\"y\":2}",
        "{\"op\":\"move \",\"x\":1,\"y\":2}",
        "{\"op\":\"mov\\u0065\",\"x\":1,\"y\":2}",
        "{\"o\\u0070\":\"move\",\"x\":1,\"y\":2}",
        "{\"op\":\"ping\",\"x\":1,\"y\":2}",
        "{\"op\":7,\"x\":1,\"y\":2}",
        "{'op':\"move\",\"x\":1,\"y\":2}",
        "{\"op\":\"move\",\"x\":1,\"y\":2}\f",
        "{\"op\":\"move\",\"x\":1,\"y\":2}\xc2\xa0",
        "\xef\xbb\xbf{\"op\":\"move\",\"x\":1,\"y\":2}",
        "{}",
        "{",
        "",
        " ",
        "null",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_false(same(cases[i], strlen(cases[i])));
    /* a NUL inside or right after the object */
    assert_false(SAME("{\"op\":\"move\",\"x\":1,\"y\":2}\0"));
    assert_false(SAME("{\"op\":\"move\",\"id\":\"a\0b\",\"x\":1,\"y\":2}"));
    assert_false(same(NULL, 0));
}

/* A frame cut short at every length, and every byte of a move frame replaced
 * by each of a set of bytes that matter to JSON: both parsers agree. */
static void test_mutations_agree(void **state)
{
    (void)state;
    static const char base[] = "{\"op\":\"move\",\"id\":\"r-9\",\"x\":-12.5e1,\"y\":3}";
    static const char subst[] = " \t\"\\{}[]:,.-+eE019\x01\x7f\x80\xff\0aonxyidmvtfl";
    char buf[sizeof base];
    int fast = 0;
    for (size_t n = 0; n <= sizeof base - 1; n++)
        fast += same(base, n);
    assert_int_equal(fast, 1); /* only the whole frame */
    for (size_t i = 0; i < sizeof base - 1; i++)
        for (size_t k = 0; k < sizeof subst - 1; k++) {
            memcpy(buf, base, sizeof base);
            buf[i] = subst[k];
            fast += same(buf, sizeof base - 1);
        }
    assert_true(fast > 1); /* some mutations are still plain moves (digits) */
}

/* Random frames built from move-like pieces (a small deterministic LCG). */
static void test_random_frames_agree(void **state)
{
    (void)state;
    static const char *const pieces[] = {"{",      "}",
                                         ",",      ":",
                                         "\"op\"", "\"move\"",
                                         "\"id\"", "\"x\"",
                                         "\"y\"",  "1",
                                         "-0",     "0.5",
                                         "1e308",  "1e309",
                                         "-7E-3",  " ",
                                         "\"",     "\\",
                                         "null",   "true",
                                         "\"a\"",  "123456789012345678901",
                                         "[",      "]",
                                         "\xc3",   "\"z\""};
    uint32_t r = 12345;
    char buf[256];
    int fast = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 0;
        int parts = 1 + (int)((r = r * 1103515245u + 12345u) >> 16) % 14;
        for (int p = 0; p < parts; p++) {
            r = r * 1103515245u + 12345u;
            const char *pc = pieces[(r >> 16) % (sizeof pieces / sizeof pieces[0])];
            size_t pl = strlen(pc);
            if (n + pl >= sizeof buf) break;
            memcpy(buf + n, pc, pl);
            n += pl;
        }
        fast += same(buf, n);
    }
    /* and well-formed moves with random keys order and values */
    for (int iter = 0; iter < 5000; iter++) {
        r = r * 1103515245u + 12345u;
        int order = (int)(r >> 16) % 6;
        const char *v1 = pieces[9 + (r >> 8) % 6], *v2 = pieces[9 + (r >> 20) % 6];
        int n;
        if (order < 3)
            n = snprintf(buf, sizeof buf, "{\"op\":\"move\",\"x\":%s,\"y\":%s,\"id\":%d}", v1, v2,
                         iter);
        else
            n = snprintf(buf, sizeof buf, "{\"y\":%s, \"id\":\"q%d\", \"x\":%s, \"op\":\"move\"}",
                         v2, iter, v1);
        fast += same(buf, (size_t)n);
    }
    assert_true(fast > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_path_taken),
        cmocka_unit_test(test_fallbacks_agree),
        cmocka_unit_test(test_mutations_agree),
        cmocka_unit_test(test_random_frames_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
