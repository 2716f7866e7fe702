#ifndef CLIPCUT_CMONGOC_SHIM_H
#define CLIPCUT_CMONGOC_SHIM_H

#include <mongoc/mongoc.h>
#include <stdlib.h>
#include <string.h>

/* bson_t is 128-byte aligned, so Swift sees it only as an OpaquePointer: these helpers
 * allocate, size and free it, and reach the fields Swift cannot. */

/** A heap bson_t suitable as an out-parameter ("reply") that mongoc initialises. */
static inline bson_t *cmongoc_bson_alloc(void) {
    bson_t *b = (bson_t *)aligned_alloc(128, sizeof(bson_t));
    if (b) {
        bson_init(b);
    }
    return b;
}

/** Frees a bson_t made by cmongoc_bson_alloc (destroys its contents first). */
static inline void cmongoc_bson_free(bson_t *b) {
    if (b) {
        bson_destroy(b);
        free(b);
    }
}

/** The document's length in bytes. */
static inline uint32_t cmongoc_bson_len(const bson_t *b) {
    return b->len;
}

/** The error's message (a 504-byte array Swift sees as a tuple). */
static inline const char *cmongoc_error_message(const bson_error_t *e) {
    return e->message;
}

/** Fills `out` with a new ObjectId's 12 bytes (thread-safe). */
static inline void cmongoc_new_object_id(uint8_t *out) {
    bson_oid_t oid;
    bson_oid_init(&oid, NULL);
    memcpy(out, oid.bytes, 12);
}

/** Makes a bson_value_t holding the ObjectId given by 12 bytes. */
static inline void cmongoc_value_object_id(bson_value_t *value, const uint8_t *bytes) {
    memset(value, 0, sizeof(*value));
    value->value_type = BSON_TYPE_OID;
    memcpy(value->value.v_oid.bytes, bytes, 12);
}

#endif
