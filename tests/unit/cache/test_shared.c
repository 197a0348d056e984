/* test_shared.c — state servers share through cw_cache: account sessions
 * (account:<name>, claimed with the replaced entry returned, released only by
 * their owner, cleared on the owner's reconnect, stale when the owner's
 * heartbeat is gone), fixed-window counters and chat mutes. Runs against
 * $CHAOS_TEST_REDIS (started by tools/test.sh); without it only the argument
 * tests run and a SKIP line says so. Names carry the pid; the loop is pumped
 * without blocking, with generous deadlines; nothing asserts on timing. */
#define CACHE_FIXTURE_TAG "s"
#include "cache_fixture.h"

typedef struct res {
    int calls, rc;
    char value[256];
    size_t len;
} res;

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

typedef struct claim_res {
    int calls, rc, alive;
    char server[80], nonce[80];
} claim_res;

static void on_claim(void *ud, int rc, const char *server, const char *nonce, int alive)
{
    claim_res *r = ud;
    r->calls++;
    r->rc = rc;
    r->alive = alive;
    snprintf(r->server, sizeof r->server, "%s", server ? server : "");
    snprintf(r->nonce, sizeof r->nonce, "%s", nonce ? nonce : "");
}

static int claim_answered(void *ud)
{
    return ((claim_res *)ud)->calls > 0;
}

static void claim(struct event_base *base, cw_cache *c, const char *id, const char *nonce,
                  claim_res *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(cw_cache_account_claim(c, id, nonce, on_claim, r), 0);
    assert_true(pump_until(base, claim_answered, r, WAIT_MS));
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->rc, 0);
}

static void ignore_mute(void *ud, const char *name, const char *value, size_t len, int ttl_s)
{
    (void)ud;
    (void)name;
    (void)value;
    (void)len;
    (void)ttl_s;
}

/* Fire-and-forget commands are answered in order: after a lookup's answer,
 * Redis has run them. */
static void settle(struct event_base *base, cw_cache *c)
{
    res r = {0};
    assert_int_equal(cw_cache_mutes_list(c, ignore_mute, on_done, &r), 0);
    assert_int_equal(wait_rc(base, &r), 0);
}

typedef struct count_res {
    int calls, rc;
    int64_t count;
} count_res;

static void on_count(void *ud, int rc, int64_t count)
{
    count_res *r = ud;
    r->calls++;
    r->rc = rc;
    r->count = count;
}

static void test_arguments(void **state)
{
    (void)state;
    res r = {0};
    claim_res cr = {0};
    assert_int_equal(cw_cache_account_claim(NULL, "acc", "n1", on_claim, &cr), CW_EINVAL);
    assert_int_equal(cw_cache_account_release(NULL, "acc", "n1", NULL, NULL), CW_EINVAL);
    assert_int_equal(cw_cache_counter_incr(NULL, "x", 5, NULL, NULL), CW_EINVAL);
    assert_int_equal(cw_cache_mute_set(NULL, "bob", "{}", 2, 5), CW_EINVAL);
    assert_int_equal(cw_cache_mute_del(NULL, "bob"), CW_EINVAL);
    struct event_base *base = event_base_new();
    cw_error err = {0};
    cw_cache *c = cw_cache_new(base, "redis://127.0.0.1:1", "args", NULL, &err);
    assert_non_null(c);
    assert_int_equal(cw_cache_account_claim(c, "", "n1", on_claim, &cr), CW_EINVAL);
    assert_int_equal(cw_cache_account_claim(c, "acc", "", on_claim, &cr), CW_EINVAL);
    assert_int_equal(cw_cache_account_claim(c, "acc", "has space", on_claim, &cr), CW_EINVAL);
    assert_int_equal(cw_cache_account_claim(c, "acc", "n1", NULL, &cr), CW_EINVAL);
    assert_int_equal(cw_cache_account_release(c, "acc", "n1", "other server", "n2"), CW_EINVAL);
    assert_int_equal(cw_cache_account_release(c, "acc", "n1", "other", "bad nonce"), CW_EINVAL);
    assert_int_equal(cw_cache_counter_incr(c, "", 5, on_count, NULL), CW_EINVAL);
    assert_int_equal(cw_cache_mute_set(c, "bob", "", 0, 5), CW_EINVAL);
    assert_int_equal(cw_cache_mute_set(c, "bob", "{}", 2, 0), CW_EINVAL);
    assert_int_equal(cw_cache_mute_set(c, "bad\nname", "{}", 2, 5), CW_EINVAL);
    assert_int_equal(cw_cache_mutes_list(c, NULL, on_done, &r), CW_EINVAL);
    /* Good arguments while Redis is away: unavailable at once, no callback. */
    assert_int_equal(cw_cache_account_claim(c, "acc", "n1", on_claim, &cr), CW_EUNAVAIL);
    assert_int_equal(cw_cache_account_release(c, "acc", "n1", NULL, NULL), CW_EUNAVAIL);
    assert_int_equal(cw_cache_mute_set(c, "bob", "{}", 2, 5), CW_EUNAVAIL);
    assert_int_equal(cr.calls, 0);
    assert_int_equal(r.calls, 0);
    cw_cache_free(c);
    event_base_free(base);
}

static void test_account_claim(void **state)
{
    env *e = *state;
    if (!e->have) skip();
    struct event_base *base = event_base_new();
    char sa[64], sb[64], key[96], got[256], id[64];
    snprintf(sa, sizeof sa, "%s-a", e->tag);
    snprintf(sb, sizeof sb, "%s-b", e->tag);
    snprintf(id, sizeof id, "Acc_%s", e->tag); /* stored lower-cased */
    snprintf(key, sizeof key, "account:acc_%s", e->tag);
    sync_cmd(e, NULL, 0, "DEL %s", key);
    cw_cache *a = open_cache(base, e, sa), *b = open_cache(base, e, sb);
    claim_res r;
    claim(base, a, id, "na1", &r);
    assert_string_equal(r.server, ""); /* nobody had it */
    claim(base, b, id, "nb1", &r);     /* b takes over from a, which is alive */
    assert_string_equal(r.server, sa);
    assert_string_equal(r.nonce, "na1");
    assert_int_equal(r.alive, 1);
    /* a's late logout does not remove b's entry */
    assert_int_equal(cw_cache_account_release(a, id, "na1", NULL, NULL), 0);
    settle(base, a);
    sync_cmd(e, got, sizeof got, "GET %s", key);
    char want[128];
    snprintf(want, sizeof want, "%s nb1", sb);
    assert_string_equal(got, want);
    /* b undoes its claim: a's entry is back */
    assert_int_equal(cw_cache_account_release(b, id, "nb1", sa, "na1"), 0);
    settle(base, b);
    sync_cmd(e, got, sizeof got, "GET %s", key);
    snprintf(want, sizeof want, "%s na1", sa);
    assert_string_equal(got, want);
    /* a logs out: gone */
    assert_int_equal(cw_cache_account_release(a, id, "na1", NULL, NULL), 0);
    settle(base, a);
    assert_int_equal(sync_cmd(e, NULL, 0, "EXISTS %s", key), 0);
    /* an entry of a server that stopped heart-beating is reported dead */
    sync_cmd(e, NULL, 0, "SET %s %s", key, "ghost-server nx9");
    claim(base, b, id, "nb2", &r);
    assert_string_equal(r.server, "ghost-server");
    assert_string_equal(r.nonce, "nx9");
    assert_int_equal(r.alive, 0);
    /* b comes back (a new connection under its name): its old entries go */
    cw_cache_free(b);
    b = open_cache(base, e, sb);
    settle(base, b);
    assert_int_equal(sync_cmd(e, NULL, 0, "EXISTS %s", key), 0);
    cw_cache_free(a);
    cw_cache_free(b);
    event_base_free(base);
}

static int count_answered(void *ud)
{
    return ((count_res *)ud)->calls > 0;
}

static void test_counter(void **state)
{
    env *e = *state;
    if (!e->have) skip();
    struct event_base *base = event_base_new();
    char server[64], name[64], key[96];
    snprintf(server, sizeof server, "%s-cnt", e->tag);
    snprintf(name, sizeof name, "login:test:%s", e->tag);
    snprintf(key, sizeof key, "counter:%s", name);
    sync_cmd(e, NULL, 0, "DEL %s", key);
    cw_cache *c = open_cache(base, e, server);
    for (int i = 1; i <= 3; i++) {
        count_res r = {0};
        assert_int_equal(cw_cache_counter_incr(c, name, 30, on_count, &r), 0);
        assert_true(pump_until(base, count_answered, &r, WAIT_MS));
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.count, i);
    }
    long long ttl = sync_cmd(e, NULL, 0, "TTL %s", key);
    assert_true(ttl > 0 && ttl <= 30); /* the window set by the first, kept by INCR */
    sync_cmd(e, NULL, 0, "DEL %s", key);
    cw_cache_free(c);
    event_base_free(base);
}

typedef struct mute_res {
    int n, calls, rc;
    char names[4][64], values[4][64];
    int ttl[4];
} mute_res;

static void on_mute(void *ud, const char *name, const char *value, size_t len, int ttl_s)
{
    mute_res *r = ud;
    if (r->n >= 4) return;
    snprintf(r->names[r->n], 64, "%s", name);
    snprintf(r->values[r->n], 64, "%.*s", (int)len, value);
    r->ttl[r->n++] = ttl_s;
}

static void on_mutes_done(void *ud, int rc)
{
    mute_res *r = ud;
    r->calls++;
    r->rc = rc;
}

static int mutes_answered(void *ud)
{
    return ((mute_res *)ud)->calls > 0;
}

static int find_mute(const mute_res *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->names[i], name)) return i;
    return -1;
}

static void list_mutes(struct event_base *base, cw_cache *c, mute_res *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(cw_cache_mutes_list(c, on_mute, on_mutes_done, r), 0);
    assert_true(pump_until(base, mutes_answered, r, WAIT_MS));
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->rc, 0);
}

static void test_mutes(void **state)
{
    env *e = *state;
    if (!e->have) skip();
    struct event_base *base = event_base_new();
    char server[64], n1[64], n2[64], ghost[64], lower1[64];
    snprintf(server, sizeof server, "%s-mute", e->tag);
    snprintf(n1, sizeof n1, "Mia%s", e->tag);
    snprintf(lower1, sizeof lower1, "mia%s", e->tag);
    snprintf(n2, sizeof n2, "ned%s", e->tag);
    snprintf(ghost, sizeof ghost, "gus%s", e->tag);
    cw_cache *c = open_cache(base, e, server);
    assert_int_equal(cw_cache_mute_set(c, n1, "{\"r\":1}", 7, 60), 0);
    assert_int_equal(cw_cache_mute_set(c, n2, "{\"r\":2}", 7, 120), 0);
    sync_cmd(e, NULL, 0, "SADD mutes %s", ghost); /* indexed, but its key has expired */
    mute_res r;
    list_mutes(base, c, &r);
    int i = find_mute(&r, lower1); /* stored lower-cased */
    assert_true(i >= 0);
    assert_string_equal(r.values[i], "{\"r\":1}");
    assert_true(r.ttl[i] > 0 && r.ttl[i] <= 60);
    i = find_mute(&r, n2);
    assert_true(i >= 0 && r.ttl[i] > 60 && r.ttl[i] <= 120);
    assert_int_equal(find_mute(&r, ghost), -1);
    assert_int_equal(sync_cmd(e, NULL, 0, "SISMEMBER mutes %s", ghost), 0); /* dropped */
    assert_int_equal(cw_cache_mute_del(c, n1), 0);
    list_mutes(base, c, &r);
    assert_int_equal(find_mute(&r, lower1), -1);
    assert_true(find_mute(&r, n2) >= 0);
    assert_int_equal(cw_cache_mute_del(c, n2), 0);
    list_mutes(base, c, &r);
    assert_int_equal(find_mute(&r, n2), -1);
    cw_cache_free(c);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_account_claim),
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_mutes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
