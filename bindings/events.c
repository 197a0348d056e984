/* events.c — the event table of every hook, built from a plain
 * cw_hook_event (world.h). Players and entities become handles (nil when
 * they are gone); everything else is copied. One place, so chaosd and
 * chaosctl's offline world hand content exactly the same tables. */
#include "bindings/world_internal.h"

#include <lauxlib.h>
#include <string.h>

const char *const cw_hook_names[] = {"login",      "logout",       "enter_world", "enter_zone",
                                     "leave_zone", "kill",         "death",       "respawn",
                                     "level_up",   "interact",     "tick",        "chat_command",
                                     "trade",      "chat_channel", "commit"};
const int cw_hook_count = (int)(sizeof cw_hook_names / sizeof cw_hook_names[0]);

static void set_str(lua_State *L, const char *k, const char *v)
{
    if (!v) return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void set_player(lua_State *L, const char *k, int64_t char_id)
{
    cw_bind_push_player(L, char_id);
    lua_setfield(L, -2, k);
}

static void set_entity(lua_State *L, const char *k, int64_t id)
{
    cw_bind_push_entity(L, id);
    lua_setfield(L, -2, k);
}

/* The player, or else the entity, the event is about. */
static void set_subject(lua_State *L, const cw_hook_event *e)
{
    if (e->char_id)
        set_player(L, "player", e->char_id);
    else if (e->entity)
        set_entity(L, "entity", e->entity);
}

static void set_killer(lua_State *L, const cw_hook_event *e)
{
    if (e->killer_char)
        set_player(L, "killer", e->killer_char);
    else if (e->killer)
        set_entity(L, "killer", e->killer);
}

/* ev.veto = message (or true): the `trade` hook refuses the trade; any
 * other field is set as usual. */
static int trade_newindex(lua_State *L)
{
    const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    if (k && strcmp(k, "veto") == 0 && (lua_type(L, 3) == LUA_TSTRING || lua_toboolean(L, 3))) {
        const cw_bind_game *g = cw_bind_game_of(L);
        if (g && g->trade_veto)
            g->trade_veto(g->ud, lua_type(L, 3) == LUA_TSTRING ? lua_tostring(L, 3) : NULL);
    }
    lua_rawset(L, 1);
    return 0;
}

static void push_offer(lua_State *L, const cw_hook_offer *o)
{
    lua_createtable(L, 0, 4);
    set_player(L, "player", o->char_id);
    set_num(L, "character", (double)o->char_id);
    set_num(L, "gold", (double)o->gold);
    lua_createtable(L, o->nitems, 0);
    for (int i = 0; i < o->nitems; i++) {
        lua_createtable(L, 0, 3);
        set_num(L, "uid", (double)o->items[i].uid);
        set_str(L, "template", o->items[i].tmpl);
        set_num(L, "count", (double)o->items[i].count);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "items");
}

void cw_bind_push_event(lua_State *L, void *ud)
{
    const cw_hook_event *e = ud;
    const char *h = e->hook;
    lua_createtable(L, 0, 8);
    set_str(L, "hook", h);
    if (strcmp(h, "login") == 0) {
        set_num(L, "account", (double)e->account);
        set_str(L, "name", e->name);
    } else if (strcmp(h, "kill") == 0) {
        set_entity(L, "victim", e->entity);
        set_num(L, "entity", (double)e->entity);
        set_str(L, "template", e->template_id);
        set_str(L, "zone", e->zone);
        set_num(L, "x", e->x);
        set_num(L, "y", e->y);
        set_killer(L, e);
        lua_createtable(L, e->nshares, 0);
        for (int i = 0; i < e->nshares; i++) {
            lua_createtable(L, 0, 4);
            set_player(L, "player", e->shares[i].char_id); /* nil when not loaded */
            set_num(L, "character", (double)e->shares[i].char_id);
            set_num(L, "damage", e->shares[i].damage);
            set_num(L, "share", e->shares[i].share);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "contributors");
    } else if (strcmp(h, "death") == 0) {
        set_subject(L, e);
        set_killer(L, e);
        set_str(L, "zone", e->zone);
    } else if (strcmp(h, "respawn") == 0) {
        set_subject(L, e);
        set_str(L, "kind", e->char_id ? "player" : "monster");
        if (e->template_id && e->template_id[0]) set_str(L, "template", e->template_id);
    } else if (strcmp(h, "level_up") == 0) {
        set_subject(L, e);
        set_num(L, "level", e->level);
        if (e->old_level > 0) set_num(L, "from", e->old_level);
    } else if (strcmp(h, "commit") == 0) {
        set_subject(L, e);
        set_num(L, "character", (double)e->char_id);
        set_num(L, "token", (double)e->token);
        lua_pushboolean(L, e->ok);
        lua_setfield(L, -2, "ok");
    } else if (strcmp(h, "tick") == 0) {
        set_num(L, "players", e->players);
    } else if (strcmp(h, "chat_command") == 0) {
        set_subject(L, e);
        const char *t = e->text ? e->text : "";
        const char *word = t[0] == '/' ? t + 1 : t, *sp = strchr(word, ' ');
        lua_pushlstring(L, word, sp ? (size_t)(sp - word) : strlen(word));
        lua_setfield(L, -2, "command");
        set_str(L, "args", sp ? sp + 1 : "");
        set_str(L, "channel", e->channel);
        set_str(L, "text", t);
    } else if (strcmp(h, "chat_channel") == 0) {
        set_subject(L, e);
        set_str(L, "channel", e->channel);
        set_str(L, "text", e->text ? e->text : "");
    } else if (strcmp(h, "interact") == 0) {
        set_subject(L, e);
        set_entity(L, "target", e->entity);
        set_str(L, "kind", e->kind);
        set_str(L, "name", e->name);
        set_str(L, "action", e->action);
    } else if (strcmp(h, "trade") == 0 && e->offers) {
        set_player(L, "player", e->offers[0].char_id);
        set_player(L, "other", e->offers[1].char_id);
        lua_createtable(L, 2, 0);
        for (int i = 0; i < 2; i++) {
            push_offer(L, &e->offers[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "offers");
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, trade_newindex);
        lua_setfield(L, -2, "__newindex");
        lua_setmetatable(L, -2);
    } else { /* logout, enter_world, enter_zone, leave_zone */
        set_subject(L, e);
        set_str(L, "zone", e->zone);
    }
}
