#ifndef CLIPCUT_CHIREDIS_SHIM_H
#define CLIPCUT_CHIREDIS_SHIM_H

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

/* Typed wrappers around hiredis calls that traffic in `void *`, so Swift sees
 * `redisReply *` instead of raw pointers it would have to rebind. */

/** Sends one command given as an argument vector and waits for its reply. */
static inline redisReply *chiredis_command_argv(redisContext *c, int argc, const char **argv,
                                               const size_t *argvlen) {
    return (redisReply *)redisCommandArgv(c, argc, argv, argvlen);
}

/** Reads the next reply (pub/sub messages, pipelined replies). REDIS_OK or REDIS_ERR. */
static inline int chiredis_get_reply(redisContext *c, redisReply **reply) {
    void *out = NULL;
    int rc = redisGetReply(c, &out);
    *reply = (redisReply *)out;
    return rc;
}

/** Connects with a timeout given in milliseconds. */
static inline redisContext *chiredis_connect(const char *host, int port, long timeout_ms) {
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    return redisConnectWithTimeout(host, port, tv);
}

/** Sets the socket read/write timeout in milliseconds; 0 means block forever. */
static inline int chiredis_set_timeout(redisContext *c, long timeout_ms) {
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    return redisSetTimeout(c, tv);
}

/** Copies the context's error string (a 128-byte array Swift sees as a tuple). */
static inline const char *chiredis_errstr(const redisContext *c) {
    return c->errstr;
}

/** Wakes a thread blocked in a read on this context (the context is dead afterwards). */
static inline void chiredis_interrupt(redisContext *c) {
    if (c->fd >= 0) {
        shutdown(c->fd, SHUT_RDWR);
    }
}

/** The i-th element of an array reply. */
static inline redisReply *chiredis_reply_element(const redisReply *r, size_t i) {
    return r->element[i];
}

#endif
