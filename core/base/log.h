/* log.h — structured logging: one JSON object per line.
 *
 *   cw_log(CW_LOG_INFO, "listening", CW_S("addr", host), CW_I("port", port), CW_END);
 *
 * prints {"time":"…","level":"info","msg":"listening","addr":"127.0.0.1","port":7777}.
 * Strings are JSON-escaped. Logging never fails from the caller's point of view:
 * a write error is ignored. The sink and level are process-wide (set once at
 * start by the app, before any thread starts) — the one deliberate exception to
 * "no mutable globals", because every floor logs and none may know the server. */
#ifndef CW_BASE_LOG_H
#define CW_BASE_LOG_H

#include <stdint.h>
#include <stdio.h>

typedef enum { CW_LOG_DEBUG = 0, CW_LOG_INFO, CW_LOG_WARN, CW_LOG_ERROR, CW_LOG_OFF } cw_log_level;

enum { CW_F_END = 0, CW_F_STR, CW_F_INT, CW_F_DBL, CW_F_BOOL };

typedef struct cw_field {
    int type;
    const char *key;
    const char *s;
    int64_t i;
    double d;
} cw_field;

#define CW_S(k, v) ((cw_field){CW_F_STR, (k), (v), 0, 0})
#define CW_I(k, v) ((cw_field){CW_F_INT, (k), NULL, (int64_t)(v), 0})
#define CW_D(k, v) ((cw_field){CW_F_DBL, (k), NULL, 0, (double)(v)})
#define CW_B(k, v) ((cw_field){CW_F_BOOL, (k), NULL, (v) ? 1 : 0, 0})
#define CW_END ((cw_field){CW_F_END, NULL, NULL, 0, 0})

/* Sets the minimum level printed and the sink (NULL = stderr). */
void cw_log_setup(cw_log_level level, FILE *sink);
cw_log_level cw_log_get_level(void);
/* Parses "debug|info|warn|error|off"; returns -1 when unknown. */
int cw_log_level_parse(const char *name);
/* Logs msg with fields terminated by CW_END. */
void cw_log(cw_log_level level, const char *msg, ...);

/* Same, with the fields in an array terminated by CW_END (for bindings). */
void cw_log_fields(cw_log_level level, const char *msg, const cw_field *fields);

/* Appends s JSON-escaped (without quotes) to out; used by log and others that
 * write JSON by hand. Returns the number of bytes written to out (excluding
 * NUL), truncating safely at cap. */
size_t cw_json_escape(char *out, size_t cap, const char *s);

#endif
