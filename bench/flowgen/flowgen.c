/*
 * flowgen: new UDP flows at a given rate, for the state-sync benchmark. Every datagram goes to a
 * different (source socket, destination port) pair, so each one creates a new conntrack entry on the
 * firewall it crosses. sendmmsg batches of 64; paced by CLOCK_MONOTONIC.
 *   flowgen DST_IP FLOWS RATE_PER_S [SOCKETS]
 * Prints the number of datagrams sent and the seconds it took.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: flowgen DST_IP FLOWS RATE_PER_S [SOCKETS]\n");
        return 2;
    }
    long flows = atol(argv[2]);
    double rate = atof(argv[3]);
    int nsock = argc > 4 ? atoi(argv[4]) : 8;
    int *fds = calloc(nsock, sizeof(int));
    for (int i = 0; i < nsock; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        if (fds[i] < 0) {
            perror("socket");
            return 1;
        }
    }
    struct sockaddr_in dst[BATCH];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    char payload[8] = "flowgen";
    double t0 = now();
    long sent = 0;
    while (sent < flows) {
        int s = (int) ((sent / 60000) % nsock);
        int n = 0;
        for (; n < BATCH && sent + n < flows && (int) (((sent + n) / 60000) % nsock) == s; n++) {
            long f = sent + n;
            memset(&dst[n], 0, sizeof dst[n]);
            dst[n].sin_family = AF_INET;
            dst[n].sin_port = htons((unsigned short) (1024 + f % 60000));
            inet_pton(AF_INET, argv[1], &dst[n].sin_addr);
            iov[n].iov_base = payload;
            iov[n].iov_len = sizeof payload;
            memset(&msgs[n], 0, sizeof msgs[n]);
            msgs[n].msg_hdr.msg_name = &dst[n];
            msgs[n].msg_hdr.msg_namelen = sizeof dst[n];
            msgs[n].msg_hdr.msg_iov = &iov[n];
            msgs[n].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg(fds[s], msgs, n, 0);
        if (r < 0) {
            perror("sendmmsg");
            return 1;
        }
        sent += r;
        double due = t0 + sent / rate;
        double wait = due - now();
        if (wait > 0) {
            struct timespec ts = {(time_t) wait, (long) ((wait - (time_t) wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    printf("%ld %.3f\n", sent, now() - t0);
    return 0;
}
