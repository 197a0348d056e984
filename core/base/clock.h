/* clock.h — time sources. Monotonic for durations and deadlines, wall clock for
 * logs. Both are plain reads: no state, no errors. */
#ifndef CW_BASE_CLOCK_H
#define CW_BASE_CLOCK_H

#include <stdint.h>

/* Monotonic nanoseconds since an arbitrary origin. */
uint64_t cw_now_ns(void);
/* Wall-clock milliseconds since the Unix epoch. */
int64_t cw_wall_ms(void);
/* Formats the wall clock as RFC 3339 UTC with milliseconds into buf (>= 32 bytes). */
void cw_wall_rfc3339(char *buf, unsigned long size);

#endif
