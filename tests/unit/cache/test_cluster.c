/* test_cluster.c — the cluster's Redis calls of cw_cache: process
 * announcements (cluster:process:<server>, with a TTL) and one-time hand-off
 * tokens (handoff:<token>: stored only if new, taken at most once). Runs
 * against $CHAOS_TEST_REDIS (started by tools/test.sh); without it only the
 * argument tests run and a SKIP line says so. Names carry the pid; the loop is
 * pumped without blocking, with generous deadlines; nothing asserts on timing. */
#define CACHE_FIXTURE_TAG "c"
#include "cache_fixture.h"

/* The TTL of key, seconds (-2 absent, -1 none). */
static long long sync_ttl(const env *e, const char *key)
{
    return sync_cmd(e, NULL, 0, "TTL %s", key);
}

typedef struct res {
    int calls, rc;
    char value[256];
    size_t len;
} res;

static void on_value(void *ud, int rc, const char *value, size_t len)
{
    res *r = ud;
    r->calls++;
    r->rc = rc;
    r->len = len;
    snprintf(r->value, sizeof r->value, "%.*s", (int)len, value ? value : "");
}

static void on_done(void *ud, int rc)
{
    res *r = ud;
    r->calls++;
    r->rc = rc;
}

static int answered(void *ud)
{
    return ((res *)ud)->calls > 0;
}

static int wait_rc(struct event_base *base, res *r)
{
    assert_true(pump_until(base, answered, r, WAIT_MS));
    assert_int_equal(r->calls, 1);
    return r->rc;
}

static int put(struct event_base *base, cw_cache *c, const char *tok, const char *v, int ttl)
{
    res r = {0};
    assert_int_equal(cw_cache_handoff_put(c, tok, v, strlen(v), ttl, on_done, &r), 0);
    return wait_rc(base, &r);
}

static int take(struct event_base *base, cw_cache *c, const char *tok, res *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(cw_cache_handoff_take(c, tok, on_value, r), 0);
    return wait_rc(base, r);
}

static void test_arguments(void **state)
{
    (void)state;
    res r = {0};
    char longtok[CW_CACHE_NAME_MAX + 2];
    memset(longtok, 'a', sizeof longtok - 1);
    longtok[sizeof longtok - 1] = '\0';
    assert_int_equal(cw_cache_cluster_announce(NULL, "{}", 2, 5), CW_EINVAL);
    assert_int_equal(cw_cache_cluster_withdraw(NULL), CW_EINVAL);
    assert_int_equal(cw_cache_cluster_process_get(NULL, "a", on_value, &r), CW_EINVAL);
    assert_int_equal(cw_cache_handoff_put(NULL, "t", "v", 1, 5, on_done, &r), CW_EINVAL);
    assert_int_equal(cw_cache_handoff_take(NULL, "t", on_value, &r), CW_EINVAL);
    /* A cache that never connects (nothing listens on port 1) still checks arguments. */
    struct event_base *base = event_base_new();
    cw_error err = {0};
    cw_cache *c = cw_cache_new(base, "redis://127.0.0.1:1", "args", NULL, &err);
    assert_non_null(c);
    assert_int_equal(cw_cache_cluster_announce(c, "{}", 0, 5), CW_EINVAL);
    assert_int_equal(cw_cache_cluster_announce(c, "{}", 2, 0), CW_EINVAL);
    assert_int_equal(cw_cache_cluster_process_get(c, "", on_value, &r), CW_EINVAL);
    assert_int_equal(cw_cache_cluster_process_get(c, "a", NULL, &r), CW_EINVAL);
    assert_int_equal(cw_cache_handoff_put(c, "", "v", 1, 5, on_done, &r), CW_EINVAL);
    assert_int_equal(cw_cache_handoff_put(c, longtok, "v", 1, 5, on_done, &r), CW_EINVAL);
    assert_int_equal(cw_cache_handoff_put(c, "t", "v", 1, 0, on_done, &r), CW_EINVAL);
    assert_int_equal(cw_cache_handoff_put(c, "t", "", 0, 5, on_done, &r), CW_EINVAL);
    assert_int_equal(cw_cache_handoff_take(c, "bad\ntoken", on_value, &r), CW_EINVAL);
    /* Good arguments while Redis is away: unavailable at once, no callback. */
    assert_int_equal(cw_cache_handoff_put(c, "t", "v", 1, 5, on_done, &r), CW_EUNAVAIL);
    assert_int_equal(cw_cache_handoff_take(c, "t", on_value, &r), CW_EUNAVAIL);
    assert_int_equal(cw_cache_cluster_process_get(c, "a", on_value, &r), CW_EUNAVAIL);
    assert_int_equal(r.calls, 0);
    cw_cache_free(c);
    event_base_free(base);
}

static void test_announce(void **state)
{
    env *e = *state;
    if (!e->have) skip();
    struct event_base *base = event_base_new();
    char server[64], key[128];
    snprintf(server, sizeof server, "%s-ann", e->tag);
    snprintf(key, sizeof key, "cluster:process:%s", server);
    cw_cache *c = open_cache(base, e, server);
    res r = {0};
    assert_int_equal(cw_cache_cluster_process_get(c, server, on_value, &r), 0);
    assert_int_equal(wait_rc(base, &r), CW_ENOTFOUND);
    const char *v = "{\"host\":\"10.0.0.1\",\"port\":7777}";
    assert_int_equal(cw_cache_cluster_announce(c, v, strlen(v), 9), 0);
    memset(&r, 0, sizeof r);
    assert_int_equal(cw_cache_cluster_process_get(c, server, on_value, &r), 0);
    assert_int_equal(wait_rc(base, &r), 0);
    assert_string_equal(r.value, v);
    assert_int_equal(r.len, strlen(v));
    long long ttl = sync_ttl(e, key);
    assert_true(ttl > 0 && ttl <= 9);
    assert_int_equal(cw_cache_cluster_withdraw(c), 0);
    memset(&r, 0, sizeof r);
    assert_int_equal(cw_cache_cluster_process_get(c, server, on_value, &r), 0);
    assert_int_equal(wait_rc(base, &r), CW_ENOTFOUND);
    cw_cache_free(c);
    event_base_free(base);
}

static void test_token_once(void **state)
{
    env *e = *state;
    if (!e->have) skip();
    struct event_base *base = event_base_new();
    char server[64], tok[64], key[128];
    snprintf(server, sizeof server, "%s-tok", e->tag);
    snprintf(tok, sizeof tok, "%s0123456789abcdef", e->tag);
    snprintf(key, sizeof key, "handoff:%s", tok);
    cw_cache *a = open_cache(base, e, server);
    snprintf(server, sizeof server, "%s-tok2", e->tag);
    cw_cache *b = open_cache(base, e, server);
    res r;
    assert_int_equal(take(base, a, tok, &r), CW_ENOTFOUND);
    assert_int_equal(put(base, a, tok, "{\"character\":7}", 30), 0);
    assert_int_equal(put(base, a, tok, "{\"character\":8}", 30), CW_EEXIST); /* never replaced */
    long long ttl = sync_ttl(e, key);
    assert_true(ttl > 0 && ttl <= 30);
    /* Two takers at once, on two connections: exactly one gets it. */
    res ra = {0}, rb = {0};
    assert_int_equal(cw_cache_handoff_take(a, tok, on_value, &ra), 0);
    assert_int_equal(cw_cache_handoff_take(b, tok, on_value, &rb), 0);
    wait_rc(base, &ra);
    wait_rc(base, &rb);
    assert_true((ra.rc == 0) != (rb.rc == 0));
    res *won = ra.rc == 0 ? &ra : &rb, *lost = ra.rc == 0 ? &rb : &ra;
    assert_string_equal(won->value, "{\"character\":7}");
    assert_int_equal(lost->rc, CW_ENOTFOUND);
    assert_int_equal(take(base, b, tok, &r), CW_ENOTFOUND);
    assert_int_equal(sync_ttl(e, key), -2); /* gone */
    cw_cache_free(a);
    cw_cache_free(b);
    event_base_free(base);
}

static void test_token_expires(void **state)
{
    env *e = *state;
    if (!e->have) skip();
    struct event_base *base = event_base_new();
    char server[64], tok[64], key[128];
    snprintf(server, sizeof server, "%s-exp", e->tag);
    snprintf(tok, sizeof tok, "%sfedcba9876543210", e->tag);
    snprintf(key, sizeof key, "handoff:%s", tok);
    cw_cache *c = open_cache(base, e, server);
    assert_int_equal(put(base, c, tok, "x", 1), 0);
    uint64_t deadline = cw_now_ns() + 10000000000ull;
    while (sync_ttl(e, key) != -2 && cw_now_ns() < deadline)
        usleep(50000);
    res r;
    assert_int_equal(take(base, c, tok, &r), CW_ENOTFOUND);
    cw_cache_free(c);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_announce),
        cmocka_unit_test(test_token_once),
        cmocka_unit_test(test_token_expires),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
