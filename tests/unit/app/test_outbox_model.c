/* test_outbox_model.c — core/app/outbox against a model: random moves,
 * enters and leaves; the client's picture must equal the world. */
#include "tests/unit/app/outbox_fixture.h"

/* Many subjects moving in and out of view at random. The client applies the
 * frames (enter only when unseen, leave and move only when seen) and, once
 * the queue is empty and everything read, its picture (who is in view,
 * where) is exactly the world's. With held_back, the client reads only in
 * some rounds, so flushes alternate between held back (coalescing, carrying
 * blobs) and written. The subjects are picked at random among many entities
 * so that their ids are scattered. */
#define NFILL 1200
#define NSUB 48

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int sees(const cw_entity *o, int64_t id)
{
    for (int i = 0; i < o->nseen; i++)
        if (o->seen[i] == id) return 1;
    return 0;
}

static void place_random(fx *f, cw_entity *e, uint64_t *seed)
{
    if (rnd(seed) % 10 < 7) /* in view of (500,500), view 50 */
        relocate(f, e, 470 + (double)(rnd(seed) % 61), 470 + (double)(rnd(seed) % 61));
    else
        relocate(f, e, 700 + (double)(rnd(seed) % 200), 600 + (double)(rnd(seed) % 150));
}

typedef struct model {
    int index_of[NFILL + 2];
    cw_entity *sub[NSUB];
    int known[NSUB];
    double kx[NSUB], ky[NSUB];
} model;

static void model_apply(model *m, const ev *v, int round)
{
    assert_true(v->e >= 2 && v->e < NFILL + 2);
    int i = m->index_of[v->e];
    if (i < 0) fail_msg("round %d: event of a non-subject: %s", round, v->raw);
    if (strcmp(v->ev, "enter") == 0) {
        if (m->known[i]) fail_msg("round %d: enter of %lld in view", round, (long long)v->e);
        assert_true(v->has_xy);
        m->known[i] = 1;
        m->kx[i] = v->x;
        m->ky[i] = v->y;
    } else if (strcmp(v->ev, "leave") == 0) {
        if (!m->known[i]) fail_msg("round %d: leave of %lld not in view", round, (long long)v->e);
        m->known[i] = 0;
    } else {
        assert_string_equal(v->ev, "move");
        if (!m->known[i]) fail_msg("round %d: move of %lld not in view", round, (long long)v->e);
        m->kx[i] = v->x;
        m->ky[i] = v->y;
    }
}

static void model_check(model *m, const cw_entity *o, int round)
{
    for (int i = 0; i < NSUB; i++) {
        const cw_entity *s = m->sub[i];
        int in = sees(o, s->id);
        if (m->known[i] != in)
            fail_msg("round %d: subject %lld in view %d, client thinks %d", round, (long long)s->id,
                     in, m->known[i]);
        if (in && (m->kx[i] != s->x || m->ky[i] != s->y))
            fail_msg("round %d: subject %lld at %g,%g, client has %g,%g", round, (long long)s->id,
                     s->x, s->y, m->kx[i], m->ky[i]);
    }
}

static void run_model(int held_back, int interest, uint64_t seed)
{
    fx f;
    /* interest: 8 nearest at full rate, the others every 4 flushes, 3 per batch */
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = held_back ? 1 : 0,
                                     .interest_full = interest ? 8 : 0,
                                     .interest_far = 4,
                                     .interest_cap = 3});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    static model m;
    memset(&m, 0, sizeof m);
    static int64_t fill[NFILL];
    for (int i = 0; i < NFILL; i++) { /* far from o: no events */
        fill[i] =
            add_monster(&f, (double)(rnd(&seed) % 1000), 800 + (double)(rnd(&seed) % 200))->id;
        m.index_of[fill[i]] = -1;
    }
    for (int i = 0; i < NSUB; i++) {
        int k;
        do
            k = (int)(rnd(&seed) % NFILL);
        while (m.index_of[fill[k]] >= 0);
        m.sub[i] = cw_world_get(f.world, fill[k]);
        m.index_of[fill[k]] = i;
        place_random(&f, m.sub[i], &seed);
    }
    int unread = 0, checked = 0, held = 0;
    for (int round = 0; round < 150; round++) {
        int ops = round == 0 ? 0 : 1 + (int)(rnd(&seed) % 60);
        for (int k = 0; k < ops; k++)
            place_random(&f, m.sub[rnd(&seed) % NSUB], &seed);
        double before = metric(&f, "chaos_frames_out_total");
        double held_before = metric(&f, "chaos_event_backlogged_total");
        cw_outbox_flush(f.outbox);
        held += metric(&f, "chaos_event_backlogged_total") > held_before;
        unread += (int)(metric(&f, "chaos_frames_out_total") - before);
        if (held_back && rnd(&seed) % 3 == 0) continue; /* not read: the next flush is held */
        for (; unread > 0; unread--) {
            ev v;
            next_ev(&f, c, &v);
            model_apply(&m, &v, round);
        }
        drain_server(&f, c->id);
        /* with interest, far moves wait for their subjects' turns unqueued: the
         * picture is only whole at the end */
        if (interest || cw_outbox_pending(f.outbox) != 0) continue;
        checked++;
        model_check(&m, o, round);
    }
    /* catch up: read, flush what was held back, read */
    for (int k = 0; k < (interest ? 24 : 3); k++) {
        for (; unread > 0; unread--) {
            ev v;
            next_ev(&f, c, &v);
            model_apply(&m, &v, 150 + k);
        }
        drain_server(&f, c->id);
        double before = metric(&f, "chaos_frames_out_total");
        cw_outbox_flush(f.outbox);
        unread += (int)(metric(&f, "chaos_frames_out_total") - before);
    }
    assert_int_equal(unread, 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    model_check(&m, o, 999);
    expect_silence(&f, c, 20);
    print_message(
        "%s: %.0f frames, %d rounds checked, %d flushes held back, %.0f moves coalesced\n",
        held_back ? "held back" : "fast reader", metric(&f, "chaos_frames_out_total"), checked,
        held, metric(&f, "chaos_events_coalesced_total"));
    if (interest) {
        assert_true(metric(&f, "chaos_events_deferred_total") > 0);
    } else {
        assert_true(checked > 10);
    }
    if (held_back) {
        assert_true(held > 10);
        assert_true(metric(&f, "chaos_events_coalesced_total") > 0);
    } else {
        assert_int_equal(held, 0);
    }
    client_close(c);
    fx_stop(&f);
}

static void test_random_moves_and_edges_match_the_world(void **state)
{
    (void)state;
    run_model(0, 0, 0x9E3779B97F4A7C15ull);
}

/* The same with interest management: far subjects' moves wait for their
 * turn, but nothing is ever sent about a subject out of view, edges stay
 * exact, and once the queue is empty the picture is the world's. */
static void test_random_moves_and_edges_with_interest(void **state)
{
    (void)state;
    run_model(0, 1, 0x6A09E667F3BCC909ull);
}

static void test_random_moves_and_edges_with_interest_held_back(void **state)
{
    (void)state;
    run_model(1, 1, 0xBB67AE8584CAA73Bull);
}

static void test_random_moves_and_edges_held_back(void **state)
{
    (void)state;
    run_model(1, 0, 0x2545F4914F6CDD1Dull);
}

/* A backlogged queue over max_items (after coalescing) closes the connection
 * with output_overflow; at max_items exactly it is kept. */
int main(void)
{
    cw_log_setup(CW_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_moves_and_edges_match_the_world),
        cmocka_unit_test(test_random_moves_and_edges_held_back),
        cmocka_unit_test(test_random_moves_and_edges_with_interest),
        cmocka_unit_test(test_random_moves_and_edges_with_interest_held_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
