/* items.c — item instance rows (table item_instances, migration 0005) and
 * the ledger rows of a character save, written once against db.h. Both run
 * inside the caller's transaction (the character save, store_internal.h);
 * a failure (a stale item version: CW_ESTATE) makes the caller take the
 * whole character row back, so a row's character, items and ledger rows
 * are written together or not at all. */
#include "core/io/store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#define ITEM_COLS "id, owner_character_id, template, stack, place, props, version"

static int item_write(cw_db *db, const cw_character *ch, const cw_item_row *it, cw_error *err)
{
    int pg = db->ops->dialect == CW_DB_POSTGRES;
    cw_db_res *r = NULL;
    int rc;
    if (it->uid <= 0 || it->stack < 0 || (it->version == 0 && it->stack == 0))
        return cw_error_set(err, CW_EINVAL, "item %lld: bad write (stack %lld, version %lld)",
                            (long long)it->uid, (long long)it->stack, (long long)it->version);
    if (it->version == 0) {
        cw_db_param p[6] = {CW_DBP_INT(it->uid),          CW_DBP_INT(ch->id),
                            CW_DBP_TEXT(it->template_id), CW_DBP_INT(it->stack),
                            CW_DBP_TEXT(it->place),       CW_DBP_TEXT(it->props)};
        return cw_db_query(
            db,
            pg ? "INSERT INTO item_instances (id, owner_character_id, template, stack, place, "
                 "props, version) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6::jsonb, 1)"
               : "INSERT INTO item_instances (id, owner_character_id, template, stack, place, "
                 "props, version) VALUES ($1, $2, $3, $4, $5, $6, 1)",
            p, 6, NULL, err);
    }
    int64_t owner = it->prev_owner ? it->prev_owner : ch->id;
    if (it->stack == 0) {
        cw_db_param p[3] = {CW_DBP_INT(it->uid), CW_DBP_INT(it->version), CW_DBP_INT(owner)};
        rc = cw_db_query(db,
                         "DELETE FROM item_instances WHERE id = $1 AND version = $2 AND "
                         "owner_character_id = $3 RETURNING id",
                         p, 3, &r, err);
    } else {
        cw_db_param p[7] = {CW_DBP_INT(ch->id),     CW_DBP_INT(it->stack), CW_DBP_TEXT(it->place),
                            CW_DBP_TEXT(it->props), CW_DBP_INT(it->uid),   CW_DBP_INT(it->version),
                            CW_DBP_INT(owner)};
        rc = cw_db_query(
            db,
            pg ? "UPDATE item_instances SET owner_character_id = $1, stack = $2, place = $3, "
                 "props = $4::jsonb, version = version + 1 WHERE id = $5 AND version = $6 AND "
                 "owner_character_id = $7 RETURNING id"
               : "UPDATE item_instances SET owner_character_id = $1, stack = $2, place = $3, "
                 "props = $4, version = version + 1 WHERE id = $5 AND version = $6 AND "
                 "owner_character_id = $7 RETURNING id",
            p, 7, &r, err);
    }
    int hit = rc == 0 && cw_db_nrows(db, r) == 1;
    cw_db_res_free(db, r);
    if (rc == 0 && !hit)
        rc = cw_error_set(err, CW_ESTATE,
                          "item %lld: stored row is not version %lld of character %lld",
                          (long long)it->uid, (long long)it->version, (long long)owner);
    return rc;
}

static int ledger_write(cw_db *db, const cw_character *ch, const cw_ledger_entry *l, cw_error *err)
{
    if (strcmp(l->kind, "item") != 0 && l->counterpart) {
        if (l->amount <= 0)
            return cw_error_set(err, CW_EINVAL, "transfer ledger row without a positive amount");
        cw_db_param p[5] = {CW_DBP_INT(l->counterpart), CW_DBP_INT(ch->id), CW_DBP_TEXT(l->kind),
                            CW_DBP_INT(l->amount), CW_DBP_TEXT(l->reason)};
        return cw_db_query(db,
                           "INSERT INTO ledger (to_character_id, from_character_id, kind, amount, "
                           "reason) VALUES ($1, $2, $3, $4, $5)",
                           p, 5, NULL, err);
    }
    if (strcmp(l->kind, "item") != 0) {
        cw_db_param p[4] = {CW_DBP_INT(ch->id), CW_DBP_TEXT(l->kind), CW_DBP_INT(l->amount),
                            CW_DBP_TEXT(l->reason)};
        return cw_db_query(db,
                           "INSERT INTO ledger (to_character_id, kind, amount, reason) "
                           "VALUES ($1, $2, $3, $4)",
                           p, 4, NULL, err);
    }
    if (l->item_id <= 0 || l->item_stack == 0)
        return cw_error_set(err, CW_EINVAL, "item ledger row without an item or a count");
    int out = l->item_stack < 0;
    cw_db_param none = {CW_DB_NULL, 0, 0, NULL};
    cw_db_param self = CW_DBP_INT(ch->id);
    cw_db_param other = l->counterpart ? CW_DBP_INT(l->counterpart) : none;
    cw_db_param p[6] = {out ? other : self,
                        out ? self : other,
                        CW_DBP_INT(l->item_id),
                        CW_DBP_TEXT(l->item_template),
                        CW_DBP_INT(out ? -l->item_stack : l->item_stack),
                        CW_DBP_TEXT(l->reason)};
    return cw_db_query(db,
                       "INSERT INTO ledger (to_character_id, from_character_id, kind, item_id, "
                       "item_template, item_stack, reason) VALUES ($1, $2, 'item', $3, $4, $5, $6)",
                       p, 6, NULL, err);
}

int cw_store_write_extras(cw_db *db, const cw_character *ch, cw_error *err)
{
    for (int k = 0; k < ch->nitems; k++) {
        int rc = item_write(db, ch, &ch->items[k], err);
        if (rc != 0) return rc;
    }
    for (int k = 0; k < ch->nledger; k++) {
        int rc = ledger_write(db, ch, &ch->ledger[k], err);
        if (rc != 0) return rc;
    }
    return 0;
}

int cw_store_items_read(cw_db *db, int64_t char_id, cw_db_res **res, cw_item_row **out, int *n,
                        cw_error *err)
{
    cw_db_param p[1] = {CW_DBP_INT(char_id)};
    *out = NULL;
    *n = 0;
    int rc = cw_db_query(db,
                         "SELECT " ITEM_COLS " FROM item_instances WHERE owner_character_id = $1 "
                         "ORDER BY id",
                         p, 1, res, err);
    if (rc != 0) return rc;
    int rows = cw_db_nrows(db, *res);
    cw_item_row *v = calloc((size_t)(rows ? rows : 1), sizeof *v);
    if (!v) return cw_error_set(err, CW_ENOMEM, "store: out of memory");
    for (int i = 0; i < rows; i++) {
        v[i].uid = cw_db_i64(db, *res, i, 0);
        v[i].owner = cw_db_i64(db, *res, i, 1);
        v[i].template_id = cw_db_text(db, *res, i, 2);
        v[i].stack = cw_db_i64(db, *res, i, 3);
        v[i].place = cw_db_text(db, *res, i, 4);
        v[i].props = cw_db_text(db, *res, i, 5);
        v[i].version = cw_db_i64(db, *res, i, 6);
    }
    *out = v;
    *n = rows;
    return 0;
}
