/* monsters.c — monster spawning and the per-tick state machine (monsters.h). */
#include "core/game/monsters.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEAR_MAX 256
#define MAX_STEP_S 0.25 /* a late tick never moves a monster more than this much time */

struct cw_monsters {
    cw_world *w;
    cw_stats_registry *reg;
    const cw_combat_content *c;
    cw_monster_hooks h;
    void (*respawned)(void *ud, cw_monster *m, cw_entity *e);
    cw_monster **v;
    int n, cap;
    int ticking, nremoved;
    int64_t near[NEAR_MAX];
};

cw_monsters *cw_monsters_new(cw_world *w, cw_stats_registry *reg, const cw_combat_content *c,
                             const cw_monster_hooks *h)
{
    cw_monsters *ms = calloc(1, sizeof *ms);
    if (!ms) return NULL;
    ms->w = w;
    ms->reg = reg;
    ms->c = c;
    if (h) ms->h = *h;
    return ms;
}

void cw_monsters_on_respawn(cw_monsters *ms, void (*fn)(void *ud, cw_monster *m, cw_entity *e))
{
    ms->respawned = fn;
}

static void despawn(cw_monsters *ms, cw_monster *m, int world_gone)
{
    if (!m->entity) return;
    if (!world_gone) {
        cw_entity *e = cw_world_get(ms->w, m->entity);
        if (e) e->data = NULL;
        cw_world_remove(ms->w, m->entity);
    }
    m->entity = 0;
}

static void drop(cw_monsters *ms, cw_monster *m, int world_gone)
{
    despawn(ms, m, world_gone);
    cw_combatant_free(&m->cb);
    free(m);
}

static void drop_all(cw_monsters *ms, int world_gone)
{
    for (int i = 0; i < ms->n; i++)
        drop(ms, ms->v[i], world_gone);
    ms->n = 0;
    ms->nremoved = 0;
}

/* Frees the monsters removed during a tick, keeping the others' order. */
static void compact(cw_monsters *ms)
{
    if (!ms->nremoved) return;
    int k = 0;
    for (int i = 0; i < ms->n; i++) {
        if (ms->v[i]->removed)
            drop(ms, ms->v[i], 0);
        else
            ms->v[k++] = ms->v[i];
    }
    ms->n = k;
    ms->nremoved = 0;
}

void cw_monsters_remove(cw_monsters *ms, cw_monster *m)
{
    if (!ms || !m || m->removed) return;
    despawn(ms, m, 0);
    m->removed = 1;
    ms->nremoved++;
    if (!ms->ticking) compact(ms);
}

void cw_monsters_clear(cw_monsters *ms)
{
    if (ms) drop_all(ms, 0);
}

void cw_monsters_free(cw_monsters *ms, int world_gone)
{
    if (!ms) return;
    drop_all(ms, world_gone);
    free(ms->v);
    free(ms);
}

int cw_monsters_count(const cw_monsters *ms)
{
    return ms->n;
}

cw_monster *cw_monsters_at(cw_monsters *ms, int i)
{
    return i >= 0 && i < ms->n ? ms->v[i] : NULL;
}

cw_monster *cw_monsters_of(cw_monsters *ms, int64_t entity)
{
    cw_entity *e = entity > 0 ? cw_world_get(ms->w, entity) : NULL;
    if (!e || e->kind != CW_ENT_MONSTER || !e->data) return NULL;
    return ((cw_combatant *)e->data)->owner;
}

/* Puts m's entity in the world at home with full hp; observers get `enter`. */
static int spawn(cw_monsters *ms, cw_monster *m, uint64_t now_ns)
{
    const cw_zone *z = &cw_world_zones(ms->w)->v[m->zone];
    cw_entity_init in = {.kind = CW_ENT_MONSTER,
                         .name = m->def.name,
                         .zone = z->id,
                         .x = m->home_x,
                         .y = m->home_y,
                         .speed = m->def.move_speed};
    cw_entity *e = NULL;
    int rc = cw_world_add(ms->w, &in, now_ns, &e);
    if (rc) return rc;
    cw_combatant_restore(&m->cb, ms->c);
    m->cb.owner = m;
    e->data = &m->cb;
    m->entity = e->id;
    m->state = CW_MON_IDLE;
    m->target = 0;
    m->nkillers = 0;
    m->ready_ns = now_ns;
    m->died_ns = 0;
    m->last_ns = now_ns;
    return cw_world_show(ms->w, e);
}

int cw_monsters_add(cw_monsters *ms, const cw_monster_def *def, int zi, double x, double y,
                    uint64_t now_ns, cw_error *err)
{
    return cw_monsters_spawn(ms, def, zi, x, y, now_ns, NULL, err);
}

int cw_monsters_spawn(cw_monsters *ms, const cw_monster_def *def, int zi, double x, double y,
                      uint64_t now_ns, cw_monster **out, cw_error *err)
{
    const cw_zoneset *zs = cw_world_zones(ms->w);
    if (zi < 0 || zi >= zs->n || !cw_zone_standable(&zs->v[zi], x, y))
        return cw_error_set(err, CW_EINVAL, "monster '%s': spawn point is not standable", def->id);
    if (ms->n == ms->cap) {
        int cap = ms->cap ? ms->cap * 2 : 16;
        cw_monster **v = realloc(ms->v, sizeof *v * (size_t)cap);
        if (!v) return cw_error_set(err, CW_ENOMEM, "out of memory");
        ms->v = v;
        ms->cap = cap;
    }
    cw_monster *m = calloc(1, sizeof *m);
    if (!m) return cw_error_set(err, CW_ENOMEM, "out of memory");
    m->def = *def;
    m->zone = zi;
    m->home_x = x;
    m->home_y = y;
    snprintf(m->zone_id, sizeof m->zone_id, "%s", zs->v[zi].id);
    const char *names[] = {"monster"};
    const cw_stat_list *lists[] = {&m->def.stats};
    int rc = cw_combatant_init(&m->cb, ms->reg, ms->c, names, lists, 1, err);
    if (rc == 0 && m->def.move_speed <= 0) m->def.move_speed = m->cb.num.move_speed;
    if (rc == 0) rc = spawn(ms, m, now_ns);
    if (rc) {
        despawn(ms, m, 0);
        cw_combatant_free(&m->cb);
        free(m);
        return err && err->code ? rc : cw_error_set(err, rc, "monster '%s': cannot spawn", def->id);
    }
    ms->v[ms->n++] = m;
    if (out) *out = m;
    return 0;
}

void cw_monster_hit_by(cw_monster *m, int64_t char_id, double damage)
{
    if (!(damage > 0)) damage = 0;
    for (int i = 0; i < m->nkillers; i++)
        if (m->killers[i] == char_id) {
            m->dealt[i] += damage;
            return;
        }
    if (m->nkillers < CW_MONSTER_MAX_KILLERS) {
        m->killers[m->nkillers] = char_id;
        m->dealt[m->nkillers++] = damage;
    }
}

void cw_monsters_killed(cw_monsters *ms, cw_monster *m, uint64_t now_ns)
{
    (void)ms;
    m->state = CW_MON_DEAD;
    m->died_ns = now_ns;
    m->target = 0;
    m->cb.dead = 1;
    m->cb.dead_ns = now_ns;
    m->cb.casting = 0;
}

/* ---- behaviour ------------------------------------------------------------------------ */

static double dist(double x0, double y0, double x1, double y1)
{
    return hypot(x1 - x0, y1 - y0);
}

static int targetable(cw_monsters *ms, const cw_monster *m, const cw_entity *p)
{
    if (!p || p->kind != CW_ENT_PLAYER || p->zone != m->zone) return 0;
    if (cw_zone_is_safe(&cw_world_zones(ms->w)->v[p->zone], p->x, p->y)) return 0;
    if (dist(p->x, p->y, m->home_x, m->home_y) > m->def.leash) return 0;
    return ms->h.targetable ? ms->h.targetable(ms->h.ud, p) : 1;
}

static cw_entity *nearest_player(cw_monsters *ms, const cw_monster *m, const cw_entity *e)
{
    int n = cw_world_query(ms->w, m->zone, e->x, e->y, m->def.aggro, ms->near, NEAR_MAX);
    if (n > NEAR_MAX) n = NEAR_MAX;
    cw_entity *best = NULL;
    double bd = INFINITY;
    for (int i = 0; i < n; i++) {
        cw_entity *p = cw_world_get(ms->w, ms->near[i]);
        if (!targetable(ms, m, p)) continue;
        double d = dist(e->x, e->y, p->x, p->y);
        if (d < bd || (d == bd && p->id < best->id)) {
            bd = d;
            best = p;
        }
    }
    return best;
}

/* Steps e toward (tx,ty), stopping `keep` short of it. 1 when it arrived. */
static int step_toward(cw_monsters *ms, cw_monster *m, cw_entity *e, double tx, double ty,
                       double keep, double dt)
{
    double d = dist(e->x, e->y, tx, ty);
    double want = d - keep;
    if (want <= 1e-9) return 1;
    double step = m->def.move_speed * dt;
    if (step <= 0) return 0;
    int arrive = step >= want;
    if (arrive) step = want;
    double nx = e->x + (tx - e->x) * step / d, ny = e->y + (ty - e->y) * step / d;
    const cw_zone *z = &cw_world_zones(ms->w)->v[m->zone];
    if (!cw_zone_standable(z, nx, ny) || cw_zone_is_safe(z, nx, ny) || cw_zone_portal_at(z, nx, ny))
        return 0; /* stuck at an edge: wait (no path finding yet) */
    for (int i = 0; i < z->nblocked; i++)
        if (cw_segment_hits_rect(e->x, e->y, nx, ny, &z->blocked[i])) return 0;
    cw_world_relocate(ms->w, e, nx, ny);
    return arrive;
}

static void go_home(cw_monsters *ms, cw_monster *m)
{
    m->state = CW_MON_RETURN;
    m->target = 0;
    m->nkillers = 0;
    cw_combatant_restore(&m->cb, ms->c);
}

static void tick_one(cw_monsters *ms, cw_monster *m, uint64_t now_ns)
{
    double dt = now_ns > m->last_ns ? (double)(now_ns - m->last_ns) / 1e9 : 0;
    if (dt > MAX_STEP_S) dt = MAX_STEP_S;
    m->last_ns = now_ns;
    if (m->state == CW_MON_DEAD) {
        double since = now_ns > m->died_ns ? (double)(now_ns - m->died_ns) / 1e9 : 0;
        if (m->entity && since >= CW_MONSTER_CORPSE_S) despawn(ms, m, 0);
        if (m->once && since >= CW_MONSTER_CORPSE_S) {
            cw_monsters_remove(ms, m);
            return;
        }
        if (since >= m->def.respawn_s && since >= CW_MONSTER_CORPSE_S) {
            despawn(ms, m, 0);
            /* on failure: retried next tick */
            if (spawn(ms, m, now_ns) == 0 && ms->respawned) {
                cw_entity *e = cw_world_get(ms->w, m->entity);
                if (e) ms->respawned(ms->h.ud, m, e);
            }
        }
        return;
    }
    cw_entity *e = cw_world_get(ms->w, m->entity);
    if (!e) return;
    e->focus = m->target; /* as of the last tick: whom it chases (0 on its way home) */
    if (m->state == CW_MON_RETURN) {
        if (step_toward(ms, m, e, m->home_x, m->home_y, 0, dt)) m->state = CW_MON_IDLE;
        return;
    }
    if (m->state == CW_MON_IDLE) {
        cw_entity *p = nearest_player(ms, m, e);
        if (!p) return;
        m->state = CW_MON_CHASE;
        m->target = p->id;
    }
    /* CHASE */
    cw_entity *t = cw_world_get(ms->w, m->target);
    if (dist(e->x, e->y, m->home_x, m->home_y) > m->def.leash || !targetable(ms, m, t)) {
        go_home(ms, m);
        return;
    }
    double range = m->def.skill ? m->def.skill->range : 0;
    double d = dist(e->x, e->y, t->x, t->y);
    if (d <= range) {
        if (now_ns >= m->ready_ns && ms->h.attack && ms->h.attack(ms->h.ud, m, e, t, now_ns) == 0)
            m->ready_ns = now_ns + (uint64_t)(m->def.skill->cooldown * 1e9);
        return;
    }
    step_toward(ms, m, e, t->x, t->y, range * 0.8, dt);
}

int cw_monster_provoke(cw_monsters *ms, cw_monster *m, int64_t target)
{
    if (m->state == CW_MON_DEAD || !m->entity) return CW_ESTATE;
    if (!targetable(ms, m, cw_world_get(ms->w, target))) return CW_EINVAL;
    m->state = CW_MON_CHASE;
    m->target = target;
    return 0;
}

void cw_monsters_tick(cw_monsters *ms, uint64_t now_ns)
{
    ms->ticking++;
    for (int i = 0; i < ms->n; i++)
        if (!ms->v[i]->removed) tick_one(ms, ms->v[i], now_ns);
    if (--ms->ticking == 0) compact(ms);
}
