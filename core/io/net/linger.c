/* linger.c — the tail of a graceful close.
 *
 * Closing a socket that still has unread input makes the kernel send a RST,
 * and a RST can destroy data the peer has not read yet — typically the very
 * error frame that explains the close (frame_too_large: the client is still
 * sending the rest of the oversize frame). So once a closing connection's
 * output is flushed, we send FIN (shutdown SHUT_WR), keep reading and
 * discarding, and close the socket when the peer closes too or after
 * CW_NET_LINGER_MS. The cw_conn is already gone by then (on_close has run);
 * only the bufferevent lingers, tracked here so cw_net_free can release it. */
#include "core/io/net/net_internal.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>

struct cw_linger {
    struct bufferevent *bev;
    cw_net *net;
    cw_linger *prev, *next;
};

static void linger_free(cw_linger *l)
{
    cw_net *n = l->net;
    if (l->prev)
        l->prev->next = l->next;
    else
        n->lingers = l->next;
    if (l->next) l->next->prev = l->prev;
    bufferevent_free(l->bev);
    free(l);
}

static void linger_readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
}

static void linger_eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what; /* EOF, error or read timeout: all end the linger */
    linger_free(arg);
}

void cw_net_linger_(cw_net *n, struct bufferevent *bev)
{
    cw_linger *l = calloc(1, sizeof *l);
    shutdown(bufferevent_getfd(bev), SHUT_WR);
    if (!l) {
        bufferevent_free(bev);
        return;
    }
    l->bev = bev;
    l->net = n;
    l->next = n->lingers;
    if (l->next) l->next->prev = l;
    n->lingers = l;
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
    struct timeval tv = {CW_NET_LINGER_MS / 1000, (CW_NET_LINGER_MS % 1000) * 1000};
    bufferevent_set_timeouts(bev, &tv, NULL);
    bufferevent_setcb(bev, linger_readcb, NULL, linger_eventcb, l);
    bufferevent_enable(bev, EV_READ);
}

void cw_net_linger_free_all_(cw_net *n)
{
    while (n->lingers)
        linger_free(n->lingers);
}
