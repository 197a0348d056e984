/* host.h — the Lua host: content generations, op handlers, timers, budgets.
 *
 * A *generation* is one LuaJIT state that has run the engine runtime
 * (`scripts/`, every module required in path order) and then every file of
 * `content/` (sorted by path), with the `chaos` module opened by the binding
 * opener the app supplies. Scripts register op handlers and timers into the
 * generation that is loading them.
 *
 * Reload builds the next generation beside the live one. If any file fails,
 * the new one is thrown away and every error ("file:line: message") is
 * returned; the live one keeps serving. Otherwise it is swapped in: the old
 * generation's timers are cancelled and its state closed, so no old code runs
 * after the swap. Connections are not touched.
 *
 * Every call into Lua (a file, a handler, a timer) runs under a time budget
 * enforced by an instruction-count hook that checks a monotonic deadline; the
 * JIT compiler is off by default because LuaJIT does not run hooks inside
 * compiled traces (see docs/content-guide.md, "Runaway scripts").
 *
 * Ownership: cw_host owns its generations and their states. Loop thread only.
 * Functions return 0 or a negative CW_E* code with a message in err. */
#ifndef CW_SCRIPT_HOST_H
#define CW_SCRIPT_HOST_H

#include "core/base/err.h"
#include "core/base/metrics.h"
#include "core/base/strbuf.h"

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct lua_State;
typedef struct cw_host cw_host;
typedef struct cw_gen cw_gen;

/* Opens the `chaos` module in a fresh state (bindings/bindings.h). */
typedef int (*cw_host_open_fn)(struct lua_State *L, void *ctx);

typedef struct cw_host_config {
    const char *scripts_dir;
    const char *content_dir;
    int budget_ms;            /* per call into Lua */
    int load_budget_ms;       /* per file while loading a generation */
    int jit;                  /* 1 = LuaJIT compiler on (no runaway protection in traces) */
    uint64_t seed;            /* seeds chaos.random */
    struct event_base *base;  /* NULL = offline: timers run only through cw_host_advance */
    cw_metrics *metrics;      /* may be NULL */
    cw_host_open_fn open;
    void *open_ctx;
} cw_host_config;

/* Builds the first generation. On failure returns NULL and puts every load
 * error, one per line, into err->msg (truncated to fit). */
cw_host *cw_host_new(const cw_host_config *cfg, cw_error *err);
void cw_host_free(cw_host *h);

/* Reloads from disk. Returns 0 when swapped in; CW_ESCRIPT when refused, with
 * every error appended to errors (one "file:line: message" per line). */
int cw_host_reload(cw_host *h, cw_strbuf *errors);

/* The outcome of one op call. */
typedef struct cw_op_result {
    int ok;             /* 1: body holds a JSON object; 0: code/message set */
    char code[64];      /* stable error code: "internal", "script_timeout", or the script's own */
    cw_strbuf body;     /* response members as a JSON object text */
    cw_strbuf message;  /* error message for the client (no internals) */
} cw_op_result;

int cw_host_has_op(const cw_host *h, const char *op);
/* Calls the live generation's handler for op with the raw JSON payload (an
 * object; decoded with lua-cjson inside). conn_id is handed to the script as
 * ctx.conn. Returns 0 when a result was produced (ok or not) — script errors
 * are results, logged with file, line and traceback; CW_ENOTFOUND if no such
 * op. res must be zeroed by the caller and released with cw_op_result_free. */
int cw_host_call_op(cw_host *h, const char *op, const char *payload, size_t len,
                    uint64_t conn_id, cw_op_result *res);
void cw_op_result_free(cw_op_result *res);

/* Content definitions: the runtime (scripts/content/defs.lua) keeps every
 * definition in a table stored in the Lua registry under CW_HOST_DEFS_KEY,
 * shaped {kind = {id = def, …}, …} ("race", "job", …). Returns 1 when the
 * live generation defines kind `kind` with id `id`, else 0 (also without a
 * live generation or registry table). Never calls into Lua code. */
#define CW_HOST_DEFS_KEY "chaos.defs"
int cw_host_has_def(const cw_host *h, const char *kind, const char *id);
/* Appends the live generation's definitions of one kind to out as a JSON
 * object {id: def, …} (lua-cjson encoding; "{}" when there are none). An
 * empty Lua table inside a def encodes as {}. CW_ESTATE without a live
 * generation, CW_ESCRIPT when a def holds something JSON cannot carry (a
 * function, …; message in err); out is then unchanged. */
int cw_host_defs_json(cw_host *h, const char *kind, cw_strbuf *out, cw_error *err);

/* Names of the live generation's ops, comma-separated, appended to out. */
void cw_host_list_ops(const cw_host *h, cw_strbuf *out);

unsigned cw_host_generation(const cw_host *h); /* 1 for the first, +1 per successful reload */
size_t cw_host_lua_memory(const cw_host *h);   /* bytes in the live state */
uint64_t cw_host_errors(const cw_host *h);     /* Lua errors since start */

/* Offline clock: advances the host clock by seconds and runs every timer that
 * falls due, in due order. Online hosts use the event loop instead and this
 * returns CW_ESTATE. */
int cw_host_advance(cw_host *h, double seconds, cw_error *err);

/* Runs a Lua file in the live generation (offline tools, `chaosctl script`),
 * with the load budget. Errors (with traceback) go to err. */
int cw_host_run_file(cw_host *h, const char *path, cw_error *err);

/* --- for bindings/host.c: the generation a Lua state belongs to --- */
cw_gen *cw_gen_of(struct lua_State *L);
/* Registers fn (at stack index idx) as the handler of op; replaces an earlier
 * handler of the same generation. Ops already handled in C are refused. */
int cw_gen_on_op(cw_gen *g, const char *op, int idx, cw_error *err);
/* Adds a timer calling fn (at idx) after `seconds`, and then every `seconds`
 * when repeat. Returns a positive timer id, or a negative code. */
int cw_gen_add_timer(cw_gen *g, double seconds, int repeat, int idx, cw_error *err);
int cw_gen_cancel_timer(cw_gen *g, int id);
double cw_gen_now(cw_gen *g);            /* host clock, seconds */
int cw_gen_set_clock(cw_gen *g, double t); /* offline only: CW_ESTATE online */
uint64_t cw_gen_random(cw_gen *g);       /* next 64 bits of the host RNG */
int cw_gen_seed(cw_gen *g, uint64_t seed); /* offline only */
unsigned cw_gen_number(cw_gen *g);
/* Offline only: advances the host clock, firing due timers (cw_host_advance). */
int cw_gen_advance(cw_gen *g, double seconds, cw_error *err);
/* Op names C answers itself (hello, ping, …): scripts may not take them. */
void cw_host_reserve_op(cw_host *h, const char *op);

#endif
