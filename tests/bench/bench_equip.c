/* bench_equip.c — what an equip costs the server core: setting a stat source
 * (an item's 5 stats, the way `equip` adds `item:<uid>`) on a player in the
 * live battle, re-resolving its stats and refreshing its fighter and pools,
 * then taking it off again (unequip). Baseline in the same run: a re-resolve
 * of the same player with nothing changed (a buff set to the values it
 * already has is still a re-resolve). Rounds interleave the two.
 *
 * Prints one JSON line: ns per equip, per unequip, per baseline (medians of
 * the rounds). Release build: cmake --build build-rel --target bench_equip */
#include "core/base/clock.h"
#include "core/game/battle.h"
#include "core/game/content_load.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define N 20000
#define ROUNDS 7

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    cw_world_hooks h = {0};
    cw_world *w = cw_world_new(&h);
    cw_zoneset zs = {0};
    cw_error err = {0};
    json_t *zones = json_loads("{\"field\":{\"name\":\"F\",\"width\":1000,\"height\":1000,"
                               "\"view\":50,\"spawn\":{\"x\":500,\"y\":500},\"start\":true}}",
                               0, NULL);
    int defaulted = 0;
    if (cw_content_zones(zones, &zs, &defaulted, &err) || cw_world_set_zones(w, &zs, &err)) {
        fprintf(stderr, "zones: %s\n", err.msg);
        return 1;
    }
    cw_battle *b = NULL;
    cw_battle_config cfg = {.seed = 1};
    if (cw_battle_new(w, &cfg, &b, &err)) return 1;
    cw_battle_defs d = {
        .skills = json_loads("{\"strike\":{\"base_min\":1,\"base_max\":2,\"range\":3}}", 0, NULL),
        .monsters = json_object(),
        .races = json_loads("{\"human\":{\"stats\":{\"hp_max\":500,\"power\":10}}}", 0, NULL),
        .jobs = json_object(),
        .zones = zones};
    if (cw_battle_reload(b, &d, 0, &err)) return 1;
    cw_entity_init in = {CW_ENT_PLAYER, 1, 1, "p", "field", 500, 500, 10};
    cw_entity *e = NULL;
    if (cw_world_add(w, &in, 0, &e) || cw_battle_join(b, e, "human", "", &err)) return 1;
    cw_buff_stats item = {0};
    const char *names[] = {"power", "defense", "hp_max", "crit_rate", "accuracy"};
    for (int i = 0; i < 5; i++)
        cw_stat_list_add(&item.flat, names[i], 3 + i);
    double eq[ROUNDS], uneq[ROUNDS], base[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = cw_now_ns();
        for (int i = 0; i < N; i++) /* baseline: the same values again */
            cw_battle_buff_add(b, e->id, "item:7", &item, 0, 0, NULL);
        uint64_t t1 = cw_now_ns();
        double on = 0, off = 0;
        for (int i = 0; i < N; i++) {
            uint64_t a = cw_now_ns();
            cw_battle_buff_remove(b, e->id, "item:7");
            uint64_t m = cw_now_ns();
            cw_battle_buff_add(b, e->id, "item:7", &item, 0, 0, NULL);
            uint64_t z = cw_now_ns();
            off += (double)(m - a);
            on += (double)(z - m);
        }
        base[r] = (double)(t1 - t0) / N;
        eq[r] = on / N;
        uneq[r] = off / N;
    }
    qsort(eq, ROUNDS, sizeof *eq, cmp);
    qsort(uneq, ROUNDS, sizeof *uneq, cmp);
    qsort(base, ROUNDS, sizeof *base, cmp);
    printf("{\"equip_ns\":%.0f,\"unequip_ns\":%.0f,\"same_values_ns\":%.0f,\"rounds\":%d,"
           "\"per_round\":%d}\n",
           eq[ROUNDS / 2], uneq[ROUNDS / 2], base[ROUNDS / 2], ROUNDS, N);
    json_decref(d.skills);
    json_decref(d.monsters);
    json_decref(d.races);
    json_decref(d.jobs);
    json_decref(zones);
    cw_battle_free(b, 0);
    cw_world_free(w);
    return 0;
}
