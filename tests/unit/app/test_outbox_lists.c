/* test_outbox_lists.c — core/app/outbox: the dirty list (entity pointers
 * with each box's index in it, unlisted by cw_outbox_release) must never go
 * stale, and the hand-written enter/leave encodings must keep the wire's
 * bytes. Fixture in outbox_fixture.h. */
#include "tests/unit/app/outbox_fixture.h"

/* {"ev":"hit","e":id} for one player. */
static void hit(fx *f, cw_entity *to, int64_t id)
{
    char json[64];
    int len = snprintf(json, sizeof json, "{\"ev\":\"hit\",\"e\":%lld}", (long long)id);
    assert_int_equal(cw_outbox_event(f->outbox, json, (size_t)len, &to, 1), 0);
}

/* Players far apart (nobody sees anybody): only the events queued here. */
static cw_entity *lone(fx *f, int64_t ref, client *c)
{
    return add_player(f, ref, c->id, 100.0 * (double)ref, 100);
}

/* A queue kept listed by a flush (held back) moves to another index of the
 * dirty list; removing its player afterwards must unlist that index and no
 * other (a stale index would drop another player's queue), and the pending
 * count drops at once. */
static void test_release_after_relisting_unlists_the_right_queue(void **state)
{
    (void)state;
    fx f;
    cw_outbox_config cfg = {0, 0, 2, 0, 0, 0}; /* queues may wait 2 flushes */
    fx_start(&f, &cfg);
    client *c1 = client_open(&f), *c2 = client_open(&f), *c3 = client_open(&f);
    cw_entity *p1 = lone(&f, 1, c1), *p2 = lone(&f, 2, c2), *p3 = lone(&f, 3, c3);
    int64_t id1 = p1->id;

    hit(&f, p2, 20); /* listed first: index 0 */
    hit(&f, p1, 10); /* index 1 */
    hit(&f, p3, 30); /* index 2 */
    hit(&f, p3, 31);
    cw_outbox_flush_one(f.outbox, p2); /* written now; its empty box stays listed */
    expect_ev(&f, c2, "hit", 20);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);

    cw_outbox_flush(f.outbox); /* p2 unlisted; p1, p3 held: now at indexes 0 and 1 */
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c3, 20);

    assert_int_equal(cw_world_remove(f.world, id1), 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 2); /* exact at once */
    cw_outbox_flush(f.outbox);
    cw_outbox_flush(f.outbox); /* past the hold: p3's queue is written */
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_ev(&f, c3, "hit", 30);
    expect_ev(&f, c3, "hit", 31);
    expect_silence(&f, c3, 20);
    expect_silence(&f, c2, 20);

    /* p2 is listed again (a fresh index) and still written */
    hit(&f, p2, 21);
    cw_outbox_flush(f.outbox);
    cw_outbox_flush(f.outbox);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c2, "hit", 21);
    client_close(c1);
    client_close(c2);
    client_close(c3);
    fx_stop(&f);
}

/* cw_world_remove moves the last entity of the world's table into the hole:
 * the queues are found through the entities themselves, so every remaining
 * player still gets exactly its own events. */
static void test_swap_remove_keeps_queues_with_their_players(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c[4];
    cw_entity *p[4];
    for (int i = 0; i < 4; i++) {
        c[i] = client_open(&f);
        p[i] = lone(&f, i + 1, c[i]);
    }
    for (int i = 0; i < 4; i++)
        hit(&f, p[i], 100 + i);
    int64_t gone = p[1]->id;
    assert_int_equal(cw_world_remove(f.world, gone), 0); /* p[3] takes its slot */
    assert_ptr_equal(cw_world_get(f.world, p[3]->id), p[3]);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    hit(&f, p[3], 200);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_ev(&f, c[0], "hit", 100);
    expect_ev(&f, c[2], "hit", 102);
    expect_ev(&f, c[3], "hit", 103);
    expect_ev(&f, c[3], "hit", 200);
    for (int i = 0; i < 4; i++)
        if (i != 1) expect_silence(&f, c[i], 10);
    for (int i = 0; i < 4; i++)
        client_close(c[i]);
    fx_stop(&f);
}

/* A player removed while listed, then a new one added (its memory may be
 * the freed one's): the flush neither touches the freed queue nor loses the
 * newcomer's. */
static void test_removed_while_listed_then_replaced(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c1 = client_open(&f), *c2 = client_open(&f);
    cw_entity *p1 = lone(&f, 1, c1);
    hit(&f, p1, 1);
    assert_int_equal(cw_world_remove(f.world, p1->id), 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    cw_entity *p2 = lone(&f, 2, c2);
    hit(&f, p2, 2);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c2, "hit", 2);
    expect_silence(&f, c1, 20);
    client_close(c1);
    client_close(c2);
    fx_stop(&f);
}

/* Both teardown orders with queues listed (ASan checks the release of each
 * box): outbox first (fx_stop), and world first. */
static void test_teardown_with_listed_queues(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c1 = client_open(&f);
    cw_entity *p1 = lone(&f, 1, c1);
    hit(&f, p1, 1);
    client_close(c1);
    fx_stop(&f); /* the outbox, then the world (releasing p1's listed box) */

    fx_start(&f, NULL);
    c1 = client_open(&f);
    p1 = lone(&f, 1, c1);
    hit(&f, p1, 1);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    cw_world_free(f.world); /* releases the listed box: unlisted from the live outbox */
    f.world = NULL;
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    cw_outbox_flush(f.outbox); /* a NULL entry: skipped */
    client_close(c1);
    fx_stop(&f);
}

/* ---- encodings ------------------------------------------------------------------------ */

/* The encoding the server used before (printf), as the reference. */
static void reference_enter(cw_strbuf *b, const cw_entity *e, const char *kind)
{
    cw_strbuf_printf(b, "{\"ev\":\"enter\",\"e\":%lld,\"kind\":\"%s\",\"name\":", (long long)e->id,
                     kind);
    cw_strbuf_json_str(b, e->name);
    cw_strbuf_puts(b, ",\"x\":");
    cw_strbuf_coord(b, e->x);
    cw_strbuf_puts(b, ",\"y\":");
    cw_strbuf_coord(b, e->y);
    cw_strbuf_puts(b, "}");
}

static void test_enter_and_leave_bytes(void **state)
{
    (void)state;
    static const char *names[] = {"",
                                  "Aria",
                                  "quote\"back\\slash",
                                  "ctl\x01\x1f\ttab\nnl",
                                  "\xc3\xa9t\xc3\xa9",
                                  "\"",
                                  "a\\",
                                  "0123456789012345678901234567890"};
    static const struct {
        cw_ent_kind kind;
        const char *name;
    } kinds[] = {{CW_ENT_PLAYER, "player"}, {CW_ENT_MONSTER, "monster"}, {CW_ENT_NPC, "npc"}};
    static const double xs[] = {0, 1.5, 2999.994, 0.005, 123.456, 1e14, -7.25};
    int64_t ids[] = {1, 42, 9223372036854775807LL};
    cw_strbuf got = CW_STRBUF_INIT, want = CW_STRBUF_INIT;
    for (size_t n = 0; n < sizeof names / sizeof *names; n++)
        for (size_t k = 0; k < 3; k++)
            for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
                cw_entity e = {0};
                e.id = ids[(n + i) % 3];
                e.kind = kinds[k].kind;
                snprintf(e.name, sizeof e.name, "%s", names[n]);
                e.x = xs[i];
                e.y = xs[(i + 3) % (sizeof xs / sizeof *xs)];
                cw_strbuf_reset(&got);
                cw_strbuf_reset(&want);
                assert_int_equal(cw_outbox_encode_enter(&got, &e), 0);
                reference_enter(&want, &e, kinds[k].name);
                assert_int_equal(got.len, want.len);
                assert_memory_equal(got.data, want.data, got.len);
                cw_strbuf_reset(&got);
                cw_strbuf_reset(&want);
                assert_int_equal(cw_outbox_encode_leave(&got, &e), 0);
                cw_strbuf_printf(&want, "{\"ev\":\"leave\",\"e\":%lld}", (long long)e.id);
                assert_int_equal(got.len, want.len);
                assert_memory_equal(got.data, want.data, got.len);
            }
    cw_strbuf_free(&got);
    cw_strbuf_free(&want);
}

/* cw_outbox_enter / _leave frame exactly those bytes, once for every
 * player among the recipients (a monster recipient is skipped). */
static void test_enter_and_leave_on_the_wire(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c1 = client_open(&f), *c2 = client_open(&f);
    cw_entity *p1 = lone(&f, 1, c1), *p2 = lone(&f, 2, c2);
    cw_entity *m = add_monster(&f, 900, 900);
    snprintf(m->name, sizeof m->name, "Gob \"the\" \\ one");
    cw_entity *to[] = {p1, m, p2};
    assert_int_equal(cw_outbox_enter(f.outbox, m, to, 3), 0);
    assert_int_equal(cw_outbox_leave(f.outbox, m, to, 3), 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 4);
    cw_outbox_flush(f.outbox);
    cw_strbuf enter = CW_STRBUF_INIT, leave = CW_STRBUF_INIT;
    reference_enter(&enter, m, "monster");
    cw_strbuf_printf(&leave, "{\"ev\":\"leave\",\"e\":%lld}", (long long)m->id);
    client *cs[] = {c1, c2};
    for (int i = 0; i < 2; i++) {
        char got[512];
        int n = read_frame(&f, cs[i], got, sizeof got, 2000);
        assert_int_equal(n, (int)enter.len);
        assert_memory_equal(got, enter.data, enter.len);
        n = read_frame(&f, cs[i], got, sizeof got, 2000);
        assert_int_equal(n, (int)leave.len);
        assert_memory_equal(got, leave.data, leave.len);
        expect_silence(&f, cs[i], 10);
    }
    cw_strbuf_free(&enter);
    cw_strbuf_free(&leave);
    client_close(c1);
    client_close(c2);
    fx_stop(&f);
}

int main(void)
{
    cw_log_setup(CW_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_after_relisting_unlists_the_right_queue),
        cmocka_unit_test(test_swap_remove_keeps_queues_with_their_players),
        cmocka_unit_test(test_removed_while_listed_then_replaced),
        cmocka_unit_test(test_teardown_with_listed_queues),
        cmocka_unit_test(test_enter_and_leave_bytes),
        cmocka_unit_test(test_enter_and_leave_on_the_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
