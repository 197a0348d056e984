/* request.c — payload → cw_request with jansson (see request.h for the rules). */
#include "core/io/net/request.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest "%.*g" precision that reads back to exactly v (at most 17). */
static int shortest_precision(double v)
{
    char tmp[40];
    for (int p = 1; p < 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*g", p, v);
        if (strtod(tmp, NULL) == v) return p;
    }
    return 17;
}

size_t cw_request_encode_id(const void *json, char *buf, size_t cap)
{
    const json_t *id = json;
    size_t flags = JSON_ENCODE_ANY;
    if (json_is_real(id)) flags |= JSON_REAL_PRECISION(shortest_precision(json_real_value(id)));
    size_t n = json_dumpb(id, buf, cap, flags);
    if (n > 0 && n < cap) buf[n] = '\0';
    return n;
}

/* Copies a jansson message into err, keeping it ASCII (it may quote input). */
static int fail(cw_request_parsed *out, cw_error *err, int rc, const char *code, const char *msg)
{
    out->code = code;
    if (err) {
        cw_error_set(err, rc, "%s", msg);
        for (char *s = err->msg; *s; s++)
            if ((unsigned char)*s >= 0x80 || (unsigned char)*s < 0x20) *s = '?';
    }
    return rc;
}

static void set_id(cw_request_parsed *out, const json_t *id)
{
    size_t n = cw_request_encode_id(id, out->id_inline, sizeof out->id_inline);
    if (n == 0) return; /* keep "null" */
    if (n < sizeof out->id_inline) {
        out->req.id_json = out->id_inline;
        return;
    }
    char *heap = malloc(n + 1);
    if (heap && cw_request_encode_id(id, heap, n + 1) == n) {
        out->id_heap = heap;
        out->req.id_json = heap;
    } else {
        free(heap);
    }
}

int cw_request_parse(const char *payload, size_t len, cw_request_parsed *out, cw_error *err)
{
    if (cw_request_parse_move(payload, len, out)) return 0;
    return cw_request_parse_full(payload, len, out, err);
}

int cw_request_parse_full(const char *payload, size_t len, cw_request_parsed *out, cw_error *err)
{
    memset(out, 0, sizeof *out);
    out->req.id_json = "null";
    out->req.payload = payload;
    out->req.len = len;

    json_error_t jerr;
    /* JSON_DECODE_ANY so that `[1]` is not_object rather than bad_json. */
    json_t *root =
        json_loadb(payload ? payload : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return fail(out, err, CW_ENOMEM, CW_PROTO_INTERNAL, "out of memory");
        if (len == 0) return fail(out, err, CW_EINVAL, CW_PROTO_BAD_JSON, "empty payload");
        char msg[sizeof jerr.text + 48];
        snprintf(msg, sizeof msg, "invalid JSON: %s at byte %d", jerr.text, jerr.position);
        return fail(out, err, CW_EINVAL, CW_PROTO_BAD_JSON, msg);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return fail(out, err, CW_EINVAL, CW_PROTO_NOT_OBJECT, "request must be a JSON object");
    }
    out->req.json = root;

    json_t *id = json_object_get(root, "id");
    if (id) {
        if (json_is_object(id) || json_is_array(id))
            return fail(out, err, CW_EINVAL, CW_PROTO_BAD_FIELD,
                        "field \"id\" must be a string, number, boolean or null");
        set_id(out, id);
    }
    json_t *op = json_object_get(root, "op");
    if (!op) return fail(out, err, CW_EINVAL, CW_PROTO_MISSING_OP, "field \"op\" is required");
    if (!json_is_string(op))
        return fail(out, err, CW_EINVAL, CW_PROTO_BAD_FIELD, "field \"op\" must be a string");
    out->req.op = json_string_value(op);
    return 0;
}

void cw_request_release(cw_request_parsed *p)
{
    if (p->req.json) {
        json_decref((json_t *)p->req.json);
        p->req.json = NULL;
    }
    free(p->id_heap);
    p->id_heap = NULL;
    p->req.id_json = "null";
}
