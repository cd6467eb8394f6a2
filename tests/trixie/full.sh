#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/trixie/full.sh - README's two commands in a FRESH Debian 13 ("trixie"):
# the whole of tests/run-all.sh (every test, the ASan pass included) run on
# Debian 13, as a user on a new machine would run it.
#
#   sudo tests/trixie/full.sh [DIR]
#
# NOT part of tests/run-all.sh's list: it installs a whole new system and runs
# the suite once more on it, which doubles the time of a CI run (25 min
# measured on two cores, debootstrap not counted). tests/trixie/run.sh (in
# run-all) is the quick Debian 13 check.
#
# 1. debootstrap trixie (the default variant, plus ca-certificates and git,
#    nothing else: what a fresh Debian 13 machine has) into DIR/root
#    (default DIR /var/tmp/authfold-trixie-full; a tree left there by an
#    earlier run is removed first);
# 2. enters it in a private mount namespace (/proc, /sys with cgroup2, a small
#    /dev with devpts, /run as tmpfs, the host's resolv.conf), with the host's
#    network, so apt-get reaches Debian's mirror;
# 3. inside it, as root: `git clone` of the commit checked out here (HEAD;
#    changes not committed are not part of the run: it says so), then
#    `./demo.sh` and `tests/run-all.sh`, exactly as README gives them: both
#    install what they need with apt-get.
# Outputs in DIR: demo.log, run-all.log (and the clone, build dirs and every
# test's .log/.trs under DIR/root/root/authfold, kept for reading until the
# next run). It ends with run-all's own "N passed, N failed, ..." line. Exit
# status: 0 when both commands exited 0, 1 otherwise, 77 when not root or
# debootstrap is missing or Debian's mirror cannot be reached.
#
# What a chroot cannot give (no systemd as PID 1, no own kernel): tests that
# need it skip with a word naming the missing capability.
#
# Environment: TRIXIE_MIRROR (default http://deb.debian.org/debian),
# FULL_BASE (an already made fresh debootstrap tree to copy instead of running
# debootstrap; it is not changed).
set -uo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$src/tests/trixie/full.sh
mirror=${TRIXIE_MIRROR:-http://deb.debian.org/debian}

# --- inside the private mount namespace: set up the tree, run the commands -----
if [ "${1:-}" = --inner ]; then
	r=$2/root
	mount --make-rprivate / || exit 1
	# On a machine / is a mount point; tests that make a private mount
	# namespace (unshare -m) change its propagation, which a plain
	# directory refuses ("cannot change root filesystem propagation").
	mount --bind "$r" "$r" || exit 1
	mount -t proc proc "$r/proc" || exit 1
	mount -t sysfs sysfs "$r/sys" 2>/dev/null || mount --rbind /sys "$r/sys" || exit 1
	mountpoint -q "$r/sys/fs/cgroup" || mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup" || exit 1
	mount -t tmpfs -o mode=0755,size=1m full-dev "$r/dev" || exit 1
	for n in null zero random urandom full tty; do
		touch "$r/dev/$n" && mount --bind "/dev/$n" "$r/dev/$n" || exit 1
	done
	ln -s /proc/self/fd "$r/dev/fd"
	ln -s /proc/self/fd/0 "$r/dev/stdin"
	ln -s /proc/self/fd/1 "$r/dev/stdout"
	ln -s /proc/self/fd/2 "$r/dev/stderr"
	mkdir -p "$r/dev/shm" "$r/dev/pts"
	mount -t tmpfs -o size=256m tmpfs "$r/dev/shm" || exit 1
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$r/dev/pts" &&
		ln -s pts/ptmx "$r/dev/ptmx"
	mount -t tmpfs -o mode=0755,size=256m full-run "$r/run" || exit 1
	mkdir -p "$r/run/lock"
	cp -L /etc/resolv.conf "$r/etc/resolv.conf" || exit 1
	# As README gives the commands: as root, from a clone of the repository.
	chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb /bin/bash -c '
		cd /root && git clone -q /srv/authfold.git authfold && cd authfold || exit 2
		echo "# clone: $(git log --oneline -1)"
		t0=$(date +%s)
		./demo.sh >/root/demo.log 2>&1; echo $? >/root/demo.rc
		t1=$(date +%s)
		tests/run-all.sh >/root/run-all.log 2>&1; echo $? >/root/run-all.rc
		echo "# ./demo.sh took $((t1 - t0)) s, tests/run-all.sh $(($(date +%s) - t1)) s (both with their apt-get installs)"
	'
	exit $?
fi

# --- outside ------------------------------------------------------------------
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (debootstrap, chroot, mounts)"; exit 77; }
for p in debootstrap unshare chroot mount git python3; do
	command -v "$p" >/dev/null || { echo "SKIP: $p missing"; exit 77; }
done
d=${1:-/var/tmp/authfold-trixie-full}
start=$(date +%s)
if [ -e "$d" ]; then
	findmnt -rn -o TARGET | grep -q "^$d/" &&
		{ echo "FAILED: something is mounted under $d (a run still going?)"; exit 1; }
	rm -rf "$d" || { echo "FAILED: cannot remove the old $d"; exit 1; }
fi
mkdir -p "$d" || exit 1
if [ -n "${FULL_BASE:-}" ]; then
	echo "# copying the fresh Debian 13 tree $FULL_BASE"
	cp -a "$FULL_BASE" "$d/root" || { echo "FAILED: cannot copy $FULL_BASE"; exit 1; }
else
	python3 - "$mirror/dists/trixie/Release" <<'EOF' 2>/dev/null ||
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=15) as r:
    sys.exit(0 if b"Codename: trixie" in r.read(4096) else 1)
EOF
		{ echo "SKIP: Debian's mirror $mirror cannot be reached"; exit 77; }
	echo "# debootstrap trixie into $d/root from $mirror"
	debootstrap --include=ca-certificates,git trixie "$d/root" "$mirror" >"$d/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$d/debootstrap.log"; echo "FAILED: debootstrap (log $d/debootstrap.log)"; exit 1; }
fi
echo "# Debian $(cat "$d/root/etc/debian_version") ready in $(($(date +%s) - start)) s"

# What a user clones: this checkout's HEAD.
git -C "$src" diff --quiet HEAD 2>/dev/null ||
	echo "# note: $src has changes not committed; the run tests HEAD only"
branch=$(git -C "$src" symbolic-ref -q HEAD)
bare=$d/root/srv/authfold.git
git clone -q --bare --no-local "$src" "$bare" &&
	if [ -n "$branch" ]; then git -C "$bare" symbolic-ref HEAD "$branch"
	else git -C "$bare" update-ref --no-deref HEAD "$(git -C "$src" rev-parse HEAD)"; fi ||
	{ echo "FAILED: cannot make the repository to clone"; exit 1; }

unshare -m --propagation private "$BASH" "$SELF" --inner "$d"
rc=$?
r=$d/root/root
cp "$r/demo.log" "$r/run-all.log" "$d/" 2>/dev/null
demo=$(cat "$r/demo.rc" 2>/dev/null)
all=$(cat "$r/run-all.rc" 2>/dev/null)
echo "# ./demo.sh: status ${demo:-none}; tests/run-all.sh: status ${all:-none}; $(($(date +%s) - start)) s in all"
[ "$demo" = 0 ] || { echo "# demo.log's end:"; tail -n 20 "$d/demo.log" 2>/dev/null | sed 's/^/#   /'; }
grep -E '^(FAILED|skipped|XFAIL)' "$d/run-all.log" 2>/dev/null
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$d/run-all.log" 2>/dev/null | tail -n1)
echo "${line:-0 passed, 1 failed (run-all.sh left no summary line; inner status $rc)}"
[ "$demo" = 0 ] && [ "$all" = 0 ]
