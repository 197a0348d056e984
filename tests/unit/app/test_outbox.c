/* test_outbox.c — core/app/outbox over a real cw_net on loopback: order,
 * shared encodings, coalescing, backpressure, holding. Fixture in
 * outbox_fixture.h; the randomised model test is test_outbox_model.c. */
#include "tests/unit/app/outbox_fixture.h"

/* ---- tests ------------------------------------------------------------ */

/* Events are only queued until a flush; the flush writes them as separate
 * frames, edges then moves in the order they were queued, in one append. */
static void test_flush_writes_queued_events_in_order(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *a = add_monster(&f, 510, 500);
    cw_entity *b = add_monster(&f, 490, 500);
    relocate(&f, a, 520, 500);
    relocate(&f, b, 480, 505);

    assert_int_equal(cw_outbox_pending(f.outbox), 4);
    assert_int_equal(metric(&f, "chaos_events_queued_total"), 4);
    pump(&f, 20);
    assert_int_equal(cw_conn_pending(cw_net_find(f.net, c->id)), 0);
    expect_silence(&f, c, 50);
    assert_int_equal(metric(&f, "chaos_frames_out_total"), 0);

    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_true(cw_conn_pending(cw_net_find(f.net, c->id)) > 0);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 1);
    assert_int_equal(metric(&f, "chaos_frames_out_total"), 4);
    expect_ev(&f, c, "enter", a->id);
    expect_ev(&f, c, "enter", b->id);
    expect_move(&f, c, a->id, 520, 500);
    expect_move(&f, c, b->id, 480, 505);
    expect_silence(&f, c, 50);

    /* an empty flush writes nothing */
    cw_outbox_flush(f.outbox);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 1);
    expect_silence(&f, c, 20);
    client_close(c);
    fx_stop(&f);
}

/* A move is encoded when its subject moves, with the position it moved to:
 * several queued moves of one subject reach the player in order, each with
 * its own position (a queue that is not held back is written as it is;
 * outbox.h: only held-back queues, or queues past 1,024 events, drop earlier
 * moves). */
static void test_queued_moves_carry_each_position(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", s->id);

    for (int i = 1; i <= 5; i++)
        relocate(&f, s, 500 + 3 * i, 510 + i);
    assert_int_equal(cw_outbox_pending(f.outbox), 5);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 0);
    for (int i = 1; i <= 5; i++)
        expect_move(&f, c, s->id, 500 + 3 * i, 510 + i);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* Five moves of one subject while the connection is held back: after the
 * flush that writes them, exactly one move frame, with the last position;
 * chaos_events_coalesced_total counts the 4 dropped. */
static void test_held_back_moves_coalesce_to_the_last(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox); /* enter: unsent until the loop runs */
    size_t unsent = cw_conn_pending(cw_net_find(f.net, c->id));
    assert_true(unsent > 1);

    for (int i = 1; i <= 5; i++)
        relocate(&f, s, 500 + 3 * i, 510 + i);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 4);
    assert_int_equal(cw_conn_pending(cw_net_find(f.net, c->id)), unsent);

    expect_ev(&f, c, "enter", s->id);
    drain_server(&f, c->id);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 4);
    assert_int_equal(metric(&f, "chaos_frames_out_total"), 2);
    expect_move(&f, c, s->id, 515, 515);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* move, move, leave, enter, move, move of one subject. Written as queued,
 * the edges keep their order and every move carries the final position (no
 * stale position is ever written). Held back, only the last move survives:
 * leave, enter, move(final). */
static void test_edges_keep_order_around_moves(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", s->id);
    drain_server(&f, c->id);

    /* not held back */
    relocate(&f, s, 520, 500); /* move (in view) */
    relocate(&f, s, 522, 502); /* move */
    relocate(&f, s, 800, 800); /* leave */
    relocate(&f, s, 515, 505); /* enter */
    relocate(&f, s, 525, 500); /* move */
    relocate(&f, s, 530, 500); /* move */
    assert_int_equal(cw_outbox_pending(f.outbox), 6);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_move(&f, c, s->id, 520, 500);
    expect_move(&f, c, s->id, 522, 502);
    expect_ev(&f, c, "leave", s->id);
    expect_ev(&f, c, "enter", s->id);
    expect_move(&f, c, s->id, 525, 500);
    expect_move(&f, c, s->id, 530, 500);
    expect_silence(&f, c, 20);
    drain_server(&f, c->id);

    /* held back behind an unsent blob */
    static const char hit[] = "{\"ev\":\"hit\",\"e\":9}";
    cw_entity *o = cw_world_get(f.world, 1);
    assert_non_null(o);
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &o, 1), 0);
    cw_outbox_flush(f.outbox);
    relocate(&f, s, 531, 500); /* move */
    relocate(&f, s, 532, 501); /* move */
    relocate(&f, s, 900, 900); /* leave */
    relocate(&f, s, 516, 506); /* enter */
    relocate(&f, s, 526, 501); /* move */
    relocate(&f, s, 533, 502); /* move */
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 3);
    char got[512];
    assert_int_equal(read_frame(&f, c, got, sizeof got, 2000), (int)strlen(hit));
    assert_string_equal(got, hit);
    drain_server(&f, c->id);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_ev(&f, c, "leave", s->id);
    expect_ev(&f, c, "enter", s->id);
    expect_move(&f, c, s->id, 533, 502);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* Two observers of one move get the same bytes, also when one of them was
 * flushed early with flush_one and the subject moved on before the tick. */
static void test_observers_get_identical_move_frames(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c1 = client_open(&f);
    client *c2 = client_open(&f);
    assert_true(c1->id != c2->id);
    cw_entity *o1 = add_player(&f, 1, c1->id, 500, 500);
    cw_entity *o2 = add_player(&f, 2, c2->id, 505, 500);
    cw_entity *s = add_monster(&f, 510, 505);
    cw_outbox_flush(f.outbox);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 2);
    expect_ev(&f, c1, "enter", o2->id);
    expect_ev(&f, c1, "enter", s->id);
    expect_ev(&f, c2, "enter", o1->id);
    expect_ev(&f, c2, "enter", s->id);

    relocate(&f, s, 512.25, 507.5);
    assert_int_equal(cw_outbox_pending(f.outbox), 2);
    cw_outbox_flush(f.outbox);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 4);
    ev m1, m2;
    next_ev(&f, c1, &m1);
    next_ev(&f, c2, &m2);
    assert_string_equal(m1.ev, "move");
    assert_int_equal(m1.e, s->id);
    assert_true(m1.x == 512.25 && m1.y == 507.5);
    assert_int_equal(m1.len, m2.len);
    assert_memory_equal(m1.raw, m2.raw, (size_t)m1.len);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 20);

    /* flush_one writes s at one position; s moves on before the tick's
     * flush (same arena generation): the new position has its own frame */
    relocate(&f, s, 513, 508);
    cw_outbox_flush_one(f.outbox, o1);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    expect_move(&f, c1, s->id, 513, 508);
    expect_silence(&f, c2, 20);
    relocate(&f, s, 514.5, 509);
    cw_outbox_flush(f.outbox);
    next_ev(&f, c1, &m1);
    assert_string_equal(m1.ev, "move");
    assert_true(m1.x == 514.5 && m1.y == 509);
    /* o2 had both moves queued: each with its own position, the second the
     * same bytes o1 got */
    expect_move(&f, c2, s->id, 513, 508);
    next_ev(&f, c2, &m2);
    assert_int_equal(m1.len, m2.len);
    assert_memory_equal(m1.raw, m2.raw, (size_t)m1.len);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 20);

    /* a player moving: the other one hears it, itself does not */
    relocate(&f, o1, 495, 500);
    cw_outbox_flush(f.outbox);
    expect_move(&f, c2, o1->id, 495, 500);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 20);
    client_close(c1);
    client_close(c2);
    fx_stop(&f);
}

/* A connection with more than backlog_bytes unsent is not appended to; its
 * queue coalesces, and catches up with the latest position. */
static void test_backlogged_connection_is_held_back(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox); /* batch 1: enter; the loop is not run, so it stays unsent */
    cw_conn *conn = cw_net_find(f.net, c->id);
    size_t unsent = cw_conn_pending(conn);
    assert_true(unsent > 1);

    relocate(&f, s, 520, 500);
    relocate(&f, s, 525, 505);
    relocate(&f, s, 530, 510);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_conn_pending(conn), unsent);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    assert_int_equal(metric(&f, "chaos_event_backlogged_total"), 1);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 2);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 1);
    /* flush_one is held back the same way */
    cw_outbox_flush_one(f.outbox, o);
    assert_int_equal(cw_conn_pending(conn), unsent);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);

    expect_ev(&f, c, "enter", s->id); /* pumps: batch 1 goes out */
    drain_server(&f, c->id);
    expect_silence(&f, c, 20);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 2);
    expect_move(&f, c, s->id, 530, 510);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* "More than backlog_bytes unsent": exactly backlog_bytes unsent is not held
 * back, one byte more is. */
static void test_backlog_threshold_is_more_than(void **state)
{
    (void)state;
    for (int over = 0; over <= 1; over++) {
        fx f;
        char enter[160];
        /* the enter frame of the first monster (id 2) at (510,500) */
        int n = snprintf(enter, sizeof enter, "{\"ev\":\"enter\",\"e\":2,\"x\":510,\"y\":500}");
        size_t frame = CW_FRAME_HEADER + (size_t)n;
        fx_start(&f, &(cw_outbox_config){.backlog_bytes = frame - (size_t)over});
        client *c = client_open(&f);
        add_player(&f, 1, c->id, 500, 500);
        cw_entity *s = add_monster(&f, 510, 500);
        assert_int_equal(s->id, 2);
        cw_outbox_flush(f.outbox);
        cw_conn *conn = cw_net_find(f.net, c->id);
        assert_int_equal(cw_conn_pending(conn), frame);
        relocate(&f, s, 520, 500);
        cw_outbox_flush(f.outbox);
        if (over) { /* frame > backlog_bytes: held back */
            assert_int_equal(cw_conn_pending(conn), frame);
            assert_int_equal(cw_outbox_pending(f.outbox), 1);
            assert_int_equal(metric(&f, "chaos_event_backlogged_total"), 1);
        } else {
            assert_true(cw_conn_pending(conn) > frame);
            assert_int_equal(cw_outbox_pending(f.outbox), 0);
            assert_int_equal(metric(&f, "chaos_event_backlogged_total"), 0);
        }
        char got[512];
        assert_int_equal(read_frame(&f, c, got, sizeof got, 2000), n);
        assert_string_equal(got, enter);
        drain_server(&f, c->id);
        cw_outbox_flush(f.outbox);
        expect_move(&f, c, s->id, 520, 500);
        expect_silence(&f, c, 20);
        client_close(c);
        fx_stop(&f);
    }
}

/* One move, written to a fast observer in one flush and to a held-back one
 * in the next (the subject did not move in between): its frame lives in the
 * arena that the first flush swaps out, so the held-back queue carries it
 * over, and both observers get the same, correct frame. */
static void test_held_back_move_survives_the_arena_swap(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c1 = client_open(&f);
    client *c2 = client_open(&f);
    cw_entity *o1 = add_player(&f, 1, c1->id, 500, 500);
    cw_entity *o2 = add_player(&f, 2, c2->id, 505, 500);
    cw_entity *s = add_monster(&f, 510, 505);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c1, "enter", o2->id);
    expect_ev(&f, c1, "enter", s->id);
    expect_ev(&f, c2, "enter", o1->id);
    expect_ev(&f, c2, "enter", s->id);
    drain_server(&f, c1->id);
    drain_server(&f, c2->id);

    /* o2 gets a blob of its own and is left unsent: backlogged */
    static const char hit[] =
        "{\"ev\":\"hit\",\"e\":5,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &o2, 1), 0);
    cw_outbox_flush(f.outbox);
    assert_true(cw_conn_pending(cw_net_find(f.net, c2->id)) > 1);

    relocate(&f, s, 512.125, 506.75);
    cw_outbox_flush(f.outbox); /* o1 written, o2 held back */
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    ev m1, m2;
    next_ev(&f, c1, &m1);
    drain_server(&f, c1->id);
    char got[512];
    assert_int_equal(read_frame(&f, c2, got, sizeof got, 2000), (int)strlen(hit));
    assert_string_equal(got, hit);
    drain_server(&f, c2->id);
    expect_silence(&f, c2, 20);

    /* the next flush: other traffic goes through the new arena first */
    static const char other[] =
        "{\"ev\":\"hit\",\"e\":6,\"pad\":\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}";
    assert_int_equal(cw_outbox_event(f.outbox, other, strlen(other), &o1, 1), 0);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(read_frame(&f, c1, got, sizeof got, 2000), (int)strlen(other));
    assert_string_equal(got, other);
    next_ev(&f, c2, &m2);
    assert_string_equal(m1.ev, "move");
    assert_int_equal(m1.e, s->id);
    assert_true(m1.x == 512.13 && m1.y == 506.75); /* on the wire: to 1/100, halves up */
    assert_int_equal(m1.len, m2.len);
    assert_memory_equal(m1.raw, m2.raw, (size_t)m1.len);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 20);
    client_close(c1);
    client_close(c2);
    fx_stop(&f);
}

/* Held-back frames live in arenas that the flushes reuse in rotation: a
 * queue held back for longer than the rotation (here 20 flushes, with
 * other traffic written in every one) must have them carried over and get
 * them intact and in order. */
static void test_backlogged_blobs_survive_arena_swaps(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    client *c2 = client_open(&f); /* a player far from everything below */
    cw_entity *o2 = add_player(&f, 2, c2->id, 100, 100);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox);
    size_t unsent = cw_conn_pending(cw_net_find(f.net, c->id));
    assert_true(unsent > 1);

    relocate(&f, s, 520, 500);
    cw_entity *t = add_monster(&f, 490, 500); /* enter t: a blob */
    static const char hit[] = "{\"ev\":\"hit\",\"e\":7,\"text\":\"a blob that must survive\"}";
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &o, 1), 0);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    /* more traffic in between, so the old arena would be overwritten */
    cw_entity *u = add_monster(&f, 505, 510);
    relocate(&f, s, 521, 501);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 4);
    /* the far player's queue is held back from its second batch on: 20
     * frames encoded, one per flush, while both queues wait */
    char other[20][128];
    int len[20];
    for (int k = 0; k < 20; k++) {
        len[k] = snprintf(other[k], sizeof other[k], "{\"ev\":\"hit\",\"e\":%d,\"text\":\"%s\"}",
                          100 + k, "traffic that fills the arenas in rotation");
        assert_int_equal(cw_outbox_event(f.outbox, other[k], (size_t)len[k], &o2, 1), 0);
        cw_outbox_flush(f.outbox);
    }
    assert_int_equal(cw_outbox_pending(f.outbox), 4 + 19);
    assert_int_equal(cw_conn_pending(cw_net_find(f.net, c->id)), unsent);
    assert_int_equal(metric(&f, "chaos_event_backlogged_total"), 2 + 20 + 19);

    expect_ev(&f, c, "enter", s->id);
    drain_server(&f, c->id);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    /* queued: move s, enter t, hit, enter u, move s → the earlier move s is gone */
    expect_ev(&f, c, "enter", t->id);
    char got[512];
    assert_int_equal(read_frame(&f, c, got, sizeof got, 2000), (int)strlen(hit));
    assert_string_equal(got, hit);
    expect_ev(&f, c, "enter", u->id);
    expect_move(&f, c, s->id, 521, 501);
    expect_silence(&f, c, 50);
    drain_server(&f, c2->id);
    cw_outbox_flush(f.outbox);
    for (int k = 0; k < 20; k++) {
        char got2[512];
        assert_int_equal(read_frame(&f, c2, got2, sizeof got2, 2000), len[k]);
        assert_string_equal(got2, other[k]);
    }
    expect_silence(&f, c2, 20);
    client_close(c);
    client_close(c2);
    fx_stop(&f);
}

static void test_backlogged_queue_over_max_items_closes(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1, .max_items = 4});
    client *c = client_open(&f);
    client *other = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox); /* batch 1 (enter s) stays unsent */
    cw_conn *conn = cw_net_find(f.net, c->id);
    size_t unsent = cw_conn_pending(conn);
    assert_true(unsent > 1);

    char json[64];
    for (int i = 0; i < 3; i++) {
        int n = snprintf(json, sizeof json, "{\"ev\":\"hit\",\"e\":%lld,\"n\":%d}",
                         (long long)s->id, i);
        assert_int_equal(cw_outbox_event(f.outbox, json, (size_t)n, &o, 1), 0);
        relocate(&f, s, 511 + i, 500);
    }
    /* 3 blobs + 3 moves coalesce to 4 items = max_items: held, not closed */
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 4);
    assert_int_equal(metric(&f, "chaos_event_overflow_total"), 0);
    assert_int_equal(cw_conn_pending(conn), unsent);

    int n =
        snprintf(json, sizeof json, "{\"ev\":\"hit\",\"e\":%lld,\"n\":%d}", (long long)s->id, 3);
    assert_int_equal(cw_outbox_event(f.outbox, json, (size_t)n, &o, 1), 0);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_event_overflow_total"), 1);
    assert_int_equal(cw_conn_pending(conn), unsent); /* nothing appended */

    /* the close flushes batch 1 and nothing else */
    expect_ev(&f, c, "enter", s->id);
    expect_eof(&f, c);
    uint64_t end = now_ms() + 2000;
    while (!closed_reason(&f, c->id) && now_ms() < end)
        pump(&f, 1);
    assert_non_null(closed_reason(&f, c->id));
    assert_string_equal(closed_reason(&f, c->id), "output_overflow");
    assert_null(cw_net_find(f.net, c->id));
    assert_null(closed_reason(&f, other->id));
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    client_close(c);
    client_close(other);
    fx_stop(&f);
}

/* A player removed with events queued: its queue goes with it. */
static void test_removed_recipient_is_forgotten(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c1 = client_open(&f);
    client *c2 = client_open(&f);
    cw_entity *o = add_player(&f, 1, c1->id, 500, 500);
    cw_entity *p = add_player(&f, 2, c2->id, 505, 500);
    cw_entity *s = add_monster(&f, 510, 505);
    int64_t pid = p->id;
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c1, "enter", pid);
    expect_ev(&f, c1, "enter", s->id);
    expect_ev(&f, c2, "enter", o->id);
    expect_ev(&f, c2, "enter", s->id);

    relocate(&f, s, 511, 505); /* move for o and p */
    static const char hit[] = "{\"ev\":\"hit\",\"e\":3}";
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &p, 1), 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    assert_int_equal(cw_world_remove(f.world, pid), 0); /* leave p → o */
    assert_null(cw_world_get(f.world, pid));
    /* more entities after the removal (the freed memory may be reused) */
    cw_entity *t = add_monster(&f, 495, 495);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_move(&f, c1, s->id, 511, 505);
    expect_ev(&f, c1, "leave", pid);
    expect_ev(&f, c1, "enter", t->id);
    expect_silence(&f, c1, 20);
    expect_silence(&f, c2, 50);
    assert_int_equal(metric(&f, "chaos_event_batches_total"), 3);

    relocate(&f, t, 496, 496);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_move(&f, c1, t->id, 496, 496);
    expect_silence(&f, c2, 20);
    client_close(c1);
    client_close(c2);
    fx_stop(&f);
}

/* A subject removed after its move was queued: its move is skipped, the
 * leave is written, other subjects' moves are unaffected; held back, the
 * same. */
/* A move queued before the subject walked out of view is not written: the
 * observer must not learn where it went (another zone, after a portal). */
static void test_move_before_leave_reveals_nothing(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    client *c = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    int64_t sid = s->id;
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", sid);
    relocate(&f, s, 520, 500); /* queues a move */
    relocate(&f, s, 900, 900); /* out of view: queues the leave */
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "leave", sid);
    expect_silence(&f, c, 50);
    /* back in view: the enter, then moves again */
    relocate(&f, s, 505, 505);
    relocate(&f, s, 506, 506);
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", sid);
    expect_move(&f, c, sid, 506, 506);
    client_close(c);
    fx_stop(&f);
}

static void test_move_of_removed_subject_is_skipped(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.backlog_bytes = 1});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_entity *t = add_monster(&f, 490, 500);
    cw_entity *u = add_monster(&f, 500, 490);
    int64_t sid = s->id, uid = u->id;
    cw_outbox_flush(f.outbox);
    expect_ev(&f, c, "enter", sid);
    expect_ev(&f, c, "enter", t->id);
    expect_ev(&f, c, "enter", uid);
    drain_server(&f, c->id);

    relocate(&f, s, 520, 500);
    relocate(&f, t, 480, 500);
    assert_int_equal(cw_world_remove(f.world, sid), 0);
    assert_int_equal(cw_outbox_pending(f.outbox), 3);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    assert_int_equal(metric(&f, "chaos_frames_out_total"), 3 + 2);
    expect_move(&f, c, t->id, 480, 500);
    expect_ev(&f, c, "leave", sid);
    expect_silence(&f, c, 20);
    drain_server(&f, c->id);

    /* held back: the coalescing pass drops the move of the gone subject */
    static const char hit[] = "{\"ev\":\"hit\",\"e\":4}";
    assert_int_equal(cw_outbox_event(f.outbox, hit, strlen(hit), &o, 1), 0);
    cw_outbox_flush(f.outbox);
    relocate(&f, u, 500, 480);
    relocate(&f, t, 481, 500);
    assert_int_equal(cw_world_remove(f.world, uid), 0);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 2);
    assert_int_equal(metric(&f, "chaos_events_coalesced_total"), 1);
    char got[512];
    assert_int_equal(read_frame(&f, c, got, sizeof got, 2000), (int)strlen(hit));
    drain_server(&f, c->id);
    cw_outbox_flush(f.outbox);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    expect_move(&f, c, t->id, 481, 500);
    expect_ev(&f, c, "leave", uid);
    expect_silence(&f, c, 50);
    client_close(c);
    fx_stop(&f);
}

/* hold_flushes: a fresh queue waits (for the player's own reply to carry
 * it) up to hold_flushes flushes, then goes out anyway; flush_one takes it
 * at once. */
static void test_young_queues_wait_for_the_reply(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.hold_flushes = 2});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_outbox_flush(f.outbox); /* the enter is young: held */
    expect_silence(&f, c, 30);
    cw_outbox_flush(f.outbox); /* still young */
    expect_silence(&f, c, 30);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    cw_outbox_flush(f.outbox); /* waited two flushes: written */
    expect_ev(&f, c, "enter", s->id);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    relocate(&f, s, 511, 500);
    cw_outbox_flush(f.outbox);
    expect_silence(&f, c, 30);
    cw_outbox_flush_one(f.outbox, o); /* the reply's ride */
    expect_move(&f, c, s->id, 511, 500);
    cw_outbox_flush(f.outbox);
    cw_outbox_flush(f.outbox);
    cw_outbox_flush(f.outbox);
    expect_silence(&f, c, 30); /* nothing twice */
    client_close(c);
    fx_stop(&f);
}

/* A queue emptied by its player's reply and filled again waits hold_flushes
 * from the refill, not from its first event: the flush that had it listed
 * for the first one finds it young and lists it again. */
static void test_refilled_queue_waits_from_its_refill(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.hold_flushes = 2});
    client *c = client_open(&f);
    cw_entity *o = add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500); /* enter queued before flush 0 */
    cw_outbox_flush(f.outbox);
    expect_silence(&f, c, 20);
    cw_outbox_flush_one(f.outbox, o);
    expect_ev(&f, c, "enter", s->id);
    relocate(&f, s, 513, 500); /* the refill, before flush 1 */
    cw_outbox_flush(f.outbox);
    expect_silence(&f, c, 20);
    cw_outbox_flush(f.outbox); /* the first event's due flush: the refill is young */
    expect_silence(&f, c, 20);
    assert_int_equal(cw_outbox_pending(f.outbox), 1);
    cw_outbox_flush(f.outbox); /* waited two flushes since the refill */
    expect_move(&f, c, s->id, 513, 500);
    assert_int_equal(cw_outbox_pending(f.outbox), 0);
    cw_outbox_flush(f.outbox);
    cw_outbox_flush(f.outbox);
    expect_silence(&f, c, 20);
    client_close(c);
    fx_stop(&f);
}

/* A queue that waits longer for its player's reply than the arenas take to
 * come round (hold 12 flushes, other traffic in each) still writes its
 * frames intact. */
static void test_young_queue_outlives_the_arena_rotation(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, &(cw_outbox_config){.hold_flushes = 12});
    client *c = client_open(&f);
    client *c2 = client_open(&f);
    add_player(&f, 1, c->id, 500, 500);
    cw_entity *s = add_monster(&f, 510, 500);
    cw_entity *o2 = add_player(&f, 2, c2->id, 100, 100);
    cw_outbox_flush(f.outbox); /* everything young: held */
    relocate(&f, s, 512.5, 501);
    for (int k = 0; k < 11; k++) {
        static const char other[] = "{\"ev\":\"hit\",\"e\":3,\"text\":\"other traffic\"}";
        assert_int_equal(cw_outbox_event(f.outbox, other, strlen(other), &o2, 1), 0);
        expect_silence(&f, c, 5);
        cw_outbox_flush(f.outbox);
    }
    cw_outbox_flush(f.outbox); /* waited 12 flushes: written */
    expect_ev(&f, c, "enter", s->id);
    expect_move(&f, c, s->id, 512.5, 501);
    expect_silence(&f, c, 30);
    client_close(c);
    client_close(c2);
    fx_stop(&f);
}

int main(void)
{
    cw_log_setup(CW_LOG_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flush_writes_queued_events_in_order),
        cmocka_unit_test(test_queued_moves_carry_each_position),
        cmocka_unit_test(test_held_back_moves_coalesce_to_the_last),
        cmocka_unit_test(test_edges_keep_order_around_moves),
        cmocka_unit_test(test_observers_get_identical_move_frames),
        cmocka_unit_test(test_backlogged_connection_is_held_back),
        cmocka_unit_test(test_backlog_threshold_is_more_than),
        cmocka_unit_test(test_held_back_move_survives_the_arena_swap),
        cmocka_unit_test(test_backlogged_blobs_survive_arena_swaps),
        cmocka_unit_test(test_backlogged_queue_over_max_items_closes),
        cmocka_unit_test(test_removed_recipient_is_forgotten),
        cmocka_unit_test(test_move_before_leave_reveals_nothing),
        cmocka_unit_test(test_move_of_removed_subject_is_skipped),
        cmocka_unit_test(test_young_queues_wait_for_the_reply),
        cmocka_unit_test(test_refilled_queue_waits_from_its_refill),
        cmocka_unit_test(test_young_queue_outlives_the_arena_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
