/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * nfdelay: hold every packet of one NFQUEUE for a fixed time, then accept
 * it.  The benchmark's stand-in for `tc netem delay`, which this kernel
 * lacks (no sch_netem): an iptables rule in each network namespace sends
 * arriving packets to the queue, and one nfdelay per namespace holds them
 * for RTT/2, so a round trip between the two namespaces takes RTT.
 *
 *	nfdelay [-q QUEUE] -d MS
 *
 * Order is kept: the delay is the same for every packet, so the queue is a
 * FIFO of (packet id, arrival time) and a due packet is released with one
 * batch verdict that also covers every earlier id.  Only the packet's
 * metadata is copied to us (NFQNL_COPY_META), and GSO packets are queued
 * whole, so thousands of packets per second cost little.  The iptables rule
 * should say --queue-bypass: while no nfdelay is bound, packets pass.
 *
 * It stops on SIGTERM, SIGINT or SIGHUP, and when the process that started
 * it dies (PR_SET_PDEATHSIG), after accepting what it still holds.  A line
 * of counts goes to stderr at the end.
 */

#define _GNU_SOURCE	/* ppoll */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_queue/libnetfilter_queue.h>

/* One held packet: its queue id and when it arrived (ns, CLOCK_MONOTONIC). */
struct held {
	uint32_t	 id;
	int64_t		 t;
};

/* The FIFO of held packets: a ring that doubles when full. */
static struct held	*ring;
static size_t		 ring_cap, ring_head, ring_len;

static volatile sig_atomic_t stop;

/* Counters for the final report. */
static unsigned long long n_packets, n_verdicts, n_enobufs;
static size_t		 max_held;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Appends a packet to the FIFO.  Returns -1 if memory ran out. */
static int
ring_push(uint32_t id, int64_t t)
{
	if (ring_len == ring_cap) {
		size_t ncap = ring_cap ? ring_cap * 2 : 4096, i;
		struct held *n = malloc(ncap * sizeof(*n));

		if (n == NULL)
			return -1;
		/* Unwrap the old ring into the start of the new one. */
		for (i = 0; i < ring_len; i++)
			n[i] = ring[(ring_head + i) % ring_cap];
		free(ring);
		ring = n;
		ring_cap = ncap;
		ring_head = 0;
	}
	ring[(ring_head + ring_len) % ring_cap] = (struct held){ id, t };
	ring_len++;
	if (ring_len > max_held)
		max_held = ring_len;
	return 0;
}

/* Called by nfq_handle_packet for each queued packet: hold it. */
static int
on_packet(struct nfq_q_handle *qh, struct nfgenmsg *nfmsg,
    struct nfq_data *nfa, void *arg)
{
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	uint32_t id;

	(void)nfmsg;
	(void)arg;
	if (ph == NULL)
		return 0;
	id = ntohl(ph->packet_id);
	n_packets++;
	if (ring_push(id, now_ns()) == -1) {
		/* Out of memory: let it through now rather than lose it. */
		nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
		n_verdicts++;
	}
	return 0;
}

/*
 * Accepts every held packet that arrived before `upto` (all of them when
 * upto is INT64_MAX) with one batch verdict on the newest such id, which
 * the kernel applies to every queued id up to it: those arrived earlier.
 * Returns -1 if the verdict could not be sent.
 */
static int
release(struct nfq_q_handle *qh, int64_t upto)
{
	uint32_t last = 0;
	int any = 0;

	while (ring_len > 0 && ring[ring_head].t <= upto) {
		last = ring[ring_head].id;
		any = 1;
		ring_head = (ring_head + 1) % ring_cap;
		ring_len--;
	}
	if (!any)
		return 0;
	n_verdicts++;
	return nfq_set_verdict_batch(qh, last, NF_ACCEPT) < 0 ? -1 : 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nfdelay [-q queue] -d ms\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	struct sigaction sa;
	sigset_t block, empty;
	static char buf[1 << 16];
	long delay_ms = -1, queue = 0;
	int64_t delay;
	pid_t parent = getppid();
	char *end;
	int c, fd, rc = 0;

	while ((c = getopt(argc, argv, "d:q:")) != -1) {
		switch (c) {
		case 'd':
			delay_ms = strtol(optarg, &end, 10);
			if (*end != '\0' || delay_ms < 0 || delay_ms > 60000)
				usage();
			break;
		case 'q':
			queue = strtol(optarg, &end, 10);
			if (*end != '\0' || queue < 0 || queue > 65535)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || delay_ms < 0)
		usage();
	delay = (int64_t)delay_ms * 1000000;

	/* Never outlive the script that set up the namespaces. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent) {
		fprintf(stderr, "nfdelay: parent gone\n");
		return 1;
	}

	/* Signals are blocked except inside ppoll, so none is missed. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&empty);

	if ((h = nfq_open()) == NULL) {
		perror("nfdelay: nfq_open");
		return 1;
	}
	if ((qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL)) ==
	    NULL) {
		perror("nfdelay: nfq_create_queue");
		nfq_close(h);
		return 1;
	}
	if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
		perror("nfdelay: nfq_set_mode");
		rc = 1;
		goto out;
	}
	/*
	 * Room for far more packets than one delay's worth at any rate this
	 * machine reaches; if it ever fills, FAIL_OPEN lets the extra packets
	 * through undelayed instead of dropping them.
	 */
	nfq_set_queue_maxlen(qh, 65536);
	if (nfq_set_queue_flags(qh, NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN,
	    NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN) < 0)
		fprintf(stderr, "nfdelay: GSO/fail-open flags not supported\n");
	/* A large socket buffer: a full one loses the kernel's messages. */
	nfnl_rcvbufsiz(nfq_nfnlh(h), 32 << 20);
	fd = nfq_fd(h);
	fprintf(stderr, "nfdelay: queue %ld, holding packets %ld ms\n",
	    queue, delay_ms);

	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct timespec ts, *tp = NULL;
		ssize_t n;

		if (ring_len > 0) {
			int64_t wait = ring[ring_head].t + delay - now_ns();

			if (wait < 0)
				wait = 0;
			ts.tv_sec = wait / 1000000000;
			ts.tv_nsec = wait % 1000000000;
			tp = &ts;
		}
		if (ppoll(&pfd, 1, tp, &empty) == -1 && errno != EINTR) {
			perror("nfdelay: ppoll");
			rc = 1;
			break;
		}
		if (pfd.revents & POLLIN) {
			for (;;) {
				n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (n > 0) {
					nfq_handle_packet(h, buf, (int)n);
					continue;
				}
				if (n == -1 && errno == ENOBUFS) {
					/*
					 * Messages were lost; their packets
					 * stay queued until a later batch
					 * verdict (which covers them) frees
					 * them.
					 */
					n_enobufs++;
					continue;
				}
				break;
			}
		}
		if (release(qh, now_ns() - delay) == -1) {
			perror("nfdelay: verdict");
			rc = 1;
			break;
		}
	}
	/* Let go of everything still held, so no connection is left hanging. */
	if (release(qh, INT64_MAX) == -1)
		rc = 1;
out:
	fprintf(stderr, "nfdelay: queue %ld: %llu packets, %llu verdicts, "
	    "at most %zu held, %llu ENOBUFS\n", queue, n_packets, n_verdicts,
	    max_held, n_enobufs);
	nfq_destroy_queue(qh);
	nfq_close(h);
	free(ring);
	return rc;
}
