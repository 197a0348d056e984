/* test_request.c — payload → request: every error code, every id kind. */
#include "core/io/net/request.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Parses s and checks code (NULL = success) and the echoed id. */
static void check(const char *s, size_t len, const char *code, const char *id_json)
{
    cw_request_parsed rp;
    cw_error err = {0};
    int rc = cw_request_parse(s, len, &rp, &err);
    if (!code) {
        if (rc != 0) fail_msg("%s: unexpected %s (%s)", s, rp.code, err.msg);
        assert_null(rp.code);
        assert_non_null(rp.req.op);
        assert_non_null(rp.req.json);
        assert_true(json_is_object((json_t *)rp.req.json));
    } else {
        assert_int_equal(rc, CW_EINVAL);
        assert_non_null(rp.code);
        if (strcmp(rp.code, code) != 0)
            fail_msg("%s: expected %s, got %s (%s)", s, code, rp.code, err.msg);
        assert_true(err.msg[0] != '\0');
        for (const char *m = err.msg; *m; m++)
            assert_true((unsigned char)*m >= 0x20 && (unsigned char)*m < 0x80);
    }
    assert_string_equal(rp.req.id_json, id_json);
    assert_ptr_equal(rp.req.payload, s);
    assert_int_equal(rp.req.len, len);
    cw_request_release(&rp);
    cw_request_release(&rp); /* idempotent */
}

#define CHECK(lit, code, id) check(lit, sizeof(lit) - 1, code, id)

static void test_ok_and_op(void **state)
{
    (void)state;
    const char *s = "{\"op\":\"ping\",\"id\":7,\"x\":[1,{\"y\":2}]}";
    cw_request_parsed rp;
    assert_int_equal(cw_request_parse(s, strlen(s), &rp, NULL), 0);
    assert_string_equal(rp.req.op, "ping");
    assert_string_equal(rp.req.id_json, "7");
    json_t *x = json_object_get(rp.req.json, "x");
    assert_true(json_is_array(x));
    cw_request_release(&rp);
    assert_null(rp.req.json);
}

static void test_id_kinds(void **state)
{
    (void)state;
    CHECK("{\"op\":\"a\",\"id\":\"abc\"}", NULL, "\"abc\"");
    CHECK("{\"op\":\"a\",\"id\":\"q\\\"\\n\\u00e9\"}", NULL, "\"q\\\"\\n\xc3\xa9\"");
    CHECK("{\"op\":\"a\",\"id\":9007199254740993}", NULL, "9007199254740993");
    CHECK("{\"op\":\"a\",\"id\":-9223372036854775808}", NULL, "-9223372036854775808");
    CHECK("{\"op\":\"a\",\"id\":9223372036854775807}", NULL, "9223372036854775807");
    CHECK("{\"op\":\"a\",\"id\":1.5}", NULL, "1.5");
    CHECK("{\"op\":\"a\",\"id\":0.1}", NULL, "0.1");
    CHECK("{\"op\":\"a\",\"id\":1e300}", NULL, "1e300");
    CHECK("{\"op\":\"a\",\"id\":2.0}", NULL, "2.0");
    CHECK("{\"op\":\"a\",\"id\":null}", NULL, "null");
    CHECK("{\"op\":\"a\",\"id\":true}", NULL, "true");
    CHECK("{\"op\":\"a\",\"id\":false}", NULL, "false");
    CHECK("{\"op\":\"a\"}", NULL, "null");
    CHECK("{\"id\":3,\"op\":\"\"}", NULL, "3"); /* empty op is the router's problem */
}

static void test_long_string_id(void **state)
{
    (void)state;
    char id[300], json[400], expect[310];
    memset(id, 'z', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    snprintf(json, sizeof json, "{\"op\":\"a\",\"id\":\"%s\"}", id);
    snprintf(expect, sizeof expect, "\"%s\"", id);
    check(json, strlen(json), NULL, expect);
}

static void test_id_rejected(void **state)
{
    (void)state;
    cw_request_parsed rp;
    cw_error err;
    const char *s = "{\"op\":\"a\",\"id\":{\"x\":1}}";
    assert_int_equal(cw_request_parse(s, strlen(s), &rp, &err), CW_EINVAL);
    assert_string_equal(rp.code, CW_PROTO_BAD_FIELD);
    assert_non_null(strstr(err.msg, "\"id\""));
    assert_string_equal(rp.req.id_json, "null");
    cw_request_release(&rp);
    CHECK("{\"op\":\"a\",\"id\":[1]}", CW_PROTO_BAD_FIELD, "null");
}

static void test_bad_json(void **state)
{
    (void)state;
    check("", 0, CW_PROTO_BAD_JSON, "null");
    check(NULL, 0, CW_PROTO_BAD_JSON, "null");
    CHECK("{", CW_PROTO_BAD_JSON, "null");
    CHECK("nope", CW_PROTO_BAD_JSON, "null");
    CHECK("{\"op\":\"a\"} x", CW_PROTO_BAD_JSON, "null");            /* trailing garbage */
    CHECK("{\"op\":\"a\",\"op\":\"b\"}", CW_PROTO_BAD_JSON, "null"); /* duplicate key */
    CHECK("{\"op\":\"\xff\"}", CW_PROTO_BAD_JSON, "null");           /* invalid UTF-8 */
    CHECK("{\"op\":\"\xc3\xa9\xff\",\"id\":1}", CW_PROTO_BAD_JSON, "null");
    CHECK("{\"op\":\"a\",\"id\":92233720368547758070}", CW_PROTO_BAD_JSON, "null");
    CHECK("{\"op\":\"a\\u0000b\"}", CW_PROTO_BAD_JSON, "null"); /* NUL inside a string */
    CHECK("{'op':'a'}", CW_PROTO_BAD_JSON, "null");
    CHECK("{\"op\":NaN}", CW_PROTO_BAD_JSON, "null");
}

static void test_bad_json_message_is_ascii(void **state)
{
    (void)state;
    cw_request_parsed rp;
    cw_error err;
    const char *s = "{\"op\":\xc3\xa9\xc3\xa9}";
    assert_int_equal(cw_request_parse(s, strlen(s), &rp, &err), CW_EINVAL);
    assert_string_equal(rp.code, CW_PROTO_BAD_JSON);
    assert_non_null(strstr(err.msg, "invalid JSON"));
    for (const char *m = err.msg; *m; m++)
        assert_true((unsigned char)*m < 0x80);
    cw_request_release(&rp);
}

static void test_not_object(void **state)
{
    (void)state;
    CHECK("[1,2]", CW_PROTO_NOT_OBJECT, "null");
    CHECK("\"op\"", CW_PROTO_NOT_OBJECT, "null");
    CHECK("42", CW_PROTO_NOT_OBJECT, "null");
    CHECK("null", CW_PROTO_NOT_OBJECT, "null");
}

static void test_missing_op_echoes_id(void **state)
{
    (void)state;
    CHECK("{\"id\":5}", CW_PROTO_MISSING_OP, "5");
    CHECK("{}", CW_PROTO_MISSING_OP, "null");
    CHECK("{\"id\":\"r1\",\"opx\":\"a\"}", CW_PROTO_MISSING_OP, "\"r1\"");
}

static void test_op_not_string(void **state)
{
    (void)state;
    cw_request_parsed rp;
    cw_error err;
    const char *s = "{\"op\":1,\"id\":\"x\"}";
    assert_int_equal(cw_request_parse(s, strlen(s), &rp, &err), CW_EINVAL);
    assert_string_equal(rp.code, CW_PROTO_BAD_FIELD);
    assert_non_null(strstr(err.msg, "\"op\""));
    assert_string_equal(rp.req.id_json, "\"x\"");
    cw_request_release(&rp);
    CHECK("{\"op\":null,\"id\":2}", CW_PROTO_BAD_FIELD, "2");
    CHECK("{\"op\":[\"a\"]}", CW_PROTO_BAD_FIELD, "null");
}

static void test_not_nul_terminated(void **state)
{
    (void)state;
    const char buf[] = "{\"op\":\"a\",\"id\":1}GARBAGE";
    check(buf, 17, NULL, "1");
}

static void test_deep_nesting_is_bounded(void **state)
{
    (void)state;
    enum { DEPTH = 5000 };
    static char buf[2 * DEPTH + 32];
    size_t n = 0;
    n += (size_t)sprintf(buf, "{\"op\":\"a\",\"x\":");
    for (int i = 0; i < DEPTH; i++)
        buf[n++] = '[';
    for (int i = 0; i < DEPTH; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    check(buf, n, CW_PROTO_BAD_JSON, "null");
}

static void test_encode_id_small_buffer(void **state)
{
    (void)state;
    json_t *s = json_string("0123456789");
    char small[4];
    size_t need = cw_request_encode_id(s, small, sizeof small);
    assert_int_equal(need, 12);
    char big[16];
    assert_int_equal(cw_request_encode_id(s, big, sizeof big), 12);
    assert_string_equal(big, "\"0123456789\"");
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_and_op),
        cmocka_unit_test(test_id_kinds),
        cmocka_unit_test(test_long_string_id),
        cmocka_unit_test(test_id_rejected),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_bad_json_message_is_ascii),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_missing_op_echoes_id),
        cmocka_unit_test(test_op_not_string),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_deep_nesting_is_bounded),
        cmocka_unit_test(test_encode_id_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
