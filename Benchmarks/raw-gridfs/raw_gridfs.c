/*
 * The baseline for `scripts/bench store`: the same GridFS work as MediaStore, written as
 * a plain C loop over libmongoc, so the Swift wrapper's overhead can be measured as a ratio.
 *
 *   raw_gridfs upload   URI BUCKET FILENAME MIB   write MIB MiB through a bucket upload stream
 *   raw_gridfs download URI BUCKET FILENAME       read it back through a bucket download stream
 *   raw_gridfs seek     URI BUCKET FILENAME OFFSET LENGTH
 *                                                 legacy mongoc_gridfs_t: find, seek, read LENGTH bytes
 *
 * Each prints "seconds=<s> bytes=<n>" on success, timing only the transfer itself.
 */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUFFER_SIZE (256 * 1024)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, const bson_error_t *error) {
    fprintf(stderr, "%s: %s\n", what, error ? error->message : "failed");
    exit(1);
}

static mongoc_gridfs_bucket_t *open_bucket(mongoc_client_t *client, const char *name) {
    bson_error_t error;
    mongoc_database_t *db = mongoc_client_get_default_database(client);
    bson_t *opts = BCON_NEW("bucketName", BCON_UTF8(name));
    mongoc_gridfs_bucket_t *bucket = mongoc_gridfs_bucket_new(db, opts, NULL, &error);
    bson_destroy(opts);
    mongoc_database_destroy(db);
    if (!bucket) fail("bucket", &error);
    return bucket;
}

static bool find_file_id(mongoc_gridfs_bucket_t *bucket, const char *filename, bson_value_t *id) {
    bson_t *filter = BCON_NEW("filename", BCON_UTF8(filename));
    mongoc_cursor_t *cursor = mongoc_gridfs_bucket_find(bucket, filter, NULL);
    const bson_t *doc;
    bson_iter_t iter;
    bool found = false;
    if (mongoc_cursor_next(cursor, &doc) && bson_iter_init_find(&iter, doc, "_id")) {
        bson_value_copy(bson_iter_value(&iter), id);
        found = true;
    }
    mongoc_cursor_destroy(cursor);
    bson_destroy(filter);
    return found;
}

static int upload(mongoc_client_t *client, const char *bucket_name, const char *filename, long mib) {
    mongoc_gridfs_bucket_t *bucket = open_bucket(client, bucket_name);
    bson_error_t error;
    char *buffer = malloc(BUFFER_SIZE);
    for (int i = 0; i < BUFFER_SIZE; i++) buffer[i] = (char)(i * 31 + 7);
    long total = mib * 1024 * 1024;
    double start = now();
    mongoc_stream_t *stream = mongoc_gridfs_bucket_open_upload_stream(bucket, filename, NULL, NULL, &error);
    if (!stream) fail("open upload stream", &error);
    for (long written = 0; written < total; written += BUFFER_SIZE) {
        size_t n = (size_t)(total - written < BUFFER_SIZE ? total - written : BUFFER_SIZE);
        if (mongoc_stream_write(stream, buffer, n, 0) != (ssize_t)n) fail("write", NULL);
    }
    if (mongoc_stream_close(stream) != 0) fail("close", NULL);
    mongoc_stream_destroy(stream);
    printf("seconds=%.6f bytes=%ld\n", now() - start, total);
    free(buffer);
    mongoc_gridfs_bucket_destroy(bucket);
    return 0;
}

static int download(mongoc_client_t *client, const char *bucket_name, const char *filename) {
    mongoc_gridfs_bucket_t *bucket = open_bucket(client, bucket_name);
    bson_error_t error;
    bson_value_t id;
    if (!find_file_id(bucket, filename, &id)) fail("no such file", NULL);
    char *buffer = malloc(BUFFER_SIZE);
    double start = now();
    mongoc_stream_t *stream = mongoc_gridfs_bucket_open_download_stream(bucket, &id, &error);
    if (!stream) fail("open download stream", &error);
    long total = 0;
    ssize_t n;
    while ((n = mongoc_stream_read(stream, buffer, BUFFER_SIZE, 1, 0)) > 0) total += n;
    if (n < 0) fail("read", NULL);
    mongoc_stream_destroy(stream);
    printf("seconds=%.6f bytes=%ld\n", now() - start, total);
    free(buffer);
    bson_value_destroy(&id);
    mongoc_gridfs_bucket_destroy(bucket);
    return 0;
}

static int seek_read(mongoc_client_t *client, const char *prefix, const char *filename, long offset, long length) {
    bson_error_t error;
    mongoc_database_t *db = mongoc_client_get_default_database(client);
    const char *db_name = mongoc_database_get_name(db);
    double start = now();
    mongoc_gridfs_t *gridfs = mongoc_client_get_gridfs(client, db_name, prefix, &error);
    if (!gridfs) fail("gridfs", &error);
    mongoc_gridfs_file_t *file = mongoc_gridfs_find_one_by_filename(gridfs, filename, &error);
    if (!file) fail("find", &error);
    if (mongoc_gridfs_file_seek(file, offset, SEEK_SET) != 0) fail("seek", NULL);
    char *buffer = malloc((size_t)length);
    mongoc_iovec_t iov = {.iov_base = buffer, .iov_len = (size_t)length};
    ssize_t n = mongoc_gridfs_file_readv(file, &iov, 1, (size_t)length, 0);
    if (n != length) fail("readv", NULL);
    printf("seconds=%.6f bytes=%zd\n", now() - start, n);
    free(buffer);
    mongoc_gridfs_file_destroy(file);
    mongoc_gridfs_destroy(gridfs);
    mongoc_database_destroy(db);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s upload|download|seek URI BUCKET FILENAME [...]\n", argv[0]);
        return 2;
    }
    mongoc_init();
    mongoc_client_t *client = mongoc_client_new(argv[2]);
    if (!client) fail("client", NULL);
    int rc = 2;
    if (strcmp(argv[1], "upload") == 0 && argc == 6) rc = upload(client, argv[3], argv[4], atol(argv[5]));
    else if (strcmp(argv[1], "download") == 0) rc = download(client, argv[3], argv[4]);
    else if (strcmp(argv[1], "seek") == 0 && argc == 7) rc = seek_read(client, argv[3], argv[4], atol(argv[5]), atol(argv[6]));
    else fprintf(stderr, "bad arguments\n");
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return rc;
}
