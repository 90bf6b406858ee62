// SPDX-License-Identifier: BSD-3-Clause
/* Pacing arithmetic and receiver sequence tracking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"
#include "pace.h"

static void test_pace_exact(void **state)
{
	struct pace p;

	(void)state;
	/* 1000 pps in bursts of 10 at 2 GHz: 100 bursts/s, one every 10 ms = 2e7 ticks. */
	pace_init(&p, 1000, 2000000000ull, 1000, 10);
	assert_int_equal(pace_interval(&p), 20000000ull);
	assert_int_equal(pace_due(&p, 0), 1000);
	assert_int_equal(pace_due(&p, 100), 1000 + 100 * 20000000ull);
	assert_false(pace_ready(&p, 999));
	assert_true(pace_ready(&p, 1000));
}

static void test_pace_no_drift(void **state)
{
	struct pace p;
	uint64_t hz = 1999999937ull; /* a prime-ish TSC rate: intervals are fractional */

	(void)state;
	pace_init(&p, 0, hz, 3, 1);
	/* After 3e6 bursts at 3 pps exactly 1e6 seconds have passed: no
	 * accumulated rounding (an accumulator of rounded intervals would be
	 * off by up to 3e6 ticks). */
	assert_int_equal(pace_due(&p, 3000000), 1000000ull * hz);
	/* Due times never decrease and are within one tick of the ideal. */
	for (uint64_t k = 0; k < 100000; k++) {
		long double ideal = (long double)k * hz / 3.0L;
		long double d = (long double)pace_due(&p, k) - ideal;

		assert_true(d <= 0.0L && d > -1.0L);
		assert_true(pace_due(&p, k + 1) >= pace_due(&p, k));
	}
}

static void test_pace_late(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 0, 1000000000ull, 1000000, 1); /* 1 Mpps: one per 1000 ticks */
	assert_false(pace_advance(&p, 0));     /* burst 0 on time */
	assert_false(pace_advance(&p, 1500));  /* burst 1 due 1000, next due 2000 */
	assert_true(pace_advance(&p, 10000));  /* burst 2 due 2000: far behind */
	assert_int_equal(p.k, 3);
	/* The schedule is kept, not reset: burst 3 is already due. */
	assert_true(pace_ready(&p, 10000));
}

static void test_pace_unpaced(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 5, 2000000000ull, 0, 32);
	assert_true(pace_ready(&p, 5));
	assert_false(pace_advance(&p, 1ull << 40));
	assert_int_equal(pace_interval(&p), 0);
}

static void test_seq_track(void **state)
{
	static struct seq_track t;

	(void)state;
	seq_track_init(&t);
	assert_int_equal(seq_track_add(&t, 0), SEQ_IN_ORDER);
	assert_int_equal(seq_track_add(&t, 1), SEQ_IN_ORDER);
	assert_int_equal(seq_track_add(&t, 3), SEQ_GAP);     /* 2 missing */
	assert_int_equal(seq_track_add(&t, 2), SEQ_REORDER); /* 2 late */
	assert_int_equal(seq_track_add(&t, 2), SEQ_DUP);
	assert_int_equal(seq_track_add(&t, 3), SEQ_DUP);
	assert_int_equal(seq_track_add(&t, 4), SEQ_IN_ORDER);
	assert_int_equal(t.next, 5);
	/* A jump beyond the window forgets everything older. */
	assert_int_equal(seq_track_add(&t, 4 + SEQ_WINDOW * 2), SEQ_GAP);
	assert_int_equal(seq_track_add(&t, 4), SEQ_TOO_OLD);
	/* Slots reused after the window slides are not mistaken for duplicates. */
	seq_track_init(&t);
	for (uint64_t s = 0; s < 3 * SEQ_WINDOW; s += 2)
		assert_true(seq_track_add(&t, s) <= SEQ_GAP);
	assert_int_equal(seq_track_add(&t, 3 * SEQ_WINDOW - 3), SEQ_REORDER);
}

/* seq = 2^64 - 1 from a foreign sender: never taken, never wraps the head. */
static void test_seq_track_huge(void **state)
{
	static struct seq_track t;

	(void)state;
	seq_track_init(&t);
	assert_int_equal(seq_track_add(&t, UINT64_MAX), SEQ_IMPLAUSIBLE);
	assert_int_equal(t.next, 0);
	assert_int_equal(seq_track_add(&t, 0), SEQ_IN_ORDER);
	assert_int_equal(seq_track_add(&t, 1), SEQ_IN_ORDER);
	assert_int_equal(seq_track_add(&t, UINT64_MAX), SEQ_IMPLAUSIBLE);
	assert_int_equal(seq_track_add(&t, UINT64_MAX - 5), SEQ_IMPLAUSIBLE);
	assert_int_equal(seq_track_add(&t, 1ull << 40), SEQ_IMPLAUSIBLE);
	assert_int_equal(t.next, 2);
	/* The stream goes on as if nothing had come. */
	assert_int_equal(seq_track_add(&t, 2), SEQ_IN_ORDER);
	assert_int_equal(seq_track_add(&t, 1), SEQ_DUP);
	assert_int_equal(seq_track_add(&t, 4), SEQ_GAP);
	assert_int_equal(seq_track_add(&t, 3), SEQ_REORDER);
	/* The largest plausible jump is still a gap. */
	assert_int_equal(seq_track_add(&t, 5 + SEQ_JUMP_MAX - 1), SEQ_GAP);
	assert_int_equal(t.next, 5 + SEQ_JUMP_MAX);
	assert_int_equal(seq_track_add(&t, 6), SEQ_TOO_OLD);
	assert_int_equal(seq_track_add(&t, 4), SEQ_IMPLAUSIBLE);
}

/* A head that really passes 2^64 - 1 goes on at 0: in order, gaps,
 * duplicates and late packets across the wrap. */
static void test_seq_track_wrap(void **state)
{
	static struct seq_track t;
	uint64_t s0 = UINT64_MAX - 2;

	(void)state;
	seq_track_init(&t);
	/* A sender that started near the top (a long run, or a test). */
	assert_int_equal(seq_track_add(&t, s0), SEQ_IMPLAUSIBLE);
	t.next = s0;
	t.span = 1000;
	assert_int_equal(seq_track_add(&t, s0), SEQ_IN_ORDER);
	assert_int_equal(seq_track_add(&t, s0 + 1), SEQ_IN_ORDER);
	assert_int_equal(seq_track_add(&t, UINT64_MAX), SEQ_IN_ORDER);
	assert_int_equal(t.next, 0);
	assert_int_equal(seq_track_add(&t, 0), SEQ_IN_ORDER);
	assert_int_equal(seq_track_add(&t, 2), SEQ_GAP);
	assert_int_equal(seq_track_add(&t, 1), SEQ_REORDER);
	assert_int_equal(seq_track_add(&t, UINT64_MAX), SEQ_DUP);
	assert_int_equal(seq_track_add(&t, s0), SEQ_DUP);
	assert_int_equal(t.next, 3);
	/* Before the first sequence the tracker ever moved over: implausible. */
	assert_int_equal(t.span, 1006);
	assert_int_equal(seq_track_add(&t, 3 - 1006), SEQ_REORDER);
	assert_int_equal(seq_track_add(&t, 3 - 1007), SEQ_IMPLAUSIBLE);
	assert_int_equal(seq_track_add(&t, 3), SEQ_IN_ORDER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_exact),    cmocka_unit_test(test_pace_no_drift),
		cmocka_unit_test(test_pace_late),     cmocka_unit_test(test_pace_unpaced),
		cmocka_unit_test(test_seq_track),
		cmocka_unit_test(test_seq_track_huge),
		cmocka_unit_test(test_seq_track_wrap),
	};

	return cmocka_run_group_tests_name("pace", tests, NULL, NULL);
}
