/* thread.h — background threads step aside for the event loop.
 *
 * The loop thread answers players; every other thread of the process (the
 * store worker, the password-hashing pool, the content build of a reload)
 * does work nobody waits for within milliseconds. When the process runs on
 * one core (a container with one CPU, or pinned), a store transaction of
 * thousands of rows sharing that core with the loop halves the loop's speed
 * for as long as it runs. So each background thread calls
 * cw_thread_enter_background() first: it raises that thread's nice value
 * (Linux: per thread) to the process-wide setting, so the scheduler gives
 * the loop the core while it is busy and the background work its idle time,
 * without starving it (a nice 10 thread still gets about a tenth of a busy
 * core).
 *
 * The setting is process-wide, written once at start (before any
 * background thread exists) and read by each thread as it starts. Thread-
 * safe to read. */
#ifndef CW_BASE_THREAD_H
#define CW_BASE_THREAD_H

/* 0 (background threads run like the loop) .. 19; values outside are
 * clamped. Default 10. */
void cw_thread_set_background_nice(int nice);
int cw_thread_background_nice(void);

/* Lowers the calling thread's priority to the setting. 0, or CW_EIO when the
 * system refused (the thread then runs at its inherited priority; nothing
 * else changes). */
int cw_thread_enter_background(void);

#endif
