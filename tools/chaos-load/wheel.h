/* wheel.h — chaos-load's timing wheel: every open-loop send and every
 * fighter's attack waits here instead of in a libevent timer of its own.
 *
 * Time is cut into slots of a fixed width (ns); a node is due at a slot
 * boundary (cw_wheel_round rounds a time UP to one, so nothing waits less
 * than asked). The wheel holds 2^k slot lists; a node due further ahead
 * than one revolution sits in its slot until the revolution that reaches
 * it (it is skipped, not fired, on the earlier ones). The caller drives it
 * with one timer: cw_wheel_next says when the earliest non-empty slot
 * begins, cw_wheel_run fires every node due at or before now.
 *
 * Ownership: the wheel owns its slot arrays; nodes are embedded in the
 * caller's structures and only linked here (a node must stay alive while
 * queued; cw_wheel_free does not touch nodes). Single-threaded.
 * Errors: cw_wheel_init returns 0, or -1 when out of memory or the sizes
 * are bad (width 0, slots not a power of two). */
#ifndef CW_TOOLS_LOAD_WHEEL_H
#define CW_TOOLS_LOAD_WHEEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct cw_wnode {
    struct cw_wnode *next;
    uint64_t due; /* ns, a slot boundary */
    int queued;   /* 1 while linked in a wheel */
    int kind;     /* the caller's tag (which embedded node this is) */
} cw_wnode;

typedef struct cw_wheel {
    uint64_t width; /* ns per slot */
    uint32_t mask;  /* slots - 1 */
    uint64_t cur;   /* absolute index of the first slot not yet run */
    cw_wnode **slot;
    uint64_t *bits; /* 1 bit per non-empty slot */
    size_t count;   /* nodes queued */
} cw_wheel;

int cw_wheel_init(cw_wheel *w, uint64_t width_ns, uint32_t slots, uint64_t now_ns);
void cw_wheel_free(cw_wheel *w);
/* t rounded up to the next slot boundary (t itself when it is one). */
uint64_t cw_wheel_round(const cw_wheel *w, uint64_t t);
/* Queues n, due at `due` (a slot boundary; a due already run is put in the
 * first slot not yet run). n must not be queued. */
void cw_wheel_add(cw_wheel *w, cw_wnode *n, uint64_t due);
/* Fires, in slot order, every node with due <= now: unlinks it, then calls
 * fire(n, ud), which may queue nodes again (n included). Returns how many
 * fired. Never fires a node before its due time. */
size_t cw_wheel_run(cw_wheel *w, uint64_t now, void (*fire)(cw_wnode *n, void *ud), void *ud);
/* The start of the earliest non-empty slot not yet run; UINT64_MAX when
 * nothing is queued. */
uint64_t cw_wheel_next(const cw_wheel *w);

#endif
