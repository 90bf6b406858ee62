#!/bin/sh
# Run every test binary, show its output, and end with one summary line
# counted from cmocka's per-test lines: "N passed, N failed, N skipped".
# A binary that dies without reporting counts as one failure.
pass=0; fail=0; skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	echo "== $t"
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^\[       OK \]' "$log")
	# Per-test verdicts come before cmocka's "N test(s) run." summary,
	# which lists the failed ones a second time.
	f=$(awk '/^\[==========\] [0-9]+ test\(s\) run/ {exit} /^\[  FAILED  \] / {n++} END {print n+0}' "$log")
	s=$(awk '/^\[==========\] [0-9]+ test\(s\) run/ {exit} /^\[  SKIPPED \] / {n++} END {print n+0}' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$t exited with status $rc without a failed test: counted as a failure"
		f=1
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
