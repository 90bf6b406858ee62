#!/bin/sh
# Install the Debian packages bypasslab needs (only those missing) and mount
# what its datapaths need. A quick no-op when everything is present.
# libclang-rt-14-dev: libFuzzer and the sanitizer runtimes for clang 14.
# openssh-server/-client: tests/integ/test_hosts runs its own sshd per
# namespace host; the system's ssh service is not wanted (see below).
set -eu
PKGS="gcc make pkg-config clang llvm libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev \
liburing-dev libxdp-dev libjansson-dev libinih-dev libcmocka-dev iproute2 nftables procps \
sockperf gnuplot-nox jq chromium lxc libdpdk-dev dpdk-dev openvswitch-switch-dpdk \
systemtap-sdt-dev openssh-server openssh-client"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || { echo "deps: missing packages:$missing (run as root to install)" >&2; exit 1; }
	echo "deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Installing a daemon (openssh-server) starts it on Debian; the tests
	# run their own private sshds and must not leave a system-wide ssh
	# service listening. policy-rc.d answering 101 ("action forbidden")
	# stops invoke-rc.d and deb-systemd-invoke from starting anything.
	# One that already exists is the machine's own policy: kept as is.
	policy=/usr/sbin/policy-rc.d
	ours=""
	if [ ! -e "$policy" ]; then
		ours=1
		trap 'rm -f "$policy"' EXIT
		trap 'rm -f "$policy"; exit 130' INT
		trap 'rm -f "$policy"; exit 143' TERM
		printf '#!/bin/sh\n# bypasslab deps.sh: no service starts while it installs\nexit 101\n' \
			> "$policy"
		chmod 0755 "$policy"
	fi
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2
	if [ -n "$ours" ]; then
		rm -f "$policy"
		trap - EXIT INT TERM
	fi
fi
# bpffs for BPF links/pins; harmless when already mounted.
if [ "$(id -u)" = 0 ] && ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
fi
# tracefs: tracepoint ids for BPF attachment and tracepoint counters.
if [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing ] && ! [ -d /sys/kernel/tracing/events ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi
# hugetlbfs for DPDK (the harness reserves the pages a run needs).
if [ "$(id -u)" = 0 ] && ! mountpoint -q /dev/hugepages 2>/dev/null; then
	mkdir -p /dev/hugepages && mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages 2>/dev/null || true
fi
exit 0
