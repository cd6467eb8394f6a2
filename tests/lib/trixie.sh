# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/trixie.sh - a Debian 13 ("trixie") tree for tests: sourced (bash)
# by tests/trixie/run.sh and tests/fixtures/record.sh --trixie. As root.
#
#   trixie_root            prints the path of a complete Debian 13 tree with
#                          TRIXIE_PACKAGES installed: the cache when it is
#                          complete and of this package set, else made anew
#                          with debootstrap (about 90 s) and kept. Status 0;
#                          77 when Debian's packages cannot be reached (no
#                          cache and no mirror), 1 on any other failure; the
#                          reason on stderr.
#   trixie_enter ROOT DIR  (inside a private mount namespace) mounts an
#                          overlay of ROOT at DIR/root (changes go to
#                          DIR/upper: the cache is never written), with
#                          /proc, a small private /dev and /sys (with a
#                          cgroup file system on /sys/fs/cgroup)
#   trixie_run DIR CMD...  runs CMD in DIR/root (chroot), PATH and locale set
#
# The cache is TRIXIE_CACHE (default /var/cache/authfold-tests/trixie); its
# file .authfold-cache says which suite and packages it holds and is written
# only after debootstrap succeeded and every package was found installed, so a
# half-made tree is never reused. A lock (flock) keeps two runs from making
# it at once. TRIXIE_MIRROR (default http://deb.debian.org/debian).

TRIXIE_CACHE=${TRIXIE_CACHE:-/var/cache/authfold-tests/trixie}
TRIXIE_MIRROR=${TRIXIE_MIRROR:-http://deb.debian.org/debian}
# What the chroot tests need: Postfix and its SASL for the recordings, rsyslog
# to log them, the build dependencies of authfold (gcc 14) and its unit tests,
# journal-remote for the journal tests, debhelper for the .deb.
TRIXIE_PACKAGES="autoconf automake build-essential debhelper iproute2 ipset iptables
libcap-ng-dev libcmocka-dev libipset-dev libmnl-dev libnftnl-dev libpcre2-dev
libsasl2-modules libsystemd-dev openssl pkg-config postfix procps python3
rsyslog sasl2-bin ssl-cert systemd-dev systemd-journal-remote util-linux zlib1g-dev"

trixie_stamp() {
	echo "suite=trixie"
	echo "packages=$(echo $TRIXIE_PACKAGES | tr ' ' '\n' | sort | tr '\n' ' ')"
}

trixie_complete() {	# trixie_complete DIR: the stamp matches, packages there
	local d=$1 p
	[ -f "$d/.authfold-cache" ] && [ "$(cat "$d/.authfold-cache")" = "$(trixie_stamp)" ] || return 1
	for p in $TRIXIE_PACKAGES; do
		chroot "$d" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
	done
}

trixie_reachable() {
	python3 - "$TRIXIE_MIRROR/dists/trixie/Release" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=15) as r:
    sys.exit(0 if b"Codename: trixie" in r.read(4096) else 1)
EOF
}

trixie_root() {
	local c=$TRIXIE_CACHE rc=0
	command -v debootstrap >/dev/null || { echo "trixie: debootstrap missing (Debian package debootstrap)" >&2; return 1; }
	mkdir -p "$(dirname "$c")" || return 1
	exec 9>"$c.lock" || return 1
	flock 9 || return 1
	if trixie_complete "$c"; then
		exec 9>&-
		echo "$c"
		return 0
	fi
	if ! trixie_reachable; then
		exec 9>&-
		echo "trixie: no complete cache at $c and Debian's packages cannot be reached ($TRIXIE_MIRROR)" >&2
		return 77
	fi
	echo "trixie: making $c with debootstrap from $TRIXIE_MIRROR (about 90 s)" >&2
	rm -rf "$c.new" "$c.old"
	debootstrap --variant=minbase --include="$(echo $TRIXIE_PACKAGES | tr ' ' ',')" \
		trixie "$c.new" "$TRIXIE_MIRROR" >"$c.log" 2>&1 || rc=$?
	if [ $rc != 0 ]; then
		tail -n 20 "$c.log" >&2
		rm -rf "$c.new"
		exec 9>&-
		echo "trixie: debootstrap failed (status $rc, log $c.log)" >&2
		return 1
	fi
	trixie_stamp >"$c.new/.authfold-cache"
	if ! trixie_complete "$c.new"; then
		rm -rf "$c.new"
		exec 9>&-
		echo "trixie: debootstrap ended but packages are missing from $c.new" >&2
		return 1
	fi
	[ -e "$c" ] && mv "$c" "$c.old"
	mv "$c.new" "$c" && rm -rf "$c.old"
	exec 9>&-
	echo "$c"
}

trixie_enter() {
	local root=$1 d=$2 n
	mount --make-rprivate / || return 1
	mkdir -p "$d/upper" "$d/work" "$d/root" &&
	mount -t overlay authfold-trixie -o "lowerdir=$root,upperdir=$d/upper,workdir=$d/work" "$d/root" || return 1
	mount -t proc proc "$d/root/proc" || return 1
	mount -t sysfs sysfs "$d/root/sys" 2>/dev/null || mount --rbind /sys "$d/root/sys" || return 1
	# As on a booted Debian 13: systemd 257's journald exits (status 1,
	# "Failed to acquire cgroup root path: No medium found") right after
	# making its sockets when no cgroup file system is on /sys/fs/cgroup.
	mountpoint -q "$d/root/sys/fs/cgroup" || mount -t cgroup2 cgroup2 "$d/root/sys/fs/cgroup" || return 1
	mount -t tmpfs -o mode=0755,size=1m authfold-trixie-dev "$d/root/dev" || return 1
	for n in null zero random urandom full tty; do
		touch "$d/root/dev/$n" && mount --bind "/dev/$n" "$d/root/dev/$n" || return 1
	done
	ln -s /proc/self/fd "$d/root/dev/fd"
	mkdir -p "$d/root/dev/shm" "$d/root/dev/pts"
	mount -t tmpfs -o size=256m tmpfs "$d/root/dev/shm" || return 1
}

trixie_run() {
	local d=$1
	shift
	chroot "$d/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}
