/* cache_fixture.h — what the cache tests that run against a shared Redis
 * have in common (included by one test file each, so everything is static):
 * the environment ($CHAOS_TEST_REDIS, a tag with the pid so parallel runs never
 * share names), a non-blocking pump with a deadline, a cache opened and
 * connected, and a blocking hiredis client to look behind the module's back.
 * Without $CHAOS_TEST_REDIS, e->have is 0 and only the argument tests run (a
 * SKIP line says so). Define CACHE_FIXTURE_TAG (a short prefix) first. */
#ifndef CW_TEST_CACHE_FIXTURE_H
#define CW_TEST_CACHE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/base/clock.h"
#include "core/io/cache/cache.h"
#include "tests/unit/cache/pump.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CACHE_FIXTURE_TAG
#error "define CACHE_FIXTURE_TAG before including cache_fixture.h"
#endif

#define WAIT_MS 10000

typedef struct env {
    int have;
    char url[256], host[128];
    int port;
    char tag[32];
} env;

static int group_setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    *state = e;
    snprintf(e->tag, sizeof e->tag, "%s%d", CACHE_FIXTURE_TAG, (int)getpid());
    const char *shared = getenv("CHAOS_TEST_REDIS");
    if (!shared || !*shared) {
        printf("SKIP: CHAOS_TEST_REDIS is unset: only the argument tests run\n");
        return 0;
    }
    if (sscanf(shared, "redis://%127[^:/]:%d", e->host, &e->port) != 2) {
        fprintf(stderr, "CHAOS_TEST_REDIS must be redis://host:port, got %s\n", shared);
        return -1;
    }
    snprintf(e->url, sizeof e->url, "redis://%s:%d", e->host, e->port);
    e->have = 1;
    return 0;
}

static int group_teardown(void **state)
{
    free(*state);
    return 0;
}

static int is_available(void *ud)
{
    return cw_cache_available(ud);
}

static cw_cache *open_cache(struct event_base *base, const env *e, const char *server)
{
    cw_error err = {0};
    cw_cache *c = cw_cache_new(base, e->url, server, NULL, &err);
    assert_non_null(c);
    assert_true(pump_until(base, is_available, c, WAIT_MS));
    return c;
}

/* A blocking client, to look behind the module's back: one command, its
 * integer answer (or 1 for a string/status, 0 for nil), the string in out. */
static long long sync_cmd(const env *e, char *out, size_t cap, const char *fmt, ...)
{
    struct timeval tv = {5, 0};
    redisContext *rc = redisConnectWithTimeout(e->host, e->port, tv);
    assert_non_null(rc);
    assert_int_equal(rc->err, 0);
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(rc, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    long long v = 0;
    if (out) out[0] = '\0';
    if (r->type == REDIS_REPLY_INTEGER) v = r->integer;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
        v = 1;
        if (out) snprintf(out, cap, "%s", r->str);
    }
    assert_true(r->type != REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(rc);
    return v;
}

#endif
