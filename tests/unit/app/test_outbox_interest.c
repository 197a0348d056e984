/* test_outbox_interest.c — core/app/outbox interest management: in a crowd,
 * a recipient gets the moves of its K nearest (and of whom it fights) at
 * every flush, the others at their subjects' turns; enter/leave are never
 * held; nothing about a subject out of sight; every recipient ends up with
 * the latest positions; the cap per flush. Fixture in outbox_fixture.h. */
#include "tests/unit/app/outbox_fixture.h"

#define MAXID 64

/* What one client received, per subject id. */
typedef struct tally {
    int moves[MAXID], enters[MAXID], leaves[MAXID];
    int after_leave[MAXID]; /* moves received while the subject was out of sight */
    int gone[MAXID];        /* a leave was the last edge */
    double x[MAXID], y[MAXID];
    int frames;
} tally;

/* Reads every frame that arrives within a short wait into t; returns the
 * number of move frames read. */
static int drain(fx *f, client *c, tally *t)
{
    int moves = 0;
    for (;;) {
        char raw[512];
        int n = read_frame(f, c, raw, sizeof raw, 30);
        if (n == -2) return moves;
        assert_true(n >= 0);
        json_error_t je;
        json_t *j = json_loads(raw, 0, &je);
        assert_non_null(j);
        const char *ev = json_string_value(json_object_get(j, "ev"));
        assert_non_null(ev);
        int64_t id = (int64_t)json_integer_value(json_object_get(j, "e"));
        assert_true(id > 0 && id < MAXID);
        t->frames++;
        if (strcmp(ev, "move") == 0) {
            t->moves[id]++;
            moves++;
            if (t->gone[id]) t->after_leave[id]++;
            t->x[id] = json_number_value(json_object_get(j, "x"));
            t->y[id] = json_number_value(json_object_get(j, "y"));
        } else if (strcmp(ev, "enter") == 0) {
            t->enters[id]++;
            t->gone[id] = 0;
        } else if (strcmp(ev, "leave") == 0) {
            t->leaves[id]++;
            t->gone[id] = 1;
        }
        json_decref(j);
    }
}

/* K = 4 nearest at full rate, far period 4 flushes (2 up to sqrt(2) times
 * the 4th nearest distance). Monsters move every flush: the nearest four hop
 * across the recipient (their distance stays), the others step back and
 * forth along the line to it (staying in their tier). */
static void test_crowd_gets_nearest_every_flush_the_rest_slower(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.interest_full = 4, .interest_far = 4});
    client *c = client_open(&f);
    cw_entity *r = add_player(&f, 1, c->id, 500, 500);
    /* near 5..8, mid (period 2: up to 8 * sqrt(2)) 9.5 and 11, far (period 4)
     * 12 and 30..45 on both sides */
    static const double d[] = {5, 6, 7, 8, 9.5, 11, 12, 35, 40, 45, -30, -40};
    enum { N = sizeof d / sizeof d[0] };
    cw_entity *m[N];
    for (int i = 0; i < N; i++)
        m[i] = add_monster(&f, 500 + d[i], 500);
    r->focus = m[8]->id; /* r fights the one at 40 */
    m[9]->focus = r->id; /* the one at 45 chases r */

    tally t = {0};
    cw_outbox_flush(f.outbox); /* the enters: never held */
    drain(&f, c, &t);
    for (int i = 0; i < N; i++)
        assert_int_equal(t.enters[m[i]->id], 1);

    for (int round = 1; round <= 8; round++) {
        double step = round % 2 ? 0.5 : 0; /* toward r on odd rounds */
        for (int i = 0; i < N; i++) {
            /* the nearest four hop across r: always at the same distance */
            double x =
                i < 4 ? 500 + (round % 2 ? -d[i] : d[i]) : 500 + d[i] - (d[i] > 0 ? step : -step);
            relocate(&f, m[i], x, 500);
        }
        cw_outbox_flush(f.outbox);
        int got = drain(&f, c, &t);
        assert_true(got >= 4 + 2); /* the nearest four and the two in a fight, at least */
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(t.moves[m[i]->id], 8);
    assert_int_equal(t.moves[m[4]->id], 4);
    assert_int_equal(t.moves[m[5]->id], 4);
    assert_int_equal(t.moves[m[6]->id], 2);
    assert_int_equal(t.moves[m[7]->id], 2);
    assert_int_equal(t.moves[m[8]->id], 8); /* r's focus */
    assert_int_equal(t.moves[m[9]->id], 8); /* focused on r */
    assert_int_equal(t.moves[m[10]->id], 2);
    assert_int_equal(t.moves[m[11]->id], 2);
    assert_true(metric(&f, "chaos_events_deferred_total") > 0);

    /* They stop: within one far period every waiting move arrives, with the
     * position they stopped at; then nothing more. */
    for (int k = 0; k < 4; k++) {
        cw_outbox_flush(f.outbox);
        drain(&f, c, &t);
    }
    for (int i = 0; i < N; i++) {
        assert_true(t.x[m[i]->id] == m[i]->x);
        assert_true(t.y[m[i]->id] == m[i]->y);
    }
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    cw_outbox_flush(f.outbox);
    expect_silence(&f, c, 30);
    client_close(c);
    fx_stop(&f);
}

/* A far subject whose move waits for its turn and then walks out of view:
 * the recipient gets the leave, never the waiting move; back in view it gets
 * the enter. Edges are exact whatever the turns. */
static void test_waiting_move_of_subject_that_leaves_reveals_nothing(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.interest_full = 2, .interest_far = 8});
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *n1 = add_monster(&f, 505, 500), *n2 = add_monster(&f, 506, 500);
    cw_entity *far = add_monster(&f, 540, 500);
    tally t = {0};
    cw_outbox_flush(f.outbox);
    drain(&f, c, &t);
    assert_int_equal(t.enters[far->id], 1);

    int64_t leaves0 = 0;
    for (int round = 0; round < 24; round++) {
        /* the near two hop across the recipient: always at distance 5 and 6 */
        relocate(&f, n1, round % 2 ? 505 : 495, 500);
        relocate(&f, n2, round % 2 ? 506 : 494, 500);
        /* far: in view, then out (leave), then back (enter), then out again */
        double fx_ = round < 6 ? 540 + 0.5 * round : round < 12 ? 560 : round < 18 ? 545 : 570;
        relocate(&f, far, fx_, 500);
        cw_outbox_flush(f.outbox);
        drain(&f, c, &t);
        assert_int_equal(t.after_leave[far->id], 0); /* nothing while out of sight */
        if (round == 6) leaves0 = t.leaves[far->id];
    }
    assert_int_equal(leaves0, 1);
    assert_int_equal(t.leaves[far->id], 2);
    assert_int_equal(t.enters[far->id], 2);
    assert_true(t.gone[far->id]);
    assert_int_equal(t.moves[n1->id], 24);
    assert_int_equal(t.moves[n2->id], 24);
    client_close(c);
    fx_stop(&f);
}

/* A far subject moves once (not queued: r is thinned), then stops; r walks
 * up to it, so that it is among r's nearest before its turn. Its turn still
 * brings r the position it stopped at, once. */
static void test_left_out_move_arrives_after_coming_near(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.interest_full = 2, .interest_far = 8});
    client *c = client_open(&f);
    cw_entity *r = add_player(&f, 1, c->id, 500, 500);
    add_monster(&f, 505, 500);
    add_monster(&f, 506, 500);
    cw_entity *s = add_monster(&f, 540, 500);
    tally t = {0};
    cw_outbox_flush(f.outbox);
    drain(&f, c, &t);
    cw_outbox_flush(f.outbox); /* r's near radius is measured (6) */
    drain(&f, c, &t);
    relocate(&f, s, 541, 500); /* far: left out */
    assert_int_equal(metric(&f, "chaos_events_deferred_total"), 1);
    relocate(&f, r, 530, 500); /* now s (11) is nearer than the two (24, 25) */
    for (int k = 0; k < 8; k++) {
        cw_outbox_flush(f.outbox);
        drain(&f, c, &t);
    }
    assert_int_equal(t.moves[s->id], 1);
    assert_true(t.x[s->id] == 541 && t.y[s->id] == 500);
    for (int k = 0; k < 8; k++)
        cw_outbox_flush(f.outbox);
    expect_silence(&f, c, 30);
    client_close(c);
    fx_stop(&f);
}

/* A recipient that sees no more than K entities gets every move at every
 * flush, as without interest management. */
static void test_small_view_is_not_thinned(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.interest_full = 8, .interest_far = 10, .interest_cap = 1});
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *m[8];
    for (int i = 0; i < 8; i++)
        m[i] = add_monster(&f, 500 + 5 * (i + 1), 500);
    tally t = {0};
    cw_outbox_flush(f.outbox);
    drain(&f, c, &t);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 8; i++)
            relocate(&f, m[i], m[i]->x, round % 2 ? 500 : 501);
        cw_outbox_flush(f.outbox);
        assert_int_equal(drain(&f, c, &t), 8);
    }
    assert_int_equal(metric(&f, "chaos_events_deferred_total"), 0);
    /* nobody thinned for a whole period: the turns stop walking the table */
    uint64_t passes = cw_outbox_turn_passes(f.outbox);
    for (int i = 0; i < 12; i++)
        cw_outbox_flush(f.outbox);
    uint64_t idle = cw_outbox_turn_passes(f.outbox);
    assert_true(idle - passes < 12);
    for (int i = 0; i < 5; i++)
        cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_turn_passes(f.outbox), idle);
    client_close(c);
    fx_stop(&f);
}

/* When a crowd forms in a zone whose turns had gone quiet, the far subjects'
 * moves still arrive at their turns: the skip never loses a move. */
static void test_turns_resume_when_a_crowd_forms(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.interest_full = 2, .interest_far = 4, .interest_cap = 0});
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *near = add_monster(&f, 503, 500);
    tally t = {0};
    for (int i = 0; i < 10; i++) /* one subject in view: not thinned, turns go quiet */
        cw_outbox_flush(f.outbox);
    drain(&f, c, &t);
    uint64_t quiet = cw_outbox_turn_passes(f.outbox);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_turn_passes(f.outbox), quiet);
    cw_entity *m[4];
    for (int i = 0; i < 4; i++) /* now 5 in view, more than interest_full */
        m[i] = add_monster(&f, 500, 510 + 5 * i);
    relocate(&f, near, 504, 500);
    for (int i = 0; i < 4; i++)
        relocate(&f, m[i], 501, m[i]->y); /* far ones move once, then stop */
    for (int i = 0; i < 8; i++) {
        cw_outbox_flush(f.outbox);
        drain(&f, c, &t);
    }
    assert_true(cw_outbox_turn_passes(f.outbox) > quiet);
    for (int i = 0; i < 4; i++) { /* every far subject's last position arrived */
        int64_t id = m[i]->id;
        assert_true(t.moves[id] >= 1);
        assert_true(t.x[id] == 501.0);
    }
    assert_true(t.x[near->id] == 504.0);
    client_close(c);
    fx_stop(&f);
}

/* The cap: at most interest_cap turn moves per recipient and flush; a turn
 * that was capped goes first at the next flush, so no subject starves while
 * everyone keeps moving; after they stop, everyone's last position arrives. */
static void test_cap_limits_far_moves_per_batch_without_starving(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.interest_full = 2, .interest_far = 2, .interest_cap = 1});
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *n1 = add_monster(&f, 505, 500), *n2 = add_monster(&f, 506, 500);
    enum { NF = 4 };
    cw_entity *fm[NF];
    for (int i = 0; i < NF; i++)
        fm[i] = add_monster(&f, 530 + 4 * i, 500);
    tally t = {0};
    cw_outbox_flush(f.outbox);
    drain(&f, c, &t);
    for (int round = 0; round < 16; round++) {
        double y = round % 2 ? 500 : 500.5;
        relocate(&f, n1, 505, y);
        relocate(&f, n2, 506, y);
        for (int i = 0; i < NF; i++)
            relocate(&f, fm[i], fm[i]->x, y);
        cw_outbox_flush(f.outbox);
        tally one = {0};
        int got = drain(&f, c, &one);
        assert_int_equal(one.moves[n1->id] + one.moves[n2->id], 2);
        assert_true(got - 2 <= 1); /* the cap */
        for (int i = 0; i < MAXID; i++) {
            t.moves[i] += one.moves[i];
            if (one.moves[i]) t.y[i] = one.y[i];
        }
    }
    for (int i = 0; i < NF; i++)
        assert_true(t.moves[fm[i]->id] >= 3); /* 16 batches, 1 far slot each, 4 subjects */
    for (int k = 0; k < 2 * NF; k++) {
        cw_outbox_flush(f.outbox);
        drain(&f, c, &t);
    }
    for (int i = 0; i < NF; i++)
        assert_true(t.y[fm[i]->id] == fm[i]->y);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    client_close(c);
    fx_stop(&f);
}

int main(void)
{
    cw_log_setup(CW_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crowd_gets_nearest_every_flush_the_rest_slower),
        cmocka_unit_test(test_waiting_move_of_subject_that_leaves_reveals_nothing),
        cmocka_unit_test(test_left_out_move_arrives_after_coming_near),
        cmocka_unit_test(test_small_view_is_not_thinned),
        cmocka_unit_test(test_turns_resume_when_a_crowd_forms),
        cmocka_unit_test(test_cap_limits_far_moves_per_batch_without_starving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
