/* grid.c — uniform grid of entity ids. Each cell keeps its entries in one
 * array (position, id, payload side by side), so a query reads a few short
 * runs of memory instead of following a list through scattered slots; the
 * index maps each id to its cell and place in it. Insert, move and remove
 * are O(1) (a removal moves the cell's last entry into the hole). */
#include "core/sim/space/space.h"

#include <math.h>
#include <stdlib.h>

#define MAX_CELLS (4 * 1024 * 1024) /* a grid that large is a content mistake */

typedef struct entry {
    double x, y;
    int64_t id;
    void *data; /* the caller's payload */
} entry;

typedef struct cell {
    entry *v;
    uint32_t n, cap;
} cell;

struct cw_grid {
    double width, height, cell;
    int cols, rows;
    cell *cells;
    size_t count;
    cw_idmap index; /* id → where (see at()) */
};

/* The index value of the entry at v[i] of cell c. */
static int64_t at(int c, uint32_t i)
{
    return (int64_t)c << 32 | (int64_t)i;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int col_of(const cw_grid *g, double x)
{
    double c = floor(x / g->cell);
    if (!(c >= 0)) return 0; /* also NaN */
    return c >= g->cols ? g->cols - 1 : (int)c;
}

static int row_of(const cw_grid *g, double y)
{
    double r = floor(y / g->cell);
    if (!(r >= 0)) return 0;
    return r >= g->rows ? g->rows - 1 : (int)r;
}

static int cell_of(const cw_grid *g, double x, double y)
{
    return row_of(g, y) * g->cols + col_of(g, x);
}

cw_grid *cw_grid_new(double width, double height, double cell_size)
{
    if (!(width > 0) || !(height > 0) || !(cell_size > 0) || !isfinite(width) ||
        !isfinite(height) || !isfinite(cell_size))
        return NULL;
    double cols = ceil(width / cell_size), rows = ceil(height / cell_size);
    if (cols * rows > MAX_CELLS) return NULL;
    cw_grid *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->width = width;
    g->height = height;
    g->cell = cell_size;
    g->cols = cols < 1 ? 1 : (int)cols;
    g->rows = rows < 1 ? 1 : (int)rows;
    g->cells = calloc((size_t)g->cols * (size_t)g->rows, sizeof *g->cells);
    if (!g->cells) {
        free(g);
        return NULL;
    }
    cw_idmap_init(&g->index);
    return g;
}

void cw_grid_free(cw_grid *g)
{
    if (!g) return;
    cw_idmap_free(&g->index);
    for (int i = 0; i < g->cols * g->rows; i++)
        free(g->cells[i].v);
    free(g->cells);
    free(g);
}

size_t cw_grid_count(const cw_grid *g)
{
    return g->count;
}

/* Room for one more entry in cell c. */
static int reserve(cell *c)
{
    if (c->n < c->cap) return 0;
    uint32_t cap = c->cap ? c->cap * 2 : 4;
    entry *v = realloc(c->v, sizeof *v * cap);
    if (!v) return CW_ENOMEM;
    c->v = v;
    c->cap = cap;
    return 0;
}

/* Takes v[i] out of cell ci: the last entry fills the hole (its index
 * updated). A cell keeps its array when emptied (players walk in and out
 * all the time); the grid frees them all at the end. */
static void take(cw_grid *g, int ci, uint32_t i)
{
    cell *c = &g->cells[ci];
    uint32_t last = --c->n;
    if (i != last) {
        c->v[i] = c->v[last];
        cw_idmap_put(&g->index, c->v[i].id, at(ci, i)); /* replaces: cannot fail */
    }
}

int cw_grid_insert(cw_grid *g, int64_t id, double x, double y)
{
    return cw_grid_insert_data(g, id, x, y, NULL);
}

int cw_grid_insert_data(cw_grid *g, int64_t id, double x, double y, void *data)
{
    if (id <= 0 || !isfinite(x) || !isfinite(y)) return CW_EINVAL;
    if (cw_idmap_get(&g->index, id, NULL)) return CW_EEXIST;
    int ci = cell_of(g, x, y);
    cell *c = &g->cells[ci];
    int rc = reserve(c);
    if (rc == 0) rc = cw_idmap_put(&g->index, id, at(ci, c->n));
    if (rc) return rc;
    c->v[c->n++] = (entry){x, y, id, data};
    g->count++;
    return 0;
}

int cw_grid_move(cw_grid *g, int64_t id, double x, double y)
{
    int64_t where;
    if (!isfinite(x) || !isfinite(y)) return CW_EINVAL;
    if (!cw_idmap_get(&g->index, id, &where)) return CW_ENOTFOUND;
    int from = (int)(where >> 32), to = cell_of(g, x, y);
    uint32_t i = (uint32_t)where;
    if (from == to) {
        g->cells[from].v[i].x = x;
        g->cells[from].v[i].y = y;
        return 0;
    }
    cell *c = &g->cells[to];
    int rc = reserve(c);
    if (rc) return rc; /* stays where it was */
    entry e = g->cells[from].v[i];
    e.x = x;
    e.y = y;
    take(g, from, i);
    c->v[c->n] = e;
    cw_idmap_put(&g->index, id, at(to, c->n)); /* replaces: cannot fail */
    c->n++;
    return 0;
}

int cw_grid_remove(cw_grid *g, int64_t id)
{
    int64_t where;
    if (!cw_idmap_get(&g->index, id, &where)) return CW_ENOTFOUND;
    cw_idmap_del(&g->index, id);
    take(g, (int)(where >> 32), (uint32_t)where);
    g->count--;
    return 0;
}

/* Both queries: the entries within r of (x,y), as ids (ids != NULL) or hits. */
static int scan(const cw_grid *g, double x, double y, double r, int64_t *ids, cw_grid_hit *hits,
                int max)
{
    if (!(r >= 0) || !isfinite(x) || !isfinite(y)) return 0;
    int c0 = clampi(col_of(g, x - r), 0, g->cols - 1), c1 = col_of(g, x + r);
    int r0 = clampi(row_of(g, y - r), 0, g->rows - 1), r1 = row_of(g, y + r);
    double r2 = r * r;
    int n = 0;
    for (int row = r0; row <= r1; row++)
        for (int col = c0; col <= c1; col++) {
            const cell *c = &g->cells[row * g->cols + col];
            for (uint32_t k = 0; k < c->n; k++) {
                const entry *s = &c->v[k];
                double dx = s->x - x, dy = s->y - y;
                if (dx * dx + dy * dy <= r2) {
                    if (n < max) {
                        if (ids)
                            ids[n] = s->id;
                        else
                            hits[n] = (cw_grid_hit){s->id, s->data};
                    }
                    n++;
                }
            }
        }
    return n;
}

int cw_grid_query(const cw_grid *g, double x, double y, double r, int64_t *out, int max)
{
    return scan(g, x, y, r, out, NULL, max);
}

int cw_grid_query_hits(const cw_grid *g, double x, double y, double r, cw_grid_hit *out, int max)
{
    return scan(g, x, y, r, NULL, out, max);
}
