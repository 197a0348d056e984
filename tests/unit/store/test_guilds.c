/* test_guilds.c — guilds in the store (cw_store_guild_*): on SQLite (a
 * temporary file) always, on PostgreSQL when CHAOS_TEST_PG is set. The store
 * runs inline: callbacks have run when a call returns. */
#include "core/io/store/store.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define STORE_FIXTURE_PREFIX "guilds"
#include "tests/unit/store/store_fixture.h"
#include "tests/unit/store/char_fixture.h"

/* ---- helpers ------------------------------------------------------------------------ */

typedef struct got {
    int calls, rc;
    int64_t id, leader, fee;
    int n;
    char name[80];
    char members[8][40]; /* "name:rank" */
} got;

static void on_guild(void *ud, int rc, const cw_guild *g)
{
    got *o = ud;
    assert_non_null(g);
    o->calls++;
    o->rc = rc;
    o->id = g->id;
    o->leader = g->leader_id;
    o->fee = g->fee;
    o->n = g->nmembers;
    snprintf(o->name, sizeof o->name, "%s", g->name);
    for (int i = 0; i < g->nmembers && i < 8; i++)
        snprintf(o->members[i], sizeof o->members[i], "%s:%s", g->members[i].name,
                 g->members[i].rank);
}

typedef struct idgot {
    int rc;
    int64_t id;
} idgot;

static void on_loaded_guild(void *ud, int rc, const cw_character *ch)
{
    idgot *o = ud;
    o->rc = rc;
    if (rc == 0) o->id = ch->guild_id;
}

/* The guild id cw_store_character_load reports for character id. */
static int64_t loaded_guild(cw_store *s, int64_t account, int64_t id)
{
    idgot o = {0, -1};
    cw_store_character_load(s, account, id, on_loaded_guild, &o);
    assert_int_equal(o.rc, 0);
    return o.id;
}

static int64_t make_account(cw_store *s)
{
    answer o = {0};
    cw_store_account_create(s, "acct", "$argon2id$stub", on_account, &o);
    assert_int_equal(o.rc, 0);
    return o.id;
}

#define CALL(expr)                                                                                 \
    do {                                                                                           \
        memset(&g, 0, sizeof g);                                                                   \
        expr;                                                                                      \
        assert_int_equal(g.calls, 1);                                                              \
    } while (0)

/* ---- tests ------------------------------------------------------------------------------- */

static void test_create_join_rank_leave(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    int64_t acc = make_account(s);
    int64_t ann = make_char(s, acc, "Ann").id, bob = make_char(s, acc, "Bob").id,
            cid = make_char(s, acc, "Cid").id;
    got g;

    CALL(cw_store_guild_create(s, "Iron Wolves", ann, on_guild, &g));
    assert_int_equal(g.rc, 0);
    int64_t gid = g.id;
    assert_true(gid > 0);
    assert_string_equal(g.name, "Iron Wolves");
    assert_int_equal(g.leader, ann);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.members[0], "Ann:leader");

    /* the name is taken case-insensitively; a member cannot found another */
    CALL(cw_store_guild_create(s, "iron wolves", bob, on_guild, &g));
    assert_int_equal(g.rc, CW_EEXIST);
    CALL(cw_store_guild_create(s, "Other", ann, on_guild, &g));
    assert_int_equal(g.rc, CW_ESTATE);
    CALL(cw_store_guild_create(s, "", bob, on_guild, &g));
    assert_int_equal(g.rc, CW_EINVAL);
    assert_int_equal(raw(b, "SELECT count(*) FROM guilds"), 1);

    CALL(cw_store_guild_join(s, gid, bob, 0, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.members[1], "Bob:member");
    CALL(cw_store_guild_join(s, gid, bob, 0, on_guild, &g));
    assert_int_equal(g.rc, CW_EEXIST);
    assert_int_equal(g.id, gid); /* says which guild */
    /* the game's member cap: at 2 members a cap of 2 refuses Cid, 3 lets in */
    CALL(cw_store_guild_join(s, gid, cid, 2, on_guild, &g));
    assert_int_equal(g.rc, CW_ELIMIT);
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_members"), 2);
    CALL(cw_store_guild_join(s, gid, cid, 3, on_guild, &g));
    assert_int_equal(g.rc, 0);
    /* a character's load carries its guild (what guild chat needs at once) */
    assert_int_equal(loaded_guild(s, acc, cid), gid);
    assert_int_equal(loaded_guild(s, acc, ann), gid);

    CALL(cw_store_guild_set_rank(s, gid, cid, "officer", on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.members[1], "Cid:officer"); /* officers before members */
    assert_string_equal(g.members[2], "Bob:member");
    CALL(cw_store_guild_set_rank(s, gid, cid, "king", on_guild, &g));
    assert_int_equal(g.rc, CW_EINVAL);
    CALL(cw_store_guild_set_rank(s, gid, ann, "member", on_guild, &g));
    assert_int_equal(g.rc, CW_ESTATE); /* the leader hands the lead on instead */

    /* the lead handed over: the old leader becomes an officer, one leader */
    CALL(cw_store_guild_set_rank(s, gid, bob, "leader", on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.leader, bob);
    assert_string_equal(g.members[0], "Bob:leader");
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_members WHERE rank = 'leader'"), 1);

    /* the leader cannot leave; a member can; the guild of a character */
    CALL(cw_store_guild_remove(s, gid, bob, on_guild, &g));
    assert_int_equal(g.rc, CW_ESTATE);
    CALL(cw_store_guild_remove(s, gid, ann, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(loaded_guild(s, acc, ann), 0); /* out of it: no guild */
    CALL(cw_store_guild_remove(s, gid, ann, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);
    CALL(cw_store_guild_of(s, ann, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);
    CALL(cw_store_guild_of(s, cid, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.id, gid);
    assert_int_equal(g.n, 2);

    cw_store_close(s);
}

static void test_fee_and_delete(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    int64_t acc = make_account(s);
    int64_t ann = make_char(s, acc, "Ann").id, bob = make_char(s, acc, "Bob").id;
    got g;
    CALL(cw_store_guild_create(s, "Red", ann, on_guild, &g));
    int64_t gid = g.id;
    assert_int_equal(g.fee, 0);
    CALL(cw_store_guild_set_fee(s, gid, 500, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.fee, 500);
    CALL(cw_store_guild_set_fee(s, gid, -1, on_guild, &g));
    assert_int_equal(g.rc, CW_EINVAL);
    CALL(cw_store_guild_join(s, gid, bob, 0, on_guild, &g));

    CALL(cw_store_guild_delete(s, gid, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.name, "Red"); /* as it was */
    assert_int_equal(g.n, 2);
    assert_int_equal(raw(b, "SELECT count(*) FROM guilds"), 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_members"), 0);
    CALL(cw_store_guild_delete(s, gid, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);
    CALL(cw_store_guild_join(s, gid, bob, 0, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);
    CALL(cw_store_guild_set_fee(s, gid, 1, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);

    /* the name is free again; Bob may found a guild now */
    CALL(cw_store_guild_create(s, "RED", bob, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_true(g.id > gid);
    cw_store_close(s);
}

typedef struct invgot {
    int calls, rc;
    int64_t guild, character, expires;
    char gname[80], cname[40];
} invgot;

static void on_invite(void *ud, int rc, const cw_guild_invite *inv)
{
    invgot *o = ud;
    assert_non_null(inv);
    o->calls++;
    o->rc = rc;
    o->guild = inv->guild_id;
    o->character = inv->character_id;
    o->expires = inv->expires_at;
    snprintf(o->gname, sizeof o->gname, "%s", inv->guild_name);
    snprintf(o->cname, sizeof o->cname, "%s", inv->character_name);
}

#define INVITE(gid, who, name, exp)                                                                \
    do {                                                                                           \
        memset(&iv, 0, sizeof iv);                                                                 \
        cw_store_guild_invite(s, gid, who, name, exp, 0, on_invite, &iv);                          \
        assert_int_equal(iv.calls, 1);                                                             \
    } while (0)

/* Invites: kept per (guild, character), renewed by a second invite, refused
 * for unknown or guilded characters; accept consumes a live invite in the
 * join's transaction; an expired or absent one is refused. */
static void test_invites(void **state)
{
    backend *b = *state;
    cw_store *s = open_sync(b);
    int64_t acc = make_account(s);
    int64_t ann = make_char(s, acc, "Ann").id, bob = make_char(s, acc, "Bob").id,
            cid = make_char(s, acc, "Cid").id, dan = make_char(s, acc, "Dan").id;
    got g;
    invgot iv;
    CALL(cw_store_guild_create(s, "Owls", ann, on_guild, &g));
    int64_t gid = g.id;
    CALL(cw_store_guild_create(s, "Bats", dan, on_guild, &g));
    int64_t other = g.id;

    INVITE(gid, ann, "bob", 1000); /* case-insensitive name */
    assert_int_equal(iv.rc, 0);
    assert_int_equal(iv.guild, gid);
    assert_int_equal(iv.character, bob);
    assert_string_equal(iv.cname, "Bob");
    assert_string_equal(iv.gname, "Owls");
    assert_int_equal(iv.expires, 1000);
    INVITE(gid, ann, "Bob", 2000); /* renewed, still one row */
    assert_int_equal(iv.rc, 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_invites"), 1);
    assert_int_equal(raw(b, "SELECT expires_at FROM guild_invites"), 2000);
    INVITE(gid, ann, "Nobody", 1000);
    assert_int_equal(iv.rc, CW_ENOTFOUND);
    INVITE(gid, ann, "Dan", 1000); /* in a guild already */
    assert_int_equal(iv.rc, CW_EEXIST);
    INVITE(gid, ann, "", 1000);
    assert_int_equal(iv.rc, CW_EINVAL);
    INVITE(gid + 1000, ann, "Bob", 1000);
    assert_int_equal(iv.rc, CW_ENOTFOUND);

    /* no invite to Bats; an expired invite (now >= expires_at) is refused */
    CALL(cw_store_guild_accept(s, other, NULL, bob, 10, 0, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);
    CALL(cw_store_guild_accept(s, gid, NULL, bob, 2000, 0, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);
    CALL(cw_store_guild_accept(s, 0, "No Such", bob, 10, 0, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_members WHERE character_id > 0"), 2);

    /* accepted by name: joined and the invite gone */
    CALL(cw_store_guild_accept(s, 0, "owls", bob, 1999, 0, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.id, gid);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.members[1], "Bob:member");
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_invites"), 0);
    CALL(cw_store_guild_accept(s, gid, NULL, bob, 10, 0, on_guild, &g));
    assert_int_equal(g.rc, CW_EEXIST); /* a member already: said before the missing invite */

    /* an invitee who joined elsewhere meanwhile: in a guild, the invite stays */
    INVITE(gid, ann, "Cid", 1000);
    assert_int_equal(iv.rc, 0);
    INVITE(other, dan, "Cid", 1000);
    assert_int_equal(iv.rc, 0);
    CALL(cw_store_guild_accept(s, other, NULL, cid, 10, 0, on_guild, &g));
    assert_int_equal(g.rc, 0);
    CALL(cw_store_guild_accept(s, gid, NULL, cid, 10, 0, on_guild, &g));
    assert_int_equal(g.rc, CW_EEXIST);
    assert_int_equal(g.id, other);
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_invites"), 1);

    /* decline drops it; declining again finds none */
    CALL(cw_store_guild_decline(s, gid, NULL, cid, 10, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_invites"), 0);
    CALL(cw_store_guild_decline(s, gid, NULL, cid, 10, on_guild, &g));
    assert_int_equal(g.rc, CW_ENOTFOUND);

    /* deleting a guild drops its invites */
    CALL(cw_store_guild_remove(s, other, cid, on_guild, &g));
    INVITE(other, dan, "Cid", 1000);
    assert_int_equal(iv.rc, 0);
    CALL(cw_store_guild_delete(s, other, on_guild, &g));
    assert_int_equal(g.rc, 0);
    assert_int_equal(raw(b, "SELECT count(*) FROM guild_invites"), 0);
    cw_store_close(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_create_join_rank_leave, setup, teardown),
    cmocka_unit_test_setup_teardown(test_fee_and_delete, setup, teardown),
    cmocka_unit_test_setup_teardown(test_invites, setup, teardown),
};

STORE_FIXTURE_MAIN(tests)
