/* request.h — turns one frame payload into a cw_request (pure, no sockets).
 *
 * Stable error codes of wire protocol v1. They appear as error.code in
 * {"id":…,"error":{"code":…,"message":…}} frames; clients may switch on them,
 * so they never change meaning (new ones may be added):
 *
 *   bad_json             payload is not valid JSON (RFC 8259, UTF-8), is empty,
 *                        repeats a key, or holds an integer outside int64
 *   not_object           payload is valid JSON but not an object
 *   missing_op           the object has no "op"
 *   bad_field            a field has the wrong type; the message names it
 *                        ("op" must be a string, "id" must be a scalar)
 *   unknown_op           no handler for "op" (raised by the router, not here)
 *   frame_too_large      the length prefix exceeds the frame limit; the
 *                        connection is closed after this error frame
 *   rate_limited         over the per-connection request rate; request dropped
 *   server_busy          max_connections reached; sent once, then closed
 *   internal             a server bug or resource failure; safe to retry
 *   script_timeout       a Lua handler ran past its time budget
 *   shutting_down        the server is draining; reconnect elsewhere/later
 *   unsupported_version  "hello" asked for a protocol version we do not speak
 *   answer_too_large     the answer would exceed the frame limit; not sent
 *
 * Parsing decisions:
 *   - jansson with JSON_REJECT_DUPLICATES: {"op":"a","op":"b"} is bad_json.
 *     A duplicate key is how request smuggling starts (two layers disagree on
 *     which value wins); a correct client never sends one.
 *   - Nesting depth is bounded by jansson (JSON_PARSER_MAX_DEPTH, 2048).
 *   - Integers keep full int64 precision (json_int_t); integers beyond int64
 *     are rejected by jansson and so are bad_json.
 *   - "id" is re-encoded for echoing: strings and integers exactly, reals in
 *     the shortest form that reads back to the same double, true/false/null
 *     as such. A missing id echoes as null. On an error the id is echoed
 *     whenever the payload was an object whose "id" was a scalar.
 *   - `move` fast path (request_move.c): {"op":"move","x":N,"y":N} with an
 *     optional "id", in any key order, is read without a JSON tree when it
 *     holds nothing unusual: no other or repeated key, no escape or non-ASCII
 *     byte in a string, an id that is a plain string, an integer of up to 18
 *     digits (not -0), true, false or null, numbers that strtod reads without
 *     overflow or underflow (integers of up to 18 digits). Then req.json is
 *     NULL, req.has_xy is 1 and req.x, req.y hold the numbers. Anything else
 *     goes to jansson, so every error, every id echo and every number is what
 *     the full parser gives (tests/unit/net/test_request_move.c compares).
 *   - Error messages are ASCII only (non-ASCII input bytes quoted by the
 *     parser are replaced by '?') so they can be echoed safely.
 *
 * Ownership: cw_request_parse fills a caller-owned cw_request_parsed; its
 * req fields borrow from the payload and from memory owned by the parsed
 * struct, valid until cw_request_release (always call it, success or not). */
#ifndef CW_IO_NET_REQUEST_H
#define CW_IO_NET_REQUEST_H

#include "core/base/err.h"
#include "core/io/net/net.h"

#include <stddef.h>

#define CW_PROTO_BAD_JSON "bad_json"
#define CW_PROTO_NOT_OBJECT "not_object"
#define CW_PROTO_MISSING_OP "missing_op"
#define CW_PROTO_BAD_FIELD "bad_field"
#define CW_PROTO_UNKNOWN_OP "unknown_op"
#define CW_PROTO_FRAME_TOO_LARGE "frame_too_large"
#define CW_PROTO_RATE_LIMITED "rate_limited"
#define CW_PROTO_SERVER_BUSY "server_busy"
#define CW_PROTO_INTERNAL "internal"
#define CW_PROTO_SCRIPT_TIMEOUT "script_timeout"
#define CW_PROTO_SHUTTING_DOWN "shutting_down"
#define CW_PROTO_UNSUPPORTED_VERSION "unsupported_version"
#define CW_PROTO_ANSWER_TOO_LARGE "answer_too_large"

/* Inline room for the re-encoded id; longer ids (long strings) go to the heap. */
#define CW_REQUEST_ID_INLINE 48

typedef struct cw_request_parsed {
    cw_request req;   /* what handlers see; req.id_json is always set ("null" at worst) */
    const char *code; /* NULL on success, else one of the CW_PROTO_* codes above */
    /* private */
    char id_inline[CW_REQUEST_ID_INLINE];
    char *id_heap;
} cw_request_parsed;

/* Parses payload[0..len). Returns 0 (out->code NULL, out->req.json the parsed
 * object, or NULL with req.has_xy for a fast-path move), or CW_EINVAL with out->code set to a
 * stable code and err->msg to a human-readable ASCII message for the error frame; CW_ENOMEM (code
 * "internal") if jansson could not allocate. out->req.id_json is set in every
 * case. payload need not be NUL-terminated. */
int cw_request_parse(const char *payload, size_t len, cw_request_parsed *out, cw_error *err);
/* The jansson parser alone (always builds req.json on success): what the
 * fast path must agree with. */
int cw_request_parse_full(const char *payload, size_t len, cw_request_parsed *out, cw_error *err);
/* The fast path alone: 1 and out filled (req.json NULL, req.has_xy 1) when
 * payload is a plain `move`; 0 (out reset, nothing allocated) when the full
 * parser must decide. Never fails otherwise; needs no release but allows it. */
int cw_request_parse_move(const char *payload, size_t len, cw_request_parsed *out);
/* Frees what cw_request_parse allocated (the JSON tree, a long id). Idempotent. */
void cw_request_release(cw_request_parsed *p);

/* Encodes a jansson scalar (json_t *) as JSON text into buf (cap bytes, NUL
 * included) the way ids are echoed; returns the length it needs (excluding
 * the NUL), 0 on failure. If the return is >= cap, buf holds nothing useful:
 * retry with a bigger buffer. Shared with the benchmark baseline. */
size_t cw_request_encode_id(const void *json, char *buf, size_t cap);

#endif
