// SPDX-License-Identifier: BSD-3-Clause
/*
 * The harness's end of a `bypasslab agent` (ep_remote.h): ssh started with
 * the case's options (BatchMode: a password prompt would hang the run),
 * the agent's hello checked, requests answered, its stderr forwarded, and
 * the mirror of its endpoint's page kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "build_version.h" /* generated: BL_VERSION */
#include "config.h"
#include "ep_remote.h"
#include "interrupt.h"
#include "log.h"
#include "tsc.h"

#define SSH_MAX_ARGS 64

int ep_remote_ssh_argv(const char *host, char *opts, int keepalive, char *url, size_t urllen,
		       const char **argv, int max)
{
	int n = 0;

	argv[n++] = "ssh";
	argv[n++] = "-T";
	/* No prompt: there is no one to answer it. */
	argv[n++] = "-oBatchMode=yes";
	/* A dead peer noticed within 15 s rather than never. */
	if (keepalive) {
		argv[n++] = "-oServerAliveInterval=5";
		argv[n++] = "-oServerAliveCountMax=3";
	}
	for (char *save = NULL, *w = strtok_r(opts, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		if (n >= max - 2)
			return -E2BIG;
		argv[n++] = w;
	}
	/* The URI form is the one that takes a port after the host. */
	snprintf(url, urllen, "ssh://%s", host);
	argv[n++] = url;
	argv[n++] = "--";
	return n;
}

/* argv for the agent: ssh and its options, or this binary for `local`. */
static int agent_argv(const char *host, const struct case_cfg *c, char *opts, char *url,
		      size_t urllen, const char **argv)
{
	int n;

	if (!strcmp(host, "local")) {
		argv[0] = "/proc/self/exe";
		argv[1] = "agent";
		argv[2] = NULL;
		return 0;
	}
	n = ep_remote_ssh_argv(host, opts, 1, url, urllen, argv, SSH_MAX_ARGS - 3);
	if (n < 0)
		return n;
	argv[n++] = c->remote_bin;
	argv[n++] = "agent";
	argv[n] = NULL;
	return 0;
}

static int spawn_agent(struct ep_remote *r, const struct case_cfg *c)
{
	const char *argv[SSH_MAX_ARGS];
	char opts[sizeof(c->ssh_options)], url[160];
	int in[2], out[2], er[2];
	pid_t pid;
	int err;

	snprintf(opts, sizeof(opts), "%s", c->ssh_options);
	err = agent_argv(r->host, c, opts, url, sizeof(url), argv);
	if (err)
		return err;
	if (pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		err = -errno;
		goto close_in;
	}
	if (pipe2(er, O_CLOEXEC)) {
		err = -errno;
		goto close_out;
	}
	pid = fork();
	if (pid == 0) {
		/* Its own process group: a ^C is the harness's to handle, and
		 * the agent is told to stop through the channel. */
		interrupt_child();
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(er[1], STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	err = pid < 0 ? -errno : 0;
	close(er[1]);
	r->efd = er[0];
	fcntl(r->efd, F_SETFL, O_NONBLOCK);
	r->pid = pid;
	ctl_init(&r->ctl, out[0], in[1]);
	close(out[1]);
	close(in[0]);
	return err;

close_out:
	close(out[0]);
	close(out[1]);
close_in:
	close(in[0]);
	close(in[1]);
	return err;
}

/* Forward what the agent (or ssh) wrote to its stderr, keeping the last
 * line for an error message. */
static void drain_stderr(struct ep_remote *r)
{
	char buf[1024];
	ssize_t n;

	while (r->efd >= 0 && (n = read(r->efd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		for (char *save = NULL, *l = strtok_r(buf, "\r\n", &save); l;
		     l = strtok_r(NULL, "\r\n", &save)) {
			snprintf(r->elast, sizeof(r->elast), "%s", l);
			/* Before hello, what ssh says is the error line's. */
			if (r->said_hello)
				pr_warn("bypasslab: host %s: %s\n", r->host, l);
		}
	}
}

/* Why the channel never said hello, in one line. */
static void hello_failed(struct ep_remote *r, const struct case_cfg *c, int err, char *buf,
			 size_t len)
{
	uint64_t end = mono_ns() + 2000000000ull;
	int st = -1;

	/* ssh says why as it exits. */
	while (r->pid > 0 && mono_ns() < end) {
		struct timespec ts = { 0, 10000000 };

		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->pid = 0;
			break;
		}
		nanosleep(&ts, NULL);
	}
	drain_stderr(r);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		snprintf(buf, len,
			 "host %s: no '%s' there (%s); install bypasslab %s there (make install) or "
			 "set remote_bin",
			 r->host, c->remote_bin, r->elast[0] ? r->elast : "command not found",
			 BL_VERSION);
	else if (strstr(r->elast, "Permission denied") || strstr(r->elast, "Host key"))
		snprintf(buf, len, "host %s: authentication refused: %s", r->host, r->elast);
	else if (r->elast[0])
		snprintf(buf, len, "host %s: %s", r->host, r->elast);
	else
		snprintf(buf, len, "host %s: no answer from the agent: %s", r->host,
			 strerror(-err));
}

static int check_hello(struct ep_remote *r, const json_t *m, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(m, "version"));

	snprintf(r->version, sizeof(r->version), "%s", v ? v : "?");
	ctl_copy(r->name, sizeof(r->name), m, "host");
	ctl_copy(r->kernel, sizeof(r->kernel), m, "kernel");
	ctl_copy(r->boot_id, sizeof(r->boot_id), m, "boot_id");
	if (!strcmp(ctl_type(m), "hello") && v && !strcmp(v, BL_VERSION))
		return 0;
	snprintf(buf, len,
		 "host %s: bypasslab %s there, %s here: install bypasslab %s there (make install "
		 "from the same commit)",
		 r->host, r->version, BL_VERSION, BL_VERSION);
	return -EPROTO;
}

struct ep_remote *ep_remote_open(const char *host, const struct case_cfg *c, char *buf,
				 size_t len)
{
	struct ep_remote *r = calloc(1, sizeof(*r));
	json_t *m;
	int err;

	if (!r) {
		snprintf(buf, len, "host %s: %s", host, strerror(ENOMEM));
		return NULL;
	}
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->efd = r->ctl.rfd = r->ctl.wfd = -1;
	/* An agent that is gone must be an error on its channel (EPIPE), not
	 * the end of the harness; the children get the default back
	 * (interrupt_child). */
	signal(SIGPIPE, SIG_IGN);
	err = spawn_agent(r, c);
	if (err) {
		snprintf(buf, len, "host %s: starting %s: %s", host,
			 strcmp(host, "local") ? "ssh" : "the agent", strerror(-err));
		ep_remote_close(r);
		return NULL;
	}
	m = ctl_recv(&r->ctl, REMOTE_HELLO_MS, &err);
	if (!m)
		hello_failed(r, c, err, buf, len);
	else
		err = check_hello(r, m, buf, len);
	json_decref(m);
	if (!m || err) {
		ep_remote_close(r);
		return NULL;
	}
	r->said_hello = 1;
	return r;
}

/* A pushed state into the mirror. */
static void apply_state(struct ep_remote *r, const json_t *m)
{
	struct ep_shm *s = r->mirror;

	if (!s)
		return;
	ctl_copy(s->errmsg, sizeof(s->errmsg), m, "errmsg");
	ctl_copy(s->dp_info, sizeof(s->dp_info), m, "dp_info");
	s->exit_code = (int32_t)json_integer_value(json_object_get(m, "exit_code"));
	__atomic_store_n(&s->link_up, (uint32_t)json_integer_value(json_object_get(m, "link_up")),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&s->state, (uint32_t)json_integer_value(json_object_get(m, "state")),
			 __ATOMIC_RELEASE);
}

/* The next message that is not a state push: NULL on timeout or end. */
static json_t *next_reply(struct ep_remote *r, int timeout_ms, int *err)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		int64_t left = (int64_t)(end - mono_ns()) / 1000000;
		json_t *m = ctl_recv(&r->ctl, left > 0 ? (int)left : 0, err);

		drain_stderr(r);
		if (!m) {
			if (*err == -EPIPE || *err == -EPROTO)
				r->gone = 1;
			return NULL;
		}
		if (strcmp(ctl_type(m), "state"))
			return m;
		apply_state(r, m);
		json_decref(m);
	}
}

void ep_remote_pump(struct ep_remote *r)
{
	int err;

	for (;;) {
		json_t *m = ctl_recv(&r->ctl, 0, &err);

		if (!m) {
			if (err == -EPIPE || err == -EPROTO)
				r->gone = 1;
			break;
		}
		if (!strcmp(ctl_type(m), "state"))
			apply_state(r, m);
		json_decref(m);
	}
	drain_stderr(r);
}

int ep_remote_send(struct ep_remote *r, const char *type, json_t *msg)
{
	int err = r->gone ? -EPIPE : ctl_send(&r->ctl, type, msg);

	if (r->gone)
		json_decref(msg);
	if (err)
		r->gone = 1;
	return err;
}

int ep_remote_call(struct ep_remote *r, const char *type, json_t *msg, const char *want,
		   json_t **reply, int timeout_ms, char *buf, size_t len)
{
	json_t *m;
	int err = ep_remote_send(r, type, msg);

	*reply = NULL;
	if (err) {
		snprintf(buf, len, "host %s: the agent is gone (%s)", r->host, strerror(-err));
		return err;
	}
	m = next_reply(r, timeout_ms, &err);
	if (!m) {
		snprintf(buf, len, "host %s: no answer to %s: %s", r->host, type,
			 r->elast[0] ? r->elast : strerror(-err));
		return err;
	}
	if (!strcmp(ctl_type(m), want)) {
		*reply = m;
		return 0;
	}
	snprintf(buf, len, "host %s: %s", r->host,
		 ctl_str(m, "msg")[0] ? ctl_str(m, "msg") : ctl_type(m));
	json_decref(m);
	return -EIO;
}

int ep_remote_snap_send(struct ep_remote *r, int which, uint64_t *t_sent)
{
	*t_sent = mono_ns();
	return ep_remote_send(r, "snap", json_pack("{s:i}", "probes", which));
}

/* A JSON array of integers into n u64s. */
static void get_u64s(const json_t *m, const char *key, void *p, size_t size)
{
	const json_t *a = json_object_get(m, key);
	uint64_t *v = p;

	for (size_t i = 0; i < size / sizeof(uint64_t) && i < json_array_size(a); i++)
		v[i] = (uint64_t)json_integer_value(json_array_get(a, i));
}

int ep_remote_snap_recv(struct ep_remote *r, int which, uint64_t t_sent)
{
	int err;
	json_t *m = next_reply(r, REMOTE_CALL_MS, &err);

	if (!m)
		return err;
	if (strcmp(ctl_type(m), "snap") || !r->mirror ||
	    ctl_get_hex(m, "st", (void *)&r->mirror->st, sizeof(r->mirror->st))) {
		json_decref(m);
		return -EIO;
	}
	r->snap_sent = t_sent;
	r->within_ns = mono_ns() - t_sent;
	if ((uint64_t)json_integer_value(json_object_get(m, "after_ns")) < r->within_ns)
		r->within_ns -= (uint64_t)json_integer_value(json_object_get(m, "after_ns"));
	if (json_object_get(m, "rtt"))
		ctl_get_hex(m, "rtt", &r->mirror->rtt, sizeof(r->mirror->rtt));
	r->snap_t_ns = (uint64_t)json_integer_value(json_object_get(m, "t_ns"));
	get_u64s(m, "cpu", &r->cpu, sizeof(r->cpu));
	get_u64s(m, "ticks", &r->tk, sizeof(r->tk));
	get_u64s(m, "ifc", &r->ifc, sizeof(r->ifc));
	get_u64s(m, "nsc", &r->nsc, sizeof(r->nsc));
	r->softnet = (uint64_t)json_integer_value(json_object_get(m, "softnet"));
	if (which == 1 || which == 2) {
		r->win_t[which - 1] = r->snap_t_ns;
		r->win_sent[which - 1] = t_sent;
		r->win_within[which - 1] = r->within_ns;
	}
	json_decref(m);
	return 0;
}

int ep_remote_exit(struct ep_remote *r, int *status)
{
	char buf[300];
	json_t *m;
	int err = ep_remote_call(r, "exit", NULL, "final", &m, REMOTE_CALL_MS, buf, sizeof(buf));

	if (err) {
		pr_warn("bypasslab: %s\n", buf);
		return err;
	}
	if (r->mirror && !ctl_get_hex(m, "page", r->mirror, sizeof(*r->mirror)))
		r->final_ok = 1;
	*status = (int)json_integer_value(json_object_get(m, "status"));
	json_decref(r->usdt);
	r->usdt = json_incref(json_object_get(m, "usdt"));
	json_decref(m);
	return r->final_ok ? 0 : -EIO;
}

void ep_remote_close(struct ep_remote *r)
{
	uint64_t end;
	int err;

	if (!r)
		return;
	/* An agent that never said hello (or not ours) is only closed on. */
	if (r->pid > 0 && !r->gone && r->said_hello && !ep_remote_send(r, "bye", NULL)) {
		json_t *m = next_reply(r, REMOTE_BYE_MS, &err);

		if (!m)
			pr_warn("bypasslab: host %s: the agent did not say it tore down: %s\n",
				r->host, strerror(-err));
		json_decref(m);
	}
	/* Its end of the channel closed: the agent tears down on end of file
	 * even if bye never reached it. */
	if (r->ctl.wfd >= 0)
		close(r->ctl.wfd);
	r->ctl.wfd = -1;
	end = mono_ns() + REMOTE_BYE_MS * 1000000ull;
	while (r->pid > 0 && waitpid(r->pid, NULL, WNOHANG) != r->pid) {
		struct timespec ts = { 0, 5000000 };

		if (mono_ns() > end) {
			pr_warn("bypasslab: host %s: %s did not end; killing it\n", r->host,
				strcmp(r->host, "local") ? "ssh" : "the agent");
			kill(r->pid, SIGKILL);
			waitpid(r->pid, NULL, 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	drain_stderr(r);
	if (r->ctl.rfd >= 0)
		close(r->ctl.rfd);
	if (r->efd >= 0)
		close(r->efd);
	ctl_free(&r->ctl);
	json_decref(r->usdt);
	free(r);
}

json_t *ep_remote_json(const struct ep_remote *r)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "host", r->host,
			 "hostname", r->name, "kernel", r->kernel, "version", r->version,
			 "agent_prefix", r->prefix, "tsc_hz", (json_int_t)r->tsc_hz,
			 "window_ns_own_clock", (json_int_t)(r->win_t[1] - r->win_t[0]),
			 "open_snapshot_within_ns", (json_int_t)r->win_within[0],
			 "close_snapshot_within_ns", (json_int_t)r->win_within[1]);
}
