// The floor of a user-space TCP proxy, for scripts/bench_links.sh only (not part of Testbed):
// one thread, one epoll set, and per message exactly what any relay must do — wake in
// epoll_wait, read, write — with no allocation, no queue and no fault logic. What it costs is
// the least any user-space proxy (the link, socat, Toxiproxy) can cost on the same machine.
//
//   cc -O2 -o relay scripts/bench_links_floor.c && ./relay LISTEN_PORT UPSTREAM_PORT
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct end {
    int fd;
    struct end *peer;
    int closed;
};

static int ep;

static void prepare(int fd) {
    int one = 1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    return address;
}

static void watch(struct end *end) {
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = end};
    epoll_ctl(ep, EPOLL_CTL_ADD, end->fd, &event);
}

// Both ends are closed at once; the pair is freed after the batch of events it may be in.
static void shut(struct end *end, struct end **dead, int *deadCount) {
    if (end->closed) return;
    end->closed = end->peer->closed = 1;
    close(end->fd);
    close(end->peer->fd);
    dead[(*deadCount)++] = end;
}

// Writes all of it; a full socket buffer (rare for request/response traffic) waits in poll.
static int writeAll(int fd, const char *bytes, ssize_t length) {
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written < 0) {
            if (errno != EAGAIN && errno != EINTR) return -1;
            struct pollfd wait = {.fd = fd, .events = POLLOUT};
            poll(&wait, 1, -1);
            continue;
        }
        bytes += written;
        length -= written;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s LISTEN_PORT UPSTREAM_PORT\n", argv[0]);
        return 2;
    }
    struct sockaddr_in listenAddress = loopback(atoi(argv[1])), upstream = loopback(atoi(argv[2]));
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *)&listenAddress, sizeof listenAddress) || listen(listener, 4096)) {
        perror("listen");
        return 1;
    }
    ep = epoll_create1(0);
    struct epoll_event accepting = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &accepting);
    static char buffer[65536];
    struct epoll_event events[256];
    struct end *dead[256];
    for (;;) {
        int count = epoll_wait(ep, events, 256, -1), deadCount = 0;
        for (int i = 0; i < count; i++) {
            struct end *end = events[i].data.ptr;
            if (end == NULL) {
                int client = accept(listener, NULL, NULL);
                if (client < 0) continue;
                int server = socket(AF_INET, SOCK_STREAM, 0);
                if (connect(server, (struct sockaddr *)&upstream, sizeof upstream)) {
                    close(client);
                    close(server);
                    continue;
                }
                prepare(client);
                prepare(server);
                struct end *a = calloc(2, sizeof *a), *b = a + 1;
                a->fd = client, b->fd = server, a->peer = b, b->peer = a;
                watch(a);
                watch(b);
                continue;
            }
            if (end->closed) continue;
            ssize_t length = read(end->fd, buffer, sizeof buffer);
            if (length < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (length <= 0 || writeAll(end->peer->fd, buffer, length) < 0) shut(end, dead, &deadCount);
        }
        for (int i = 0; i < deadCount; i++) free(dead[i] < dead[i]->peer ? dead[i] : dead[i]->peer);
    }
}
