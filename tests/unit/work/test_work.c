/* test_work.c — the worker pool: jobs run off the loop thread, completions
 * on it, completion order with one thread, and freeing drains everything. */
#include "core/io/work/work.h"

#include <event2/event.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct item {
    pthread_t loop, job_thread, done_thread;
    int index;
    int ran, done;
    int *order;
    int *norder;
    struct event_base *base;
    int *left;
} item;

static void job(void *arg)
{
    item *it = arg;
    it->job_thread = pthread_self();
    it->ran = 1;
}

static void done(void *arg)
{
    item *it = arg;
    it->done_thread = pthread_self();
    it->done = 1;
    it->order[(*it->norder)++] = it->index;
    if (--*it->left == 0 && it->base) event_base_loopbreak(it->base);
}

static struct event_base *new_base(void)
{
    struct event_base *b = event_base_new();
    assert_non_null(b);
    return b;
}

static void run_until_done(struct event_base *b)
{
    /* A safety timer so a bug fails the test instead of hanging it. */
    struct timeval tv = {10, 0};
    event_base_loopexit(b, &tv);
    event_base_dispatch(b);
}

static void test_off_loop_and_back(void **state)
{
    (void)state;
    struct event_base *b = new_base();
    cw_error err;
    cw_work *w = cw_work_new(b, 3, &err);
    assert_non_null(w);
    assert_int_equal(cw_work_threads(w), 3);
    enum { N = 50 };
    item items[N];
    int order[N], norder = 0, left = N;
    memset(items, 0, sizeof items);
    for (int i = 0; i < N; i++) {
        items[i] = (item){.loop = pthread_self(),
                          .index = i,
                          .order = order,
                          .norder = &norder,
                          .base = b,
                          .left = &left};
        assert_int_equal(cw_work_submit(w, job, done, &items[i]), 0);
    }
    assert_int_equal(cw_work_pending(w), N);
    run_until_done(b);
    assert_int_equal(left, 0);
    assert_int_equal(cw_work_pending(w), 0);
    for (int i = 0; i < N; i++) {
        assert_true(items[i].ran && items[i].done);
        assert_false(pthread_equal(items[i].job_thread, items[i].loop));
        assert_true(pthread_equal(items[i].done_thread, items[i].loop));
    }
    cw_work_free(w);
    event_base_free(b);
}

static void test_one_thread_keeps_order(void **state)
{
    (void)state;
    struct event_base *b = new_base();
    cw_work *w = cw_work_new(b, 1, NULL);
    assert_non_null(w);
    enum { N = 40 };
    item items[N];
    int order[N], norder = 0, left = N;
    memset(items, 0, sizeof items);
    for (int i = 0; i < N; i++) {
        items[i] = (item){.index = i, .order = order, .norder = &norder, .base = b, .left = &left};
        assert_int_equal(cw_work_submit(w, job, done, &items[i]), 0);
    }
    run_until_done(b);
    assert_int_equal(norder, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(order[i], i);
    cw_work_free(w);
    event_base_free(b);
}

static void slow_job(void *arg)
{
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    job(arg);
}

static void test_free_drains(void **state)
{
    (void)state;
    struct event_base *b = new_base();
    cw_work *w = cw_work_new(b, 2, NULL);
    enum { N = 20 };
    item items[N];
    int order[N], norder = 0, left = N;
    memset(items, 0, sizeof items);
    for (int i = 0; i < N; i++) {
        items[i] = (item){
            .loop = pthread_self(), .index = i, .order = order, .norder = &norder, .left = &left};
        assert_int_equal(cw_work_submit(w, slow_job, done, &items[i]), 0);
    }
    /* No loop ran: freeing must still run every job and every completion,
     * the completions on this thread. */
    cw_work_free(w);
    assert_int_equal(norder, N);
    for (int i = 0; i < N; i++) {
        assert_true(items[i].ran && items[i].done);
        assert_true(pthread_equal(items[i].done_thread, pthread_self()));
    }
    event_base_free(b);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct event_base *b = new_base();
    cw_error err;
    assert_null(cw_work_new(b, 0, &err));
    assert_int_equal(err.code, CW_EINVAL);
    assert_null(cw_work_new(NULL, 2, &err));
    assert_null(cw_work_new(b, CW_WORK_MAX_THREADS + 1, &err));
    assert_int_equal(cw_work_submit(NULL, job, done, NULL), CW_EINVAL);
    event_base_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_loop_and_back),
        cmocka_unit_test(test_one_thread_keeps_order),
        cmocka_unit_test(test_free_drains),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
