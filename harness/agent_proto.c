// SPDX-License-Identifier: BSD-3-Clause
/*
 * JSON lines over a pair of file descriptors (agent_proto.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_proto.h"
#include "tsc.h"

void ctl_init(struct ctl *c, int rfd, int wfd)
{
	memset(c, 0, sizeof(*c));
	c->rfd = rfd;
	c->wfd = wfd;
}

void ctl_free(struct ctl *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_send(struct ctl *c, const char *type, json_t *msg)
{
	char *s;
	int err;

	if (!msg)
		msg = json_object();
	if (!msg)
		return -ENOMEM;
	json_object_set_new(msg, "v", json_integer(AGENT_PROTO));
	json_object_set_new(msg, "t", json_string(type));
	s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!s)
		return -ENOMEM;
	/* One write per line where it fits the pipe, so lines never mix. */
	err = write_all(c->wfd, s, strlen(s));
	if (!err)
		err = write_all(c->wfd, "\n", 1);
	free(s);
	return err;
}

/* The first complete line in the buffer, parsed and taken out. */
static json_t *take_line(struct ctl *c, int *err)
{
	char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
	json_error_t je;
	json_t *m;
	size_t n;

	*err = 0;
	if (!nl)
		return NULL;
	n = (size_t)(nl - c->buf);
	m = json_loadb(c->buf, n, 0, &je);
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	if (!json_is_object(m) ||
	    json_integer_value(json_object_get(m, "v")) != AGENT_PROTO ||
	    !json_is_string(json_object_get(m, "t"))) {
		json_decref(m);
		*err = -EPROTO;
		return NULL;
	}
	*err = 0;
	return m;
}

/* Read what is there (after waiting up to ms): 0, -ETIMEDOUT, -EPIPE, -errno. */
static int fill(struct ctl *c, int ms)
{
	struct pollfd pfd = { .fd = c->rfd, .events = POLLIN };
	ssize_t r;
	int p;

	if (c->eof)
		return -EPIPE;
	p = poll(&pfd, 1, ms);
	if (p < 0)
		return errno == EINTR ? -ETIMEDOUT : -errno;
	if (!p)
		return -ETIMEDOUT;
	if (c->cap - c->len < 65536) {
		size_t cap = c->cap ? 2 * c->cap : 131072;
		char *nb;

		if (cap > 2 * CTL_LINE_MAX)
			return -EPROTO;
		nb = realloc(c->buf, cap);
		if (!nb)
			return -ENOMEM;
		c->buf = nb;
		c->cap = cap;
	}
	r = read(c->rfd, c->buf + c->len, c->cap - c->len);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (!r) {
		c->eof = 1;
		return -EPIPE;
	}
	c->len += (size_t)r;
	return 0;
}

json_t *ctl_recv(struct ctl *c, int timeout_ms, int *err)
{
	uint64_t end = mono_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;

	for (;;) {
		json_t *m = take_line(c, err);
		int64_t left;

		if (m || *err)
			return m;
		if (c->len > CTL_LINE_MAX) {
			*err = -EPROTO;
			return NULL;
		}
		left = timeout_ms < 0 ? -1 : (int64_t)(end - mono_ns()) / 1000000;
		if (timeout_ms >= 0 && (int64_t)(end - mono_ns()) < 0)
			left = 0;
		*err = fill(c, (int)left);
		if (*err == -ETIMEDOUT && left != 0)
			continue;
		if (*err)
			return NULL;
	}
}

const char *ctl_str(const json_t *msg, const char *key)
{
	const char *v = json_string_value(json_object_get(msg, key));

	return v ? v : "";
}

const char *ctl_type(const json_t *msg)
{
	return ctl_str(msg, "t");
}

void ctl_copy(char *buf, size_t len, const json_t *msg, const char *key)
{
	snprintf(buf, len, "%s", ctl_str(msg, key));
}

char *hex_enc(const void *p, size_t n)
{
	static const char dig[] = "0123456789abcdef";
	const unsigned char *b = p;
	char *s = malloc(2 * n + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = dig[b[i] >> 4];
		s[2 * i + 1] = dig[b[i] & 15];
	}
	s[2 * n] = 0;
	return s;
}

static int nib(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int hex_dec(const char *s, void *p, size_t n)
{
	unsigned char *b = p;

	if (!s || strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = nib(s[2 * i]), lo = nib(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int ctl_get_hex(const json_t *msg, const char *key, void *p, size_t n)
{
	return hex_dec(json_string_value(json_object_get(msg, key)), p, n);
}

int ctl_set_hex(json_t *msg, const char *key, const void *p, size_t n)
{
	char *s = hex_enc(p, n);

	if (!s)
		return -ENOMEM;
	json_object_set_new(msg, key, json_string(s));
	free(s);
	return 0;
}
