/* ctl_world.h — the offline world of `chaosctl script`: a cw_world, a
 * cw_battle and a cw_players table run by the host's offline clock, the
 * cw_bind_game table the `chaos.world` binding calls (bindings/world.h), an
 * in-memory store that commits queued value transactions, and `chaos.sim`,
 * the designer's handle on it (spawn players and monsters, make kills
 * happen, advance the clock, commit, read what a player was sent and what
 * the store holds). Hooks fire as chaosd fires them.
 *
 *   ctl_world.c        lifecycle, the lazy build from the live generation's
 *                      defs, the clock (battle at 20 Hz, `tick` once a
 *                      simulated second), the hook queue
 *   ctl_world_game.c   the cw_bind_game table, the world's and the battle's
 *                      events
 *   ctl_world_store.c  events sent to players, the in-memory store, commits
 *   ctl_sim.c          chaos.sim (Lua): players, monsters, clock, store, chat,
 *                      interact, ops
 *   ctl_sim_fight.c    chaos.sim.kill and chaos.sim.hit
 *   ctl_sim_args.c     argument checking shared by them
 *
 * The world is built on the first chaos.sim call (so a test file may declare
 * definitions first); until then chaos.world sees an empty world.
 *
 * Ownership: ctl_world owns the world, battle, players, store and queues; the
 * host is borrowed (ctl_world_attach). Free the host first (its Lua state
 * holds the bind table), then the world. Single thread (chaosctl's).
 * chaos.sim functions raise Lua errors naming the function and argument. */
#ifndef CW_TOOLS_CTL_WORLD_H
#define CW_TOOLS_CTL_WORLD_H

#include "core/script/host.h"

#include <stdint.h>

struct lua_State;
typedef struct ctl_world ctl_world;

/* seed: the battle's seed (chaosctl's --seed). NULL when out of memory. */
ctl_world *ctl_world_new(uint64_t seed);
/* Frees everything; call after cw_host_free. */
void ctl_world_free(ctl_world *w);
/* For cw_host_config: .open = ctl_world_open, .open_ctx = ctl_world_ctx(w).
 * ctl_world_open opens the `chaos` module (cw_bindings_open) with the world's
 * cw_bind_game and adds chaos.sim to it. */
void *ctl_world_ctx(ctl_world *w);
int ctl_world_open(struct lua_State *L, void *ctx);
/* The host that runs the world's content (after cw_host_new). */
void ctl_world_attach(ctl_world *w, cw_host *h);

#endif
