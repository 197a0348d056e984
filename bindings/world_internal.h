/* world_internal.h — shared between the files of the chaos.world binding
 * (world.c: handles; world_api.c: queries and actions; data.c: per-character
 * data; txn.c: the transaction primitive). Not for anyone else. */
#ifndef CW_BINDINGS_WORLD_INTERNAL_H
#define CW_BINDINGS_WORLD_INTERNAL_H

#include "bindings/world.h"

#include <lua.h>

#define CW_PLAYER_MT "chaos.player"
#define CW_ENTITY_MT "chaos.entity"

typedef struct handle_t {
    int64_t id; /* character id (player) or entity id */
    int player; /* 1: a player handle */
} handle_t;

/* The game table, raising when there is none or the generation is loading. */
const cw_bind_game *cw_bind_live(lua_State *L, const char *fname);
/* The handle at idx (raises naming fname otherwise). want_player: players only. */
handle_t *cw_bind_check_handle(lua_State *L, int idx, const char *fname, int want_player);
/* The live player / entity of a handle, raising "… is gone" otherwise. */
cw_player *cw_bind_player(lua_State *L, const cw_bind_game *g, const handle_t *h);
cw_entity *cw_bind_entity(lua_State *L, const cw_bind_game *g, const handle_t *h);
/* A {stat = number} table at idx as FLAT contributions, raising naming fname. */
void cw_bind_stat_list(lua_State *L, int idx, const char *fname, cw_stat_list *l);
/* The zone index of a zone id, raising naming fname when unknown. */
int cw_bind_zone(lua_State *L, const cw_bind_game *g, int idx, const char *fname);

void cw_bind_world_queries(lua_State *L, int world);
void cw_bind_world_actions(lua_State *L, int world);
void cw_bind_handle_methods(lua_State *L, int methods);
void cw_bind_data_methods(lua_State *L, int methods);
/* chaos.data_version and the private transaction primitive; the call-end step. */
int cw_bind_data_open(lua_State *L, int chaos);
/* items.c: player:items(), player:item(uid); after cw_bind_data_open, the
 * private item_place / item_stats; and the item operations of
 * private.commit (the table at idx: array of {op = "create", template,
 * count, max_stack, props} / {op = "destroy", uid, count}; raises on a bad
 * one; strings stay valid while that table lives). Returns the count. */
void cw_bind_item_methods(lua_State *L, int methods);
void cw_bind_items_open(lua_State *L);
/* zones.c: after cw_bind_data_open, the private add_zone / remove_zone. */
void cw_bind_zones_open(lua_State *L);
int cw_bind_txn_items(lua_State *L, int idx, struct cw_txn_item *out, int max);

#endif
