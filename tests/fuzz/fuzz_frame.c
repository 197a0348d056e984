/* fuzz_frame.c — libFuzzer harness for the frame decoder and request parser.
 *
 * Input: byte 0 picks a chunk size (1..256); the rest is a byte stream fed to
 * the decoder in chunks of that size, the way a socket would deliver it. Each
 * complete payload goes through cw_request_parse. Invariants checked:
 *   - consumed <= bytes available; payload lies inside the buffer;
 *     consumed == 4 + payload_len; payload_len <= max
 *   - the frames found do not depend on the chunking (compared with decoding
 *     the whole stream at once)
 *   - a parse result is coherent: success has op and an object (or, from the
 *     `move` fast path, x and y equal bit for bit to what the full parser
 *     reads, with the same id echo); failure has
 *     a known code and an ASCII message; id_json is always valid JSON text
 *     holding a scalar.
 *
 * Build: CC=clang cmake -B build-fuzz-net -DCHAOS_FUZZ=ON -DCHAOS_TESTS=OFF
 *        cmake --build build-fuzz-net --target fuzz_frame
 * Run:   build-fuzz-net/bin/fuzz_frame -max_total_time=30 */
#include "core/io/net/frame.h"
#include "core/io/net/request.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAME 4096
#define MAX_FRAMES 4096

static void check(int ok)
{
    if (!ok) abort();
}

static void check_request(const uint8_t *p, size_t n)
{
    static const char *const codes[] = {CW_PROTO_BAD_JSON, CW_PROTO_NOT_OBJECT, CW_PROTO_MISSING_OP,
                                        CW_PROTO_BAD_FIELD, CW_PROTO_INTERNAL};
    cw_request_parsed rp;
    cw_error err;
    int rc = cw_request_parse((const char *)p, n, &rp, &err);
    if (rc == 0 && rp.req.has_xy) {
        /* the move fast path: the full parser must say the same */
        cw_request_parsed full;
        check(rp.code == NULL && rp.req.json == NULL && strcmp(rp.req.op, "move") == 0);
        check(cw_request_parse_full((const char *)p, n, &full, NULL) == 0);
        check(strcmp(full.req.op, "move") == 0 && strcmp(full.req.id_json, rp.req.id_json) == 0);
        double x = json_number_value(json_object_get(full.req.json, "x"));
        double y = json_number_value(json_object_get(full.req.json, "y"));
        check(memcmp(&x, &rp.req.x, sizeof x) == 0 && memcmp(&y, &rp.req.y, sizeof y) == 0);
        cw_request_release(&full);
    } else if (rc == 0) {
        check(rp.code == NULL && rp.req.op != NULL && json_is_object((json_t *)rp.req.json));
    } else {
        int known = 0;
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
            known |= rp.code && strcmp(rp.code, codes[i]) == 0;
        check(known);
        for (const char *m = err.msg; *m; m++)
            check((unsigned char)*m >= 0x20 && (unsigned char)*m < 0x80);
    }
    check(rp.req.id_json != NULL);
    json_t *id = json_loads(rp.req.id_json, JSON_DECODE_ANY, NULL);
    check(id != NULL && !json_is_object(id) && !json_is_array(id));
    json_decref(id);
    cw_request_release(&rp);
}

/* Decodes every complete frame in buf; returns the stream offset where it
 * stopped (TOO_LARGE stops for good: *dead set). Records frame ends. */
static size_t decode_all(const uint8_t *buf, size_t len, size_t base, size_t *ends, int *nends,
                         int *dead, int parse)
{
    size_t pos = 0;
    for (;;) {
        const uint8_t *p;
        size_t plen, used;
        int rc = cw_frame_decode(buf + pos, len - pos, MAX_FRAME, &p, &plen, &used);
        if (rc == CW_FRAME_NEED_MORE) {
            check(p == NULL && used == 0);
            break;
        }
        if (rc == CW_FRAME_TOO_LARGE) {
            check(plen > MAX_FRAME && used == 0);
            *dead = 1;
            break;
        }
        check(rc == CW_FRAME_OK);
        check(used <= len - pos && used == 4 + plen && plen <= MAX_FRAME);
        check(p >= buf + pos && p + plen <= buf + len);
        if (parse) check_request(p, plen);
        pos += used;
        if (*nends < MAX_FRAMES) ends[(*nends)++] = base + pos;
    }
    return pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t chunk = (size_t)data[0] + 1;
    const uint8_t *s = data + 1;
    size_t n = size - 1;

    /* reference: the whole stream at once */
    static size_t ref_ends[MAX_FRAMES], ends[MAX_FRAMES];
    int ref_n = 0, ref_dead = 0;
    decode_all(s, n, 0, ref_ends, &ref_n, &ref_dead, 0);

    /* chunked, through an accumulation buffer like a connection's input */
    uint8_t *acc = malloc(n + 1);
    size_t acc_len = 0, base = 0;
    int got_n = 0, dead = 0;
    for (size_t off = 0; off < n && !dead; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        memcpy(acc + acc_len, s + off, k);
        acc_len += k;
        size_t used = decode_all(acc, acc_len, base, ends, &got_n, &dead, 1);
        memmove(acc, acc + used, acc_len - used);
        acc_len -= used;
        base += used;
    }
    free(acc);
    check(got_n == ref_n && dead == ref_dead);
    for (int i = 0; i < got_n; i++)
        check(ends[i] == ref_ends[i]);
    return 0;
}
