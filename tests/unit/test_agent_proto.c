// SPDX-License-Identifier: BSD-3-Clause
/*
 * The agent's control channel (harness/agent_proto.c): hex both ways,
 * JSON lines over a pipe whatever way they arrive (split, several at once,
 * larger than the pipe), and what it refuses: another protocol version, a
 * line that is not an object, end of file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "agent_proto.h"
#include "shm.h"

static void test_hex_roundtrip(void **state)
{
	unsigned char in[300], out[300];
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	s = hex_enc(in, sizeof(in));
	assert_non_null(s);
	assert_int_equal(strlen(s), 2 * sizeof(in));
	assert_int_equal(hex_dec(s, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* One byte short, one too many, a character that is not lowercase hex. */
	assert_int_equal(hex_dec(s, out, sizeof(out) - 1), -EINVAL);
	s[5] = 'G';
	assert_int_equal(hex_dec(s, out, sizeof(out)), -EINVAL);
	s[5] = 'A';
	assert_int_equal(hex_dec(s, out, sizeof(out)), -EINVAL);
	assert_int_equal(hex_dec(NULL, out, 1), -EINVAL);
	free(s);
}

/* A ctl whose reads come from a pipe the test writes into. */
struct chan {
	struct ctl c;
	int w; /* the test's end */
};

static void chan_open(struct chan *ch)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	ctl_init(&ch->c, p[0], p[1]);
	ch->w = p[1];
}

static void chan_close(struct chan *ch)
{
	close(ch->c.rfd);
	if (ch->w >= 0)
		close(ch->w);
	ctl_free(&ch->c);
}

static void put(struct chan *ch, const char *s)
{
	assert_int_equal(write(ch->w, s, strlen(s)), (ssize_t)strlen(s));
}

static void test_send_recv(void **state)
{
	struct chan ch;
	json_t *m;
	int err;

	(void)state;
	chan_open(&ch);
	assert_int_equal(ctl_send(&ch.c, "snap", json_pack("{s:i}", "probes", 2)), 0);
	m = ctl_recv(&ch.c, 1000, &err);
	assert_non_null(m);
	assert_int_equal(err, 0);
	assert_string_equal(ctl_type(m), "snap");
	assert_int_equal(json_integer_value(json_object_get(m, "v")), AGENT_PROTO);
	assert_int_equal(json_integer_value(json_object_get(m, "probes")), 2);
	json_decref(m);
	/* Nothing more: a zero wait says so at once. */
	assert_null(ctl_recv(&ch.c, 0, &err));
	assert_int_equal(err, -ETIMEDOUT);
	chan_close(&ch);
}

static void test_split_and_batched(void **state)
{
	struct chan ch;
	json_t *m;
	int err;

	(void)state;
	chan_open(&ch);
	put(&ch, "{\"v\":1,\"t\":\"st");
	assert_null(ctl_recv(&ch.c, 20, &err));
	assert_int_equal(err, -ETIMEDOUT);
	put(&ch, "ate\",\"state\":2}\n{\"v\":1,\"t\":\"ok\"}\n");
	m = ctl_recv(&ch.c, 1000, &err);
	assert_non_null(m);
	assert_string_equal(ctl_type(m), "state");
	json_decref(m);
	m = ctl_recv(&ch.c, 0, &err);
	assert_non_null(m);
	assert_string_equal(ctl_type(m), "ok");
	json_decref(m);
	chan_close(&ch);
}

static void test_refused_lines(void **state)
{
	struct chan ch;
	json_t *m;
	int err;

	(void)state;
	chan_open(&ch);
	put(&ch, "{\"v\":2,\"t\":\"hello\"}\n[1,2]\n{\"v\":1}\nnot json\n");
	for (int i = 0; i < 4; i++) {
		m = ctl_recv(&ch.c, 1000, &err);
		assert_null(m);
		assert_int_equal(err, -EPROTO);
	}
	/* The writer gone: end of file, and it stays so. */
	close(ch.w);
	ch.w = -1;
	assert_null(ctl_recv(&ch.c, 1000, &err));
	assert_int_equal(err, -EPIPE);
	assert_null(ctl_recv(&ch.c, 1000, &err));
	assert_int_equal(err, -EPIPE);
	chan_close(&ch);
}

/* A whole endpoint page (the agent's final message) is larger than a
 * pipe: a writer process sends it while the reader takes it. */
static void test_page_through_pipe(void **state)
{
	static struct ep_shm in, out;
	struct ctl rd;
	int p[2], err, st;
	json_t *m;
	pid_t pid;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		((unsigned char *)&in)[i] = (unsigned char)(i ^ (i >> 8));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ctl wr;
		json_t *r = json_object();

		close(p[0]);
		ctl_init(&wr, -1, p[1]);
		ctl_set_hex(r, "page", &in, sizeof(in));
		_exit(ctl_send(&wr, "final", r) ? 1 : 0);
	}
	close(p[1]);
	ctl_init(&rd, p[0], -1);
	m = ctl_recv(&rd, 5000, &err);
	assert_non_null(m);
	assert_string_equal(ctl_type(m), "final");
	assert_int_equal(ctl_get_hex(m, "page", &out, sizeof(out)), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	/* The wrong size is no page. */
	assert_int_equal(ctl_get_hex(m, "page", &out.st, sizeof(out.st)), -EINVAL);
	json_decref(m);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	ctl_free(&rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test(test_send_recv),
		cmocka_unit_test(test_split_and_batched),
		cmocka_unit_test(test_refused_lines),
		cmocka_unit_test(test_page_through_pipe),
	};

	return cmocka_run_group_tests_name("agent_proto", tests, NULL, NULL);
}
