/* thread.c — see thread.h. */
#include "core/base/thread.h"

#include "core/base/err.h"

#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int background_nice = 10;

void cw_thread_set_background_nice(int nice)
{
    atomic_store(&background_nice, nice < 0 ? 0 : nice > 19 ? 19 : nice);
}

int cw_thread_background_nice(void)
{
    return atomic_load(&background_nice);
}

int cw_thread_enter_background(void)
{
    int nice = cw_thread_background_nice();
    if (nice == 0) return 0;
    /* On Linux PRIO_PROCESS with a thread id applies to that thread only. */
    id_t tid = (id_t)syscall(SYS_gettid);
    int current = getpriority(PRIO_PROCESS, tid);
    if (current >= nice) return 0; /* already at least that low */
    return setpriority(PRIO_PROCESS, tid, nice) == 0 ? 0 : CW_EIO;
}
