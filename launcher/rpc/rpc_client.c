#include "util/common.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpc/rpc_client.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sock {
    int fd;
    long long deadline;
    int timeout_ms;
};

/* Waits for fd to be ready for `events` until the deadline. */
static int wait_fd(struct sock *s, short events, const char *what, struct hb_error *err)
{
    for (;;) {
        long long left = s->deadline - now_ms();
        if (left <= 0)
            return hb_error_set(err, EXIT_RUNTIME, "no answer within %d ms (%s)", s->timeout_ms,
                                what);
        struct pollfd p = {.fd = s->fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return hb_error_set(err, EXIT_RUNTIME, "poll: %s", strerror(errno));
        if (r > 0)
            return 0;
    }
}

static int sock_send(void *ctx, const void *buf, size_t n, struct hb_error *err)
{
    struct sock *s = ctx;
    const uint8_t *p = buf;
    while (n) {
        if (wait_fd(s, POLLOUT, "sending", err) < 0)
            return -1;
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w < 0)
            return hb_error_set(err, EXIT_RUNTIME, "send: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sock_recv(void *ctx, void *buf, size_t n, bool *closed, struct hb_error *err)
{
    struct sock *s = ctx;
    uint8_t *p = buf;
    size_t got = 0;
    while (got < n) {
        if (wait_fd(s, POLLIN, "waiting for its reply", err) < 0)
            return -1;
        ssize_t r = recv(s->fd, p + got, n - got, MSG_DONTWAIT);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0 && errno == ECONNRESET && got == 0) {
            *closed = true;
            return hb_error_set(err, EXIT_RUNTIME, "it reset the connection without a reply");
        }
        if (r < 0)
            return hb_error_set(err, EXIT_RUNTIME, "recv: %s", strerror(errno));
        if (r == 0) {
            *closed = got == 0;
            return hb_error_set(err, EXIT_RUNTIME,
                                got ? "it closed the connection in the middle of a reply"
                                    : "it closed the connection without a reply");
        }
        got += (size_t)r;
    }
    return 0;
}

/* The addresses of ep within the deadline. getaddrinfo itself has no
 * timeout (a silent DNS server holds it for resolv.conf's timeout times
 * its attempts), so a name is resolved asynchronously and given up on at
 * the deadline. A numeric address resolves at once, without a thread. */
static int resolve(struct sock *s, const struct rpc_endpoint *ep, struct addrinfo **res,
                   struct hb_error *err)
{
    char port[8];
    snprintf(port, sizeof(port), "%u", ep->port);
    struct addrinfo numeric = {.ai_family = AF_UNSPEC,
                               .ai_socktype = SOCK_STREAM,
                               .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    if (getaddrinfo(ep->host, port, &numeric, res) == 0)
        return 0;
    /* Heap-allocated: a lookup that cannot be cancelled still writes to
     * its request when it ends, so that request is then left to it. */
    struct addrinfo *hints = xcalloc(1, sizeof(*hints));
    hints->ai_family = AF_UNSPEC;
    hints->ai_socktype = SOCK_STREAM;
    struct gaicb *req = xcalloc(1, sizeof(*req));
    req->ar_name = xstrdup(ep->host);
    req->ar_service = xstrdup(port);
    req->ar_request = hints;
    struct gaicb *list[1] = {req};
    int g = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
    while (g == 0) {
        g = gai_error(req);
        if (g != EAI_INPROGRESS)
            break;
        long long left = s->deadline - now_ms();
        if (left <= 0)
            break;
        struct timespec ts = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};
        /* Its answer is not trusted: glibc 2.36 says EAI_SYSTEM when the
         * time is up (measured), where the manual says EAI_AGAIN. The
         * request's own state decides; a wait that ends early for another
         * reason pauses briefly rather than spin. */
        if (gai_suspend((const struct gaicb *const *)list, 1, &ts) != 0 &&
            gai_error(req) == EAI_INPROGRESS && s->deadline - now_ms() > 10)
            nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000}, NULL);
    }
    if (g == EAI_INPROGRESS) {
        int c = gai_cancel(req);
        if (c == EAI_ALLDONE) /* it ended just now */
            g = gai_error(req);
        else if (c == EAI_CANCELED)
            g = EAI_CANCELED;
        else /* EAI_NOTCANCELED: still running, and it keeps req */
            return hb_error_set(err, EXIT_RUNTIME, "cannot resolve '%s': no answer within %d ms",
                                ep->host, s->timeout_ms);
    }
    *res = req->ar_result;
    free((char *)req->ar_name);
    free((char *)req->ar_service);
    free(hints);
    free(req);
    if (g == EAI_CANCELED)
        return hb_error_set(err, EXIT_RUNTIME, "cannot resolve '%s': no answer within %d ms",
                            ep->host, s->timeout_ms);
    if (g != 0)
        return hb_error_set(err, EXIT_RUNTIME, "cannot resolve '%s': %s", ep->host,
                            gai_strerror(g));
    return 0;
}

/* A non-blocking connect to the first address that answers, within the
 * deadline. */
static int sock_connect(struct sock *s, const struct rpc_endpoint *ep, struct hb_error *err)
{
    struct addrinfo *res = NULL;
    if (resolve(s, ep, &res, err) < 0)
        return -1;
    int last = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            last = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        s->fd = fd;
        int r = connect(fd, a->ai_addr, a->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            struct hb_error werr = HB_ERROR_INIT;
            if (wait_fd(s, POLLOUT, "connecting", &werr) < 0) {
                freeaddrinfo(res);
                close(fd);
                s->fd = -1;
                hb_error_set(err, EXIT_RUNTIME, "%s", werr.msg);
                hb_error_release(&werr);
                return -1;
            }
            socklen_t len = sizeof(last);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &last, &len);
            r = last ? -1 : 0;
        } else if (r < 0) {
            last = errno;
        }
        if (r == 0) {
            freeaddrinfo(res);
            return 0;
        }
        close(fd);
        s->fd = -1;
    }
    freeaddrinfo(res);
    return hb_error_set(err, EXIT_RUNTIME, "cannot connect: %s",
                        last ? strerror(last) : "no address");
}

static void set_error(struct rpc_worker *w, const struct hb_error *err)
{
    free(w->error);
    w->error = xstrdup(err->msg ? err->msg : "unknown error");
}

void rpc_probe(struct rpc_worker *w, int timeout_ms)
{
    long long start = now_ms();
    struct sock s = {.fd = -1, .deadline = start + timeout_ms, .timeout_ms = timeout_ms};
    struct rpc_io io = {.ctx = &s, .send = sock_send, .recv = sock_recv};
    struct hb_error err = HB_ERROR_INIT;
    free(w->error);
    w->error = NULL;
    w->reachable = w->version_known = false;
    memset(&w->info, 0, sizeof(w->info));
    int r = sock_connect(&s, &w->ep, &err);
    if (r == 0) {
        w->reachable = true;
        r = rpc_session_hello(&io, false, &w->info.version, &err);
    }
    if (r == 1) {
        /* Closed on a HELLO of the current size: a server from before
         * protocol 7 knows only the empty one. Ask it that way. */
        close(s.fd);
        s.fd = -1;
        hb_error_release(&err);
        r = sock_connect(&s, &w->ep, &err);
        if (r == 0) {
            r = rpc_session_hello(&io, true, &w->info.version, &err);
            if (r == 0)
                w->info.old_hello = true;
            else if (r == 1)
                r = hb_error_set(&err, EXIT_RUNTIME,
                                 "it closed the connection on both versions of HELLO: not a "
                                 "llama.cpp RPC server?");
        }
    }
    if (r == 0) {
        w->version_known = true;
        if (!w->info.old_hello && rpc_session_devices(&io, &w->info, &err) < 0)
            r = -1;
    }
    if (r != 0)
        set_error(w, &err);
    if (s.fd >= 0)
        close(s.fd);
    hb_error_release(&err);
    w->elapsed_ms = (long)(now_ms() - start);
}

struct rpc_worker *rpc_probe_all(struct rpc_endpoint *eps, size_t n, int timeout_ms)
{
    struct rpc_worker *v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i].ep = eps[i];
        memset(&eps[i], 0, sizeof(eps[i]));
        rpc_probe(&v[i], timeout_ms);
    }
    free(eps);
    return v;
}

void rpc_workers_release(struct rpc_worker *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        rpc_endpoint_release(&v[i].ep);
        free(v[i].error);
    }
    free(v);
}
