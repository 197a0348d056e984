/* test_text.c — the text policy (core/base/text.h): each rule accepts what it
 * should and refuses what it should, at byte level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "core/base/text.h"

static cw_text_verdict check(const char *s)
{
    return cw_text_check(s, strlen(s), 256);
}

static void test_accepts_ordinary_text(void **st)
{
    (void)st;
    assert_int_equal(check("hello"), CW_TEXT_OK);
    assert_int_equal(check("  padded words  "), CW_TEXT_OK);
    assert_int_equal(check("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"), CW_TEXT_OK);
    /* Arabic and Hebrew text itself is fine; only the controls are not. */
    assert_int_equal(check("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"), CW_TEXT_OK);
    /* A zero-width joiner inside an emoji sequence is fine when something is visible. */
    assert_int_equal(check("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9"), CW_TEXT_OK);
}

static void test_refuses_bad_utf8(void **st)
{
    (void)st;
    assert_int_equal(check("bad\xffr"), CW_TEXT_BAD_UTF8);
    assert_int_equal(check("\xc0\xaf"), CW_TEXT_BAD_UTF8);          /* overlong '/' */
    assert_int_equal(check("\xed\xa0\x80"), CW_TEXT_BAD_UTF8);      /* a surrogate */
    assert_int_equal(check("\xf4\x90\x80\x80"), CW_TEXT_BAD_UTF8);  /* past U+10FFFF */
    assert_int_equal(check("cut \xe6\x97"), CW_TEXT_BAD_UTF8);      /* truncated */
    assert_int_equal(cw_text_check("a\0b", 3, 0), CW_TEXT_CONTROL); /* NUL inside */
}

static void test_refuses_controls(void **st)
{
    (void)st;
    assert_int_equal(check("line\nbreak"), CW_TEXT_CONTROL);
    assert_int_equal(check("tab\there"), CW_TEXT_CONTROL);
    assert_int_equal(check("\x1b[31mred"), CW_TEXT_CONTROL); /* ESC */
    assert_int_equal(check("del\x7f"), CW_TEXT_CONTROL);
    assert_int_equal(check("c1 \xc2\x9b"), CW_TEXT_CONTROL);      /* U+009B CSI */
    assert_int_equal(check("sep \xe2\x80\xa8"), CW_TEXT_CONTROL); /* U+2028 */
}

static void test_refuses_bidi_controls(void **st)
{
    (void)st;
    assert_int_equal(check("abc\xe2\x80\xae"
                           "cba"),
                     CW_TEXT_BIDI);                         /* U+202E RLO */
    assert_int_equal(check("\xe2\x81\xa6x"), CW_TEXT_BIDI); /* U+2066 LRI */
    assert_int_equal(check("\xe2\x80\x8fx"), CW_TEXT_BIDI); /* U+200F RLM */
    assert_int_equal(check("\xd8\x9cx"), CW_TEXT_BIDI);     /* U+061C ALM */
}

static void test_refuses_blank(void **st)
{
    (void)st;
    assert_int_equal(check(""), CW_TEXT_BLANK);
    assert_int_equal(check("   "), CW_TEXT_BLANK);
    assert_int_equal(check("\xe2\x80\x8b\xe2\x80\x8b"), CW_TEXT_BLANK); /* U+200B */
    assert_int_equal(check("\xc2\xa0 \xc2\xa0"), CW_TEXT_BLANK);        /* U+00A0 */
    assert_int_equal(check("\xe3\x80\x80\xef\xbb\xbf"), CW_TEXT_BLANK); /* U+3000, U+FEFF */
    assert_int_equal(check("\xe3\x85\xa4"), CW_TEXT_BLANK);             /* U+3164 filler */
}

static void test_length(void **st)
{
    (void)st;
    assert_int_equal(cw_text_check("abcd", 4, 4), CW_TEXT_OK);
    assert_int_equal(cw_text_check("abcde", 5, 4), CW_TEXT_TOO_LONG);
    assert_int_equal(cw_text_check("abcde", 5, 0), CW_TEXT_OK);
    assert_string_equal(cw_text_verdict_message(CW_TEXT_BIDI), "has direction-changing characters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_ordinary_text), cmocka_unit_test(test_refuses_bad_utf8),
        cmocka_unit_test(test_refuses_controls),      cmocka_unit_test(test_refuses_bidi_controls),
        cmocka_unit_test(test_refuses_blank),         cmocka_unit_test(test_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
