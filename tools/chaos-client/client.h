/* client.h — chaos-client, a terminal client for the Chaos World protocol
 * (docs/protocol.md, docs/client.md). It speaks the wire protocol directly
 * (4-byte big-endian length + JSON, parsed with jansson) and never links the
 * server's core/app.
 *
 * Modules:
 *   net.c      one TCP connection: connect, framing, the --record file
 *   model.c    what the client knows: account, characters, self, entities by
 *              id, zone geometry, chat/combat/system logs, inventory, quests,
 *              dialogue, trade, vendor, party, guild — updated from answers
 *              and events only
 *   cmd.c      the text command language (`/login`, `/move`, `/say` …) shared
 *              by the script mode and the interactive input line
 *   app.c      requests in flight (ids → ops), the receive pump, reconnects,
 *              the cluster hand-off (connect to the named process, `resume`)
 *   script.c   --script FILE: commands without a terminal, one JSON line per
 *              received frame on stdout, `/wait` and `/expect`
 *   ui_*.c     the ncurses screens (login, characters, world), map and panels,
 *              keys
 *
 * Ownership: the cc_app owns its cc_net and cc_model; json_t values stored in
 * the model are owned references (json_decref on replace). Single-threaded.
 * Return codes: 0 success, -1 failure (a reason string is set where said). */
#ifndef CHAOS_CLIENT_H
#define CHAOS_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CC_LOG_LINES 300
#define CC_LINE_MAX 320
#define CC_MAX_FRAME (1u << 20) /* refuse server frames above 1 MiB */

uint64_t cc_now_ns(void);
double cc_wall(void); /* seconds since the epoch */

/* ---- net.c ------------------------------------------------------------------------------ */
typedef struct cc_net {
    int fd; /* -1 when not connected */
    char host[128];
    int port;
    unsigned char *in;
    size_t in_len, in_cap;
    FILE *record; /* --record: one JSON line per frame, or NULL */
} cc_net;

void cc_net_init(cc_net *n, const char *host, int port);
/* Blocking connect (5 s timeout); errbuf gets the reason on failure. */
int cc_net_connect(cc_net *n, char *errbuf, size_t errlen);
void cc_net_close(cc_net *n);
/* Sends one frame (blocking until written); records it. -1 on a broken connection. */
int cc_net_send(cc_net *n, const char *json, size_t len);
/* Reads what is available (the socket is non-blocking). 0 ok, -1 closed or error
 * (errbuf says which). */
int cc_net_read(cc_net *n, char *errbuf, size_t errlen);
/* The next complete frame, parsed (a new reference) and recorded; NULL when none is
 * complete. *bad is set when a frame was not a JSON object (it is skipped). */
json_t *cc_net_next(cc_net *n, int *bad);
void cc_net_free(cc_net *n);

/* ---- model.c ---------------------------------------------------------------------------- */
typedef struct cc_ent {
    long long e;
    char kind[12]; /* player, monster, npc */
    char name[48];
    double x, y;
    double hp, hp_max; /* from hit events; hp_max < 0 when unknown */
    int dead;
} cc_ent;

typedef struct cc_log {
    char line[CC_LOG_LINES][CC_LINE_MAX];
    int attr[CC_LOG_LINES]; /* a colour pair hint for the UI */
    int n;                  /* lines ever added */
} cc_log;

typedef struct cc_model {
    int logged_in;
    char account[48];
    json_t *chars; /* the last `characters` list */
    int in_world;
    long long self_e, character;
    char name[48], race[24], job[24], zone[64], realm[48];
    double x, y;
    double level, exp, gold, hp, hp_max, mp, mp_max;
    json_t *stats;  /* the last `stats` event's stats */
    json_t *skills; /* the `skills` answer's list */
    json_t *zinfo;  /* the last `zone_info` answer */
    double zinfo_x, zinfo_y;
    cc_ent *ents;
    int nents, capents;
    long long target;
    cc_log chat, combat, sys;
    json_t *inventory; /* the `inventory` answer's items */
    json_t *quests;    /* the `quests` answer */
    json_t *dialogue;  /* the last dialogue event/answer (NULL when none / ended) */
    json_t *trade;     /* the last trade event (NULL when none) */
    json_t *vendor;    /* the last vendor list (`vendor` event or answer; NULL when none) */
    json_t *party;     /* {leader, members:[names]} while in a party, else NULL */
    json_t *guild;     /* the last roster {id, name, leader, members:[{name, rank}]}, else NULL */
    char guild_invite[80]; /* the guild of the last invite (for /gaccept without a name) */
    double speed;          /* the move speed the server told (enter_world, sheet); 0 unknown */
    /* a cluster hand-off told by the server ({"ev":"handoff"}): where to resume */
    int handoff;
    char ho_host[128], ho_token[128], ho_zone[64];
    int ho_port;
    char lost[160]; /* why the connection was lost (kicked, shutdown…) */
    /* what the app should (re)fetch in interactive mode */
    int want_inventory, want_quests, want_zone, want_skills, want_guild;
} cc_model;

void cc_model_init(cc_model *m);
void cc_model_free(cc_model *m);
void cc_model_leave_world(cc_model *m);
void cc_log_add(cc_log *l, int attr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *cc_log_get(const cc_log *l, int back, int *attr); /* back 0 = newest; NULL past */
cc_ent *cc_model_ent(cc_model *m, long long e);
void cc_model_event(cc_model *m, json_t *ev);
/* An answer to a request of op `op` (the request as sent). */
void cc_model_answer(cc_model *m, const char *op, json_t *req, json_t *ans);
/* The nearest living monster to self (NULL when none). */
cc_ent *cc_model_nearest(cc_model *m, const char *kind);
/* The id of skill n (1-based) of the known skills list, or NULL. */
const char *cc_model_skill(cc_model *m, int n);

/* ---- app.c ------------------------------------------------------------------------------ */
typedef struct cc_pending {
    long long id;
    char op[32];
    json_t *req;
} cc_pending;

typedef void (*cc_frame_fn)(void *ud, json_t *frame, const char *op);

typedef struct cc_app {
    cc_net net;
    cc_model m;
    int interactive;
    double speed; /* --speed: units/s to move at; 0 = 0.9 × the told speed (5.4 unknown) */
    uint64_t last_move_ns;
    long long next_id;
    cc_pending pend[64];
    int npend;
    json_t *last_answer; /* the last answer to a request (owned) */
    char last_op[32];
    char user[48], pass[1100]; /* kept to log in again after a reconnect */
    char want_char[48];        /* the character to enter again after a reconnect */
    int quit;
    int connected;
    int handing; /* a hand-off is under way: told (answer or event) until `resume` answers */
    int reconnect_tries;
    uint64_t reconnect_at_ns;
    cc_frame_fn on_frame; /* called for every frame received (script mode prints) */
    void *on_frame_ud;
    json_t **events; /* events received, for /wait (script mode) */
    int nevents, capevents, ev_cursor;
} cc_app;

int cc_app_init(cc_app *a, const char *host, int port, const char *record);
void cc_app_free(cc_app *a);
/* Connects and sends hello. -1 with the reason in a->m.lost. */
int cc_app_connect(cc_app *a);
/* Sends the request (takes the reference), returns its id or -1 when not connected. */
long long cc_app_request(cc_app *a, json_t *req);
/* Reads and handles frames for up to timeout_ms (also wakes on stdin when
 * interactive and watch_stdin). 1 if stdin is readable, 0 otherwise, -1 when the
 * connection was lost (a->m.lost says why). */
int cc_app_pump(cc_app *a, int timeout_ms, int watch_stdin);
/* Pumps until the answer to id arrives: the answer (borrowed, a->last_answer), or NULL on a
 * lost connection or timeout. */
json_t *cc_app_wait(cc_app *a, long long id, int timeout_ms);
int cc_app_pending(const cc_app *a, long long id);
/* Positions on the wire are rounded to 1/100 of a unit (docs/protocol.md):
 * a walk is there once it is within this of its goal. */
#define CC_ARRIVED 0.01

/* The walking speed now: --speed, else 0.9 × the speed the server told, else 5.4. */
double cc_app_speed(const cc_app *a);
/* One step of at most the distance the speed allows now toward (tx, ty); sends `move`.
 * Waits (answers 0) until the step is at least min_step or reaches the point. 1 when a
 * move was sent, 0 when it is too early, -1 when not in the world. */
int cc_app_step_toward(cc_app *a, double tx, double ty, double min_step);
/* Pumps until a hand-off under way has been resumed on the other process (at once when none
 * is). 0 done, -1 lost or timed out. */
int cc_app_settle(cc_app *a, int timeout_ms);
/* Interactive upkeep: refetches what the model asks for; reconnects with backoff. */
void cc_app_tick(cc_app *a);

/* ---- cmd.c ------------------------------------------------------------------------------ */
typedef enum {
    CC_CMD_OK = 0, /* done (a request may be in flight: *sent holds its id) */
    CC_CMD_ERROR,  /* bad command: the message says why */
    CC_CMD_QUIT,   /* /quit */
    CC_CMD_SCRIPT, /* /wait, /expect, /sleep: only the script runner does these */
    CC_CMD_WALK,   /* /goto, /step: the caller walks to a->walk target */
} cc_cmd_result;

typedef struct cc_cmd_out {
    long long sent; /* the id of the request sent, or 0 */
    double walk_x, walk_y;
    char msg[256];
} cc_cmd_out;

cc_cmd_result cc_cmd_run(cc_app *a, const char *line, cc_cmd_out *out);
/* The help text: one command per line. */
extern const char *const cc_cmd_help[];

/* ---- script.c --------------------------------------------------------------------------- */
/* Runs the script; the process exit code (0 ok, 1 expect/wait failed, 2 connection lost,
 * 3 bad script). */
int cc_script_run(cc_app *a, const char *path);

/* ---- ui_main.c -------------------------------------------------------------------------- */
int cc_ui_run(cc_app *a);

#endif
