/* char_fixture.h — characters for the store tests that make, save and load
 * them (test_items.c, test_trade.c, test_ledger.c, test_guilds.c): one
 * answer type for every callback, a character made in the database, a save
 * that asserts it was answered exactly once, and q() for one-number SQL
 * checks. Include after store_fixture.h; everything is static inline (each
 * test file uses what it needs). */
#ifndef CW_TEST_STORE_CHAR_FIXTURE_H
#define CW_TEST_STORE_CHAR_FIXTURE_H

typedef struct answer {
    int calls, rc, n;
    int64_t id;
    int results[8];
    int nitems;
    int64_t uid[4], stack[4], version[4];
    char place[4][16];
} answer;

static inline void on_account(void *ud, int rc, const cw_account *acc)
{
    answer *a = ud;
    a->rc = rc;
    a->id = rc == 0 ? acc->id : 0;
}

static inline void on_char(void *ud, int rc, const cw_character *ch)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    a->id = rc == 0 ? ch->id : 0;
    a->nitems = rc == 0 ? ch->nitems : 0;
    for (int i = 0; rc == 0 && i < ch->nitems && i < 4; i++) {
        a->uid[i] = ch->items[i].uid;
        a->stack[i] = ch->items[i].stack;
        a->version[i] = ch->items[i].version;
        snprintf(a->place[i], sizeof a->place[i], "%s", ch->items[i].place);
    }
}

static inline void on_save(void *ud, int rc, const int *results, int n)
{
    answer *a = ud;
    a->calls++;
    a->rc = rc;
    a->n = n;
    for (int i = 0; i < n && i < 8; i++)
        a->results[i] = results[i];
}

static inline cw_character make_char(cw_store *s, int64_t account, const char *name)
{
    cw_character c = {.account_id = account,
                      .name = name,
                      .race = "elf",
                      .job = "mage",
                      .level = 1,
                      .zone = "forest",
                      .doc = "{\"gold\":0,\"exp\":0}"};
    answer a = {0};
    cw_store_character_create(s, &c, on_char, &a);
    assert_int_equal(a.rc, 0);
    c.id = a.id;
    c.version = 1;
    return c;
}

static inline long long q(const backend *b, const char *fmt, long long arg)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, arg);
    return raw(b, sql);
}

static inline int save(cw_store *s, cw_character *c, int n, answer *sv)
{
    memset(sv, 0, sizeof *sv);
    cw_store_characters_save(s, c, n, on_save, sv);
    assert_int_equal(sv->calls, 1);
    return sv->rc;
}

#endif
