/* test_frame.c — the pure frame decoder. */
#include "core/io/net/frame.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static size_t put_frame(uint8_t *out, const char *payload, size_t len)
{
    cw_frame_header(out, (uint32_t)len);
    memcpy(out + 4, payload, len);
    return 4 + len;
}

static void test_header_roundtrip(void **state)
{
    (void)state;
    uint8_t h[4];
    cw_frame_header(h, 0x01020304u);
    assert_int_equal(h[0], 1);
    assert_int_equal(h[1], 2);
    assert_int_equal(h[2], 3);
    assert_int_equal(h[3], 4);
    assert_int_equal(cw_frame_read_header(h), 0x01020304u);
    cw_frame_header(h, 0xFFFFFFFFu);
    assert_int_equal(cw_frame_read_header(h), 0xFFFFFFFFu);
}

static void test_short_header_needs_more(void **state)
{
    (void)state;
    const uint8_t buf[3] = {0, 0, 0};
    const uint8_t *p = (const uint8_t *)1;
    size_t plen = 99, used = 99;
    for (size_t len = 0; len < 4; len++) {
        assert_int_equal(cw_frame_decode(buf, len, 100, &p, &plen, &used), CW_FRAME_NEED_MORE);
        assert_null(p);
        assert_int_equal(plen, 0);
        assert_int_equal(used, 0);
    }
}

static void test_zero_length(void **state)
{
    (void)state;
    const uint8_t buf[5] = {0, 0, 0, 0, 'x'};
    const uint8_t *p;
    size_t plen, used;
    assert_int_equal(cw_frame_decode(buf, 5, 100, &p, &plen, &used), CW_FRAME_OK);
    assert_int_equal(plen, 0);
    assert_int_equal(used, 4);
    assert_ptr_equal(p, buf + 4);
    /* even with max 0 a zero-length frame is fine */
    assert_int_equal(cw_frame_decode(buf, 4, 0, &p, &plen, &used), CW_FRAME_OK);
}

static void test_exact_max_and_max_plus_one(void **state)
{
    (void)state;
    enum { MAX = 1000 };
    static uint8_t buf[4 + MAX + 1];
    memset(buf + 4, 'a', MAX + 1);
    const uint8_t *p;
    size_t plen, used;
    cw_frame_header(buf, MAX);
    assert_int_equal(cw_frame_decode(buf, 4 + MAX, MAX, &p, &plen, &used), CW_FRAME_OK);
    assert_int_equal(plen, MAX);
    assert_int_equal(used, 4 + MAX);
    /* one byte short of the payload */
    assert_int_equal(cw_frame_decode(buf, 4 + MAX - 1, MAX, &p, &plen, &used), CW_FRAME_NEED_MORE);
    assert_int_equal(plen, MAX); /* announced length already known */
    cw_frame_header(buf, MAX + 1);
    /* too large is reported as soon as the header is complete */
    assert_int_equal(cw_frame_decode(buf, 4, MAX, &p, &plen, &used), CW_FRAME_TOO_LARGE);
    assert_int_equal(plen, MAX + 1);
    assert_int_equal(used, 0);
}

static void test_max_length_prefix(void **state)
{
    (void)state;
    const uint8_t buf[6] = {0xFF, 0xFF, 0xFF, 0xFF, 1, 2};
    const uint8_t *p;
    size_t plen, used;
    assert_int_equal(cw_frame_decode(buf, 6, 65536, &p, &plen, &used), CW_FRAME_TOO_LARGE);
    assert_int_equal(plen, 0xFFFFFFFFu);
    /* with an unbounded max it must wait, not overflow */
    assert_int_equal(cw_frame_decode(buf, 6, SIZE_MAX, &p, &plen, &used), CW_FRAME_NEED_MORE);
    assert_int_equal(plen, 0xFFFFFFFFu);
    assert_null(p);
}

/* Feeds a stream one byte at a time, like a reader that gets 1-byte reads. */
static void test_split_byte_by_byte(void **state)
{
    (void)state;
    uint8_t stream[64];
    size_t total = put_frame(stream, "{\"op\":\"ping\"}", 13);
    const uint8_t *p;
    size_t plen, used;
    for (size_t have = 0; have < total; have++)
        assert_int_equal(cw_frame_decode(stream, have, 100, &p, &plen, &used), CW_FRAME_NEED_MORE);
    assert_int_equal(cw_frame_decode(stream, total, 100, &p, &plen, &used), CW_FRAME_OK);
    assert_int_equal(plen, 13);
    assert_memory_equal(p, "{\"op\":\"ping\"}", 13);
}

static void test_many_frames_in_one_buffer(void **state)
{
    (void)state;
    static uint8_t buf[100 * (4 + 100)];
    char payload[100];
    size_t off = 0;
    for (int i = 0; i < 100; i++) {
        memset(payload, 'a' + i % 26, (size_t)i);
        off += put_frame(buf + off, payload, (size_t)i);
    }
    size_t pos = 0;
    int frames = 0;
    for (;;) {
        const uint8_t *p;
        size_t plen, used;
        int rc = cw_frame_decode(buf + pos, off - pos, 1000, &p, &plen, &used);
        if (rc == CW_FRAME_NEED_MORE) break;
        assert_int_equal(rc, CW_FRAME_OK);
        assert_int_equal(plen, (size_t)frames);
        for (size_t k = 0; k < plen; k++)
            assert_int_equal(p[k], 'a' + frames % 26);
        assert_true(p + plen <= buf + off);
        pos += used;
        frames++;
    }
    assert_int_equal(frames, 100);
    assert_int_equal(pos, off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_roundtrip),
        cmocka_unit_test(test_short_header_needs_more),
        cmocka_unit_test(test_zero_length),
        cmocka_unit_test(test_exact_max_and_max_plus_one),
        cmocka_unit_test(test_max_length_prefix),
        cmocka_unit_test(test_split_byte_by_byte),
        cmocka_unit_test(test_many_frames_in_one_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
