/* test_thread.c — background threads lower their own priority, only theirs. */
#include "core/base/thread.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

static int own_nice(void)
{
    return getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
}

typedef struct seen {
    int rc, before, after;
} seen;

static void *background(void *arg)
{
    seen *s = arg;
    s->before = own_nice();
    s->rc = cw_thread_enter_background();
    s->after = own_nice();
    return NULL;
}

static seen run_thread(void)
{
    seen s = {0, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, background, &s), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    return s;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static void test_thread_takes_the_setting(void **state)
{
    (void)state;
    int loop = own_nice();
    cw_thread_set_background_nice(7);
    assert_int_equal(cw_thread_background_nice(), 7);
    seen s = run_thread();
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.before, loop);            /* inherited */
    assert_int_equal(s.after, max_int(loop, 7)); /* never raised back above what it had */
    assert_int_equal(own_nice(), loop);          /* the calling (loop) thread is untouched */
}

static void test_setting_is_clamped_and_zero_changes_nothing(void **state)
{
    (void)state;
    cw_thread_set_background_nice(40);
    assert_int_equal(cw_thread_background_nice(), 19);
    cw_thread_set_background_nice(-5);
    assert_int_equal(cw_thread_background_nice(), 0);
    int loop = own_nice();
    seen s = run_thread();
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.after, loop);
    cw_thread_set_background_nice(10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_takes_the_setting),
        cmocka_unit_test(test_setting_is_clamped_and_zero_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
