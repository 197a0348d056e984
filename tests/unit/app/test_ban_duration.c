/* Unit tests: the DURATION of the operator's `ban` (cw_ban_duration_parse),
 * and the text rule of operator-written words (cw_admin_text_arg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/app/accounts.h"

#include <string.h>

static void durations_accepted(void **state)
{
    (void)state;
    const struct {
        const char *text;
        int64_t seconds;
    } ok[] = {{"45s", 45},          {"30m", 1800}, {"12h", 43200},   {"7d", 604800}, {"1s", 1},
              {"3650d", 315360000}, {"none", 0},   {"permanent", 0}, {"0090m", 5400}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t s = -1;
        assert_int_equal(cw_ban_duration_parse(ok[i].text, &s), 0);
        assert_int_equal(s, ok[i].seconds);
    }
}

static void durations_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",     "0m",   "-1h", "+1h",   " 1h",  "1h ",   "1",
                         "h",    "1x",   "1hm", "1h30m", "1.5h", "3651d", "99999999999999999999d",
                         "None", "soon", "1H",  "1e3s",  "0x10s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t s = 77;
        if (cw_ban_duration_parse(bad[i], &s) != CW_EINVAL) fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(s, 77); /* untouched */
    }
    int64_t s;
    assert_int_equal(cw_ban_duration_parse(NULL, &s), CW_EINVAL);
}

static void operator_text(void **state)
{
    (void)state;
    char a0[] = "kick", a1[] = "Ada", a2[] = "too", a3[] = "much", esc[] = "x\x1b[2J",
         rlo[] = "\xe2\x80\xae"
                 "evil";
    char *words[] = {a0, a1, a2, a3};
    cw_strbuf out = CW_STRBUF_INIT;
    cw_error err = {0, ""};
    assert_int_equal(cw_admin_text_arg(4, words, 2, 127, "REASON", &out, &err), 0);
    assert_string_equal(out.data, "too much");
    cw_strbuf_free(&out);
    /* No words: fine, and nothing written. */
    assert_int_equal(cw_admin_text_arg(2, words, 2, 127, "REASON", &out, &err), 0);
    assert_int_equal(out.len, 0);
    /* Too long: the limit is in bytes, after joining. */
    assert_int_equal(cw_admin_text_arg(4, words, 2, 7, "REASON", &out, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "REASON is 8 bytes: at most 7"));
    cw_strbuf_free(&out);
    char *with_esc[] = {a0, a1, esc};
    assert_int_equal(cw_admin_text_arg(3, with_esc, 2, 127, "REASON", &out, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "REASON"));
    cw_strbuf_free(&out);
    char *with_rlo[] = {a0, rlo};
    assert_int_equal(cw_admin_text_arg(2, with_rlo, 1, 512, "TEXT", &out, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "TEXT"));
    cw_strbuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_accepted),
        cmocka_unit_test(durations_refused),
        cmocka_unit_test(operator_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
