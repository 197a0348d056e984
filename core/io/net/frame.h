/* frame.h — the frame decoder: pure, allocation-free, no sockets.
 *
 * Fed bytes as they arrive (split or batched arbitrarily), it yields complete
 * payloads. It owns nothing: the caller owns the buffer and passes it in. */
#ifndef CW_IO_NET_FRAME_H
#define CW_IO_NET_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define CW_FRAME_HEADER 4 /* bytes of big-endian length prefix */

enum {
    CW_FRAME_NEED_MORE = 0, /* not enough bytes yet */
    CW_FRAME_OK = 1,        /* *payload, *payload_len and *consumed set */
    CW_FRAME_TOO_LARGE = -1 /* the length prefix exceeds max: the stream is unusable */
};

/* Looks at the first len bytes of buf. On CW_FRAME_OK, *payload points into
 * buf, and *consumed = 4 + *payload_len. On CW_FRAME_TOO_LARGE, *payload_len
 * holds the announced length. A zero-length payload is a valid frame.
 * On CW_FRAME_NEED_MORE, *payload is NULL, *consumed is 0 and *payload_len is
 * the announced length once the 4-byte header is complete (0 before), so a
 * caller can wait for exactly 4 + *payload_len bytes. */
int cw_frame_decode(const uint8_t *buf, size_t len, size_t max, const uint8_t **payload,
                    size_t *payload_len, size_t *consumed);
/* Writes the 4-byte big-endian header for a payload of len bytes. */
void cw_frame_header(uint8_t out[4], uint32_t len);
/* Reads a 4-byte big-endian header. */
uint32_t cw_frame_read_header(const uint8_t in[4]);

#endif
