/* jsonvalid.h — a strict check that a text is one JSON object, without
 * building anything.
 *
 * Used where JSON text is kept as text and later spliced into a larger
 * document (per-character script data, core/game/players.h): what passes
 * here must be accepted by every reader of that document — jansson
 * (without flags), SQLite json_valid and PostgreSQL jsonb. So on top of
 * RFC 8259 it refuses:
 *   - "\u0000" in strings (jansson and jsonb refuse it) and unpaired UTF-16
 *     surrogate escapes;
 *   - bytes that are not UTF-8 (overlong forms, surrogates, > U+10FFFF);
 *   - integers (no fraction, no exponent) outside int64, and numbers that
 *     overflow a double (jansson refuses both);
 *   - nesting deeper than CW_JSON_DEPTH_MAX.
 * Whitespace around the object is allowed.
 *
 * Pure function: no allocation, no global state; text need not be
 * NUL-terminated (exactly len bytes are read). Returns 0 when valid,
 * CW_EINVAL otherwise. */
#ifndef CW_BASE_JSONVALID_H
#define CW_BASE_JSONVALID_H

#include "core/base/err.h"

#include <stddef.h>

#define CW_JSON_DEPTH_MAX 128

int cw_json_object_valid(const char *text, size_t len);

#endif
