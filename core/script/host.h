/* host.h — the Lua host: content generations, op handlers, timers, budgets.
 *
 * A *generation* is one LuaJIT state that has run the engine runtime
 * (`scripts/`, every module required in path order) and then every file of
 * `content/` (sorted by path), with the `chaos` module opened by the binding
 * opener the app supplies. Scripts register op handlers and timers into the
 * generation that is loading them.
 *
 * Engine scripts run with the full Lua environment. Every content file runs
 * in a sandbox environment of its own (sandbox.c; docs/content-guide.md):
 * no io, os beyond time/clock/date, debug, jit, ffi, package, bytecode, or
 * modules other than the engine's and content's own.
 *
 * Reload builds the next generation beside the live one. If any file fails,
 * the new one is thrown away and every error ("file:line: message") is
 * returned; the live one keeps serving. Otherwise it is swapped in: the old
 * generation's timers are cancelled and its state closed, so no old code runs
 * after the swap. Connections are not touched. cw_host_reload_async builds
 * on a worker thread (its own state, so the loop keeps serving) and swaps on
 * the loop; the first load and cw_host_reload build on the calling thread.
 *
 * Every call into Lua (a file, a handler, a timer) runs under a time budget
 * enforced by an instruction-count hook that checks a monotonic deadline; the
 * JIT compiler is off by default because LuaJIT does not run hooks inside
 * compiled traces (see docs/content-guide.md, "Runaway scripts"). Each state
 * has a memory cap (memory_mb): past it, an allocation made while Lua code
 * runs fails with a Lua error ("not enough memory"); the handler answers
 * "out_of_memory" and the server keeps serving.
 *
 * Ownership: cw_host owns its generations and their states. Loop thread only
 * (the thread that called cw_host_new); a building generation runs on the
 * reload worker and reaches the host only through the cw_gen_* functions
 * below, which are safe there (the app's open function runs there too: it
 * must only build the module table, touching no live-world state).
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
    int budget_ms;           /* per call into Lua */
    int load_budget_ms;      /* per file while loading a generation */
    int jit;                 /* 1 = LuaJIT compiler on (no runaway protection in traces) */
    int memory_mb;           /* cap of each generation's state (0 = 256) */
    uint64_t seed;           /* seeds chaos.random */
    struct event_base *base; /* NULL = offline: timers run only through cw_host_advance */
    cw_metrics *metrics;     /* may be NULL */
    cw_host_open_fn open;
    void *open_ctx;
    const char *const *hook_names; /* names chaos.on accepts (hooks.c); copied */
    int nhook_names;
    /* Optional: called on the loop right after every reload swap (not for
     * the first generation), before any reload callback, with open_ctx and
     * the new generation's number: where the app rebuilds its tables. */
    void (*on_swap)(void *ctx, unsigned generation);
} cw_host_config;

/* Builds the first generation. On failure returns NULL and puts every load
 * error, one per line, into err->msg (truncated to fit). */
cw_host *cw_host_new(const cw_host_config *cfg, cw_error *err);
void cw_host_free(cw_host *h);

/* Reloads from disk, blocking (offline tools, tests). Returns 0 when swapped
 * in; CW_ESCRIPT when refused, with every error appended to errors (one
 * "file:line: message" per line); CW_ESTATE while an asynchronous build runs. */
int cw_host_reload(cw_host *h, cw_strbuf *errors);

/* Reloads from disk without blocking the loop (online hosts only: CW_ESTATE
 * without an event base). The next generation is built on a worker thread;
 * the swap happens on the loop, and done(ud, rc, errors) runs on the loop
 * right after it: rc 0 when swapped in (errors NULL), CW_ESCRIPT when refused
 * (errors: every "file:line: message", one per line), CW_ESTATE when the
 * host was freed before the build finished ("abandoned"). A request made
 * while a build runs is queued: all such requests share one more build
 * after the current one. done runs exactly once per request that returned 0
 * (never from inside this call). Returns 0, or CW_ENOMEM/CW_EIO/CW_ESTATE
 * (done is then not called). */
typedef void (*cw_host_reload_fn)(void *ud, int rc, const char *errors);
int cw_host_reload_async(cw_host *h, cw_host_reload_fn done, void *ud);

/* The outcome of one op call. */
typedef struct cw_op_result {
    int ok;            /* 1: body holds a JSON object; 0: code/message set */
    char code[64];     /* stable error code: "internal", "script_timeout", or the script's own */
    cw_strbuf body;    /* response members as a JSON object text */
    cw_strbuf message; /* error message for the client (no internals) */
} cw_op_result;

int cw_host_has_op(const cw_host *h, const char *op);
/* Calls the live generation's handler for op with the raw JSON payload (an
 * object; decoded with lua-cjson inside). conn_id is handed to the script as
 * ctx.conn. Returns 0 when a result was produced (ok or not) — script errors
 * are results, logged with file, line and traceback; CW_ENOTFOUND if no such
 * op. res must be zeroed by the caller and released with cw_op_result_free. */
int cw_host_call_op(cw_host *h, const char *op, const char *payload, size_t len, uint64_t conn_id,
                    cw_op_result *res);
void cw_op_result_free(cw_op_result *res);
/* As cw_host_call_op; ctx_fn (may be NULL) adds fields to the ctx table at
 * the top of the stack before the handler runs (the app's ctx.player). */
typedef void (*cw_hook_push_fn)(struct lua_State *L, void *ud);
int cw_host_call_op_ctx(cw_host *h, const char *op, const char *payload, size_t len,
                        uint64_t conn_id, cw_hook_push_fn ctx_fn, void *ctx_ud, cw_op_result *res);

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
size_t cw_host_lua_memory(const cw_host *h);   /* bytes in the live state (allocator's count) */
uint64_t cw_host_errors(const cw_host *h);     /* Lua errors since start */

/* Offline clock: advances the host clock by seconds and runs every timer that
 * falls due, in due order. Online hosts use the event loop instead and this
 * returns CW_ESTATE. */
int cw_host_advance(cw_host *h, double seconds, cw_error *err);

/* Runs a Lua file in the live generation (offline tools, `chaosctl script`),
 * with the load budget. Errors (with traceback) go to err. */
int cw_host_run_file(cw_host *h, const char *path, cw_error *err);
/* Calls module.fn(args…) of the live generation (module: an engine module
 * already loaded, e.g. "items"; every argument a string) under the call
 * budget (call.c). Its one result must be a string: appended to out. Returns
 * 0; CW_ENOTFOUND when the module or function is missing; CW_ESCRIPT when it
 * raised (the first line of the error, or chaos.fail's message, in err) or
 * returned something else; CW_ESTATE without a live generation. Loop only. */
int cw_host_call_module(cw_host *h, const char *module, const char *fn, const char *const *args,
                        int nargs, cw_strbuf *out, cw_error *err);

/* --- for bindings/host.c: the generation a Lua state belongs to --- */
cw_gen *cw_gen_of(struct lua_State *L);
/* 1 only for the live generation, called on the loop thread; 0 while a
 * generation is loading (on the worker or not). Bindings that touch the live
 * world refuse to run unless this holds. */
int cw_gen_is_live(const cw_gen *g);
/* Registers fn (at stack index idx) as the handler of op; replaces an earlier
 * handler of the same generation. Ops already handled in C are refused. */
int cw_gen_on_op(cw_gen *g, const char *op, int idx, cw_error *err);
/* Adds a timer calling fn (at idx) after `seconds`, and then every `seconds`
 * when repeat. Returns a positive timer id, or a negative code. */
int cw_gen_add_timer(cw_gen *g, double seconds, int repeat, int idx, cw_error *err);
int cw_gen_cancel_timer(cw_gen *g, int id);
double cw_gen_now(cw_gen *g);              /* host clock, seconds */
int cw_gen_set_clock(cw_gen *g, double t); /* offline only: CW_ESTATE online */
uint64_t cw_gen_random(cw_gen *g);         /* next 64 bits of the generation's RNG */
int cw_gen_seed(cw_gen *g, uint64_t seed); /* offline only */
unsigned cw_gen_number(cw_gen *g);
/* Offline only, from the live generation: advances the host clock, firing
 * due timers (cw_host_advance). */
int cw_gen_advance(cw_gen *g, double seconds, cw_error *err);
/* Op names C answers itself (hello, ping, …): scripts may not take them.
 * Loop thread, at start (not while an asynchronous build runs). */
void cw_host_reserve_op(cw_host *h, const char *op);

/* ---- hooks (hooks.c) ---------------------------------------------------------------
 * Content registers hooks with chaos.on(name, fn, opts) (opts.priority: higher
 * first, equal in registration order; opts.filter: a flat table every field of
 * which must equal the event's) and removes them with chaos.off(id). Hooks
 * belong to the generation that registered them: a reload replaces them all. */

/* The names chaos.on accepts (copied). Set by the app before the first load;
 * chaos.on with any other name is an error naming the file and line. */
int cw_host_set_hook_names(cw_host *h, const char *const *names, int n);
/* The event builder (cw_hook_push_fn above) pushes one table; it runs inside
 * a protected call, so it may raise. */
typedef struct cw_hook_result {
    int ran;     /* hooks called */
    int errors;  /* of which raised (each logged with file, line and traceback) */
    int claimed; /* stop_on_true: a hook returned true */
    int refused; /* CW_HOOK_VETO: a hook returned exactly `false`: the round stops */
    char reason[256]; /* the string a refusing hook returned second, if any */
} cw_hook_result;
/* Calls the live generation's hooks for name with the event table push builds
 * (built once, shared by every hook). Each hook runs under its own budget,
 * then the call-end step; one hook's error does not stop the next. With
 * stop_on_true & CW_HOOK_CLAIM (1) the first hook returning true ends the
 * round (claimed). With CW_HOOK_VETO (2) a hook returning exactly false
 * (optionally with a reason string as a second value) ends the round as
 * refused — only for hooks whose caller lets content veto (`trade`); for the
 * others false is just "not mine".
 * Returns 0, or CW_ESCRIPT when the event could not be built. Loop only. */
#define CW_HOOK_CLAIM 1
#define CW_HOOK_VETO 2
int cw_host_fire(cw_host *h, const char *name, cw_hook_push_fn push, void *ud, int stop_on_true,
                 cw_hook_result *out);
/* 1 when the live generation has at least one hook for name (cheap). */
int cw_host_has_hooks(const cw_host *h, const char *name);
/* For bindings: adds chaos.on and chaos.off to the module table at chaos. */
int cw_script_open_hooks(struct lua_State *L, int chaos);
/* The call-end step: a C function the bindings register per state, run at
 * the end of every top-level call into content (op handler, hook, timer)
 * inside its protected call, so its error is the call's error (bindings use
 * it to write back per-character data). */
void cw_script_set_call_end(struct lua_State *L, int (*fn)(struct lua_State *L));
void cw_script_call_end(struct lua_State *L);

/* ---- chaos.state (state.c) ---- */
/* Adds chaos.state(name, init) to the module table at chaos. */
int cw_script_open_state(struct lua_State *L, int chaos);
/* At a swap: copies the old generation's chaos.state tables into the new
 * one's tables of the same names (plain data and handles; see state.c). */
void cw_script_carry_state(struct lua_State *from, struct lua_State *to);

#endif
