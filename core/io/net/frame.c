/* frame.c — length-prefixed frame decoding (see frame.h). */
#include "core/io/net/frame.h"

uint32_t cw_frame_read_header(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | (uint32_t)in[3];
}

void cw_frame_header(uint8_t out[4], uint32_t len)
{
    out[0] = (uint8_t)(len >> 24);
    out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
}

int cw_frame_decode(const uint8_t *buf, size_t len, size_t max, const uint8_t **payload,
                    size_t *payload_len, size_t *consumed)
{
    *payload = NULL;
    *payload_len = 0;
    *consumed = 0;
    if (len < CW_FRAME_HEADER) return CW_FRAME_NEED_MORE;
    size_t n = cw_frame_read_header(buf);
    *payload_len = n;
    if (n > max) return CW_FRAME_TOO_LARGE;
    /* n <= max and len are both size_t; compare without overflow. */
    if (len - CW_FRAME_HEADER < n) return CW_FRAME_NEED_MORE;
    *payload = buf + CW_FRAME_HEADER;
    *consumed = CW_FRAME_HEADER + n;
    return CW_FRAME_OK;
}
