/* test_fdlimit.c — fitting max_connections to RLIMIT_NOFILE.
 *
 * cw_fdlimit_apply changes the process's limits; the test that lowers the
 * hard limit (which cannot be undone without privileges) runs in a child. */
#include "core/base/err.h"
#include "core/base/fdlimit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static void test_fit(void **state)
{
    (void)state;
    assert_int_equal(cw_fdlimit_fit(20000, 64, 20000), 19936);
    assert_int_equal(cw_fdlimit_fit(20000, 64, 256), 192);
    assert_int_equal(cw_fdlimit_fit(100, 64, 65536), 100);
    assert_int_equal(cw_fdlimit_fit(100, 64, -1), 100); /* unlimited */
    assert_int_equal(cw_fdlimit_fit(100, 64, 64), 0);
    assert_int_equal(cw_fdlimit_fit(100, 64, 10), 0);
    assert_int_equal(cw_fdlimit_fit(100, 0, 50), 50);
    assert_int_equal(cw_fdlimit_fit(100, -5, 50), 50);
    assert_int_equal(cw_fdlimit_fit(-1, 64, 1000), 0);
    assert_int_equal(cw_fdlimit_fit(2000000000, 0, 5000000000LL), 2000000000);
}

/* A soft limit below the hard one is raised to it. */
static void test_apply_raises_the_soft_limit(void **state)
{
    (void)state;
    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 300) skip();
    struct rlimit low = {200, saved.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    cw_fdlimit fl;
    assert_int_equal(cw_fdlimit_apply(100, 64, &fl), 0);
    assert_int_equal(fl.soft_before, 200);
    assert_true(fl.soft > 200);
    struct rlimit now;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
    assert_int_equal(fl.soft, now.rlim_cur == RLIM_INFINITY ? -1 : (long long)now.rlim_cur);
    assert_int_equal(fl.max_connections, 100);
    assert_false(fl.lowered);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

/* In a child: hard limit 300 → 20000 wanted becomes 236, lowered. */
static void test_apply_lowers_when_the_hard_limit_is_small(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {100, 300};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(10);
        cw_fdlimit fl;
        if (cw_fdlimit_apply(20000, 64, &fl) != 0) _exit(11);
        if (fl.soft_before != 100 || fl.soft != 300 || fl.hard != 300) _exit(12);
        if (fl.max_connections != 236 || !fl.lowered) _exit(13);
        /* Nothing fits under a reserve as big as the limit. */
        if (cw_fdlimit_apply(20000, 300, &fl) != CW_ELIMIT || fl.max_connections != 0) _exit(14);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_apply_raises_the_soft_limit),
        cmocka_unit_test(test_apply_lowers_when_the_hard_limit_is_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
