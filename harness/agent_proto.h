/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control channel between the harness and a `bypasslab agent`
 * (harness/agent.c): one JSON object per line, each with "v" (the
 * protocol, AGENT_PROTO) and "t" (its type), over the agent's stdin and
 * stdout, which ssh carries for a remote host and a pipe pair for
 * `local`. Binary structures the two sides share (ep_config, ep_stats,
 * the RTT histogram, the whole final page) travel as hex: both sides
 * run the same version (the hello says which), so the same layout.
 *
 * harness -> agent, and what answers:
 *   hello   (none: the agent says hello first)  -> hello {version, proto, host, kernel,
 *                                                   boot_id}
 *   check   {side, iface, ip, force}             -> ok | error
 *   setup   {side, iface, ip, force, cpu}        -> setup {ns, ifname, mac, ip, plen, kind,
 *                                                   driver, origin, prefix, tsc_hz} | error
 *   peer    {ip, mac}                            -> peer {ifindex} | error
 *   spawn   {cfg, tag}                           -> spawned {pid} | error
 *   cmd     {cmd} (RUN, STOP)                    -> (nothing)
 *   probes  {mode, light, sample_hz}             -> ok | error
 *   usdt    (the burst probes on its endpoint)   -> ok | error
 *   stats   {on}                                 -> ok
 *   snap    {probes: 0 none, 1 open, 2 close}    -> snap {t_ns, st, rtt?, cpu, ticks, ifc, nsc,
 *                                                   softnet}
 *   attr    {window_ns}                          -> attr {j}
 *   exit    (the endpoint told to exit, gone)    -> final {page, status, usdt?}
 *   bye     (or end of file)                     -> bye, after everything is undone
 * agent -> harness, unasked, whenever it changes:
 *   state   {state, link_up}                     (the endpoint's page)
 */
#ifndef BL_AGENT_PROTO_H
#define BL_AGENT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define AGENT_PROTO 1
/* While its endpoint runs, the harness asks for a snapshot at least once a
 * second (window samples, the warm-up's keep-alive); an agent that hears
 * nothing for this long takes the harness for lost and tears down. */
#define AGENT_SILENCE_MS 10000
/* A line longer than this is a broken peer (the final page is ~50 KiB
 * of hex). */
#define CTL_LINE_MAX (1u << 20)

struct ctl {
	int rfd, wfd;
	char *buf;
	size_t len, cap;
	int eof;
};

void ctl_init(struct ctl *c, int rfd, int wfd);
void ctl_free(struct ctl *c);
/* msg (taken over) with "v" and "t" added, as one line: 0 or -errno. */
int ctl_send(struct ctl *c, const char *type, json_t *msg);
/* The next line as an object, waiting up to timeout_ms (0: only what is
 * already there, -1: for ever). NULL with *err -ETIMEDOUT, -EPIPE (end of
 * file), -EPROTO (not a versioned object of ours) or -errno. */
json_t *ctl_recv(struct ctl *c, int timeout_ms, int *err);
/* Its type ("" if none). */
const char *ctl_type(const json_t *msg);
/* A string field of msg, "" if it has none; copied into buf. */
const char *ctl_str(const json_t *msg, const char *key);
void ctl_copy(char *buf, size_t len, const json_t *msg, const char *key);

/* Lowercase hex of n bytes (malloc'd), and back: 0 or -EINVAL (wrong
 * length or not hex). */
char *hex_enc(const void *p, size_t n);
int hex_dec(const char *s, void *p, size_t n);
/* A hex field of msg into p of exactly n bytes: 0 or -EINVAL. */
int ctl_get_hex(const json_t *msg, const char *key, void *p, size_t n);
int ctl_set_hex(json_t *msg, const char *key, const void *p, size_t n);

#endif
