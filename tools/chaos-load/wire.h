/* wire.h — chaos-load's hot-path frame writers: ping and move frames built
 * with integer formatting (no printf), and the 1/100 rounding of positions.
 *
 * A frame is the 4-byte big-endian length followed by the JSON text; the
 * writers fill a caller's buffer of at least LW_FRAME_MAX bytes and return
 * the frame's whole length. Positions travel in hundredths ("cents") like
 * the server's own events; lw_cents_toward rounds toward the current
 * position, so a rounded step is never longer than the step asked for.
 * Pure functions: no state, no allocation, no errors. */
#ifndef CW_TOOLS_LOAD_WIRE_H
#define CW_TOOLS_LOAD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define LW_FRAME_MAX 128

/* Decimal digits of v at p; returns their count (at most 20). */
size_t lw_u64(char *p, uint64_t v);
/* cents / 100 as a JSON number at p ("-12.3", "7", "0.05"); returns its
 * length (at most 22). */
size_t lw_cents(char *p, int64_t cents);
/* v * 100 rounded to the nearest integer (halves away from zero). */
int64_t lw_cents_near(double v);
/* v * 100 rounded toward `from` (a position in cents): the result lies
 * between from and v * 100, so |result - from| <= |v * 100 - from|. */
int64_t lw_cents_toward(double v, int64_t from);
/* v on the 1/100 grid (the double nearest to lw_cents_near(v) / 100, as a
 * JSON parser reads the text lw_cents writes). */
static inline double lw_grid(double v)
{
    return (double)lw_cents_near(v) / 100.0;
}
/* {"op":"ping","id":<id>} as a frame at f. */
size_t lw_ping(uint8_t *f, uint64_t id);
/* {"op":"move","id":<id>,"x":<xc/100>,"y":<yc/100>} as a frame at f. */
size_t lw_move(uint8_t *f, uint64_t id, int64_t xc, int64_t yc);

#endif
