#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/deb.sh - the Debian package, built, checked, installed and purged
# on this host:
# - dpkg-buildpackage -us -uc -b from a copy of the source tree gives
#   authfold_VERSION_ARCH.deb, VERSION that of configure.ac;
# - dpkg-deb -c: the three programs, the four man pages, both units, both logrotate
#   files, /etc/authfold/authfold.conf (a conffile), the rsyslog action where
#   rsyslog does not read it, the copyright, the fail2ban examples; nothing
#   in /etc/rsyslog.d; the maintainer scripts neither enable nor start a unit;
# - lintian (every tag, pedantic included) reports nothing but the overrides
#   in debian/authfold.lintian-overrides (installed for Debian 12's lintian
#   only: Debian 13's has no such tag, see debian/rules);
# - installed (a policy-rc.d refuses every start meanwhile): authfold
#   --version, authfold replay of a recording with the installed default
#   configuration (the same output as the build tree's authfold with no
#   configuration), rsyslogd -N1 with a private configuration that includes
#   the shipped action, logrotate -d of both files; /etc/rsyslog.d and the
#   systemd enablement links are unchanged;
# - purged after state and logs were made in the unit's layout
#   (/var/lib/private/authfold with the /var/lib/authfold link): nothing of
#   the package is left.
# Root only.  It never touches a host where authfold is installed in any way
# (package, make install, state or configuration): it skips (77) there.
# The sanitizer build of tests/run-all.sh skips it (AUTHFOLD_SANITIZERS=yes):
# the package is built by dpkg-buildpackage with Debian's own flags from a
# copy of the tree, whatever the build directory's flags, so a second run
# would only repeat the first one (about a minute).
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
src=$(cd "$top_srcdir" && pwd)
af=$(cd "$top_builddir" && pwd)/authfold

skip() { echo "SKIP: $*"; exit 77; }
[ "${AUTHFOLD_SANITIZERS:-no}" = yes ] && skip "sanitizer build: the package does not depend on this build's flags (run by the -Werror build)"
[ "$(id -u)" = 0 ] || skip "needs root (installs and purges the package)"
for p in dpkg-buildpackage dh lintian rsyslogd logrotate dpkg-parsechangelog; do
	command -v $p >/dev/null 2>&1 || skip "no $p (tests/deps.sh installs it)"
done
[ -x "$af" ] || { echo "FAIL: $af is not built"; exit 1; }
# debian/rules puts the units where systemd.pc says: /lib/systemd/system on
# Debian 12, /usr/lib/systemd/system on Debian 13.
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
[ -n "$unitdir" ] || skip "no systemd.pc (package systemd-dev on Debian 13, systemd on 12)"
if dpkg-query -W -f='${Status}' authfold 2>/dev/null | grep -qv '^unknown ok not-installed$\|^$'; then
	skip "the authfold package is known to dpkg on this host ($(dpkg-query -W -f='${Status}' authfold)); not touching it"
fi
for p in /etc/authfold /usr/sbin/authfold /usr/sbin/authfold-omprog /usr/share/authfold /var/lib/authfold \
	/var/lib/private/authfold /var/log/authfold /var/log/private/authfold $unitdir/authfold.service \
	/usr/sbin/authfold-enforce $unitdir/authfold-enforce-restore.service \
	/etc/logrotate.d/authfold /etc/logrotate.d/authfold-omprog /etc/rsyslog.d/authfold.conf; do
	[ -e "$p" ] || [ -L "$p" ] && skip "$p exists: authfold is installed here some other way; not touching it"
done

tmp=$(mktemp -d) || exit 1
installed="" made_policy="" made_private=""
cleanup() {
	if [ -n "$installed" ]; then
		dpkg --purge authfold >/dev/null 2>&1 || echo "# cleanup: dpkg --purge authfold failed"
	fi
	[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
	[ -n "$made_private" ] && rmdir /var/lib/private 2>/dev/null
	rm -rf "$tmp"
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "${top_srcdir:-.}/tests/lib/tap.sh"
listing() {	# listing DIR: every entry below DIR with its size and time
	find "$1" -mindepth 1 -printf '%P %s %T@ %l\n' 2>/dev/null | sort
}
dpkg_locked() {	# dpkg_locked CMD...: runs a dpkg command, waiting up to 120 s for the lock
	local i out
	for i in $(seq 120); do
		out=$("$@" 2>&1) && { printf '%s\n' "$out"; return 0; }
		case "$out" in *"lock"*) sleep 1 ;; *) printf '%s\n' "$out"; return 1 ;; esac
	done
	printf '%s\n' "$out"
	return 1
}

# --- build from a copy of the tree ------------------------------------------
mkdir "$tmp/authfold"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tmp/authfold")
else	# a dist tree (make distcheck): everything but build directories
	(cd "$src" && tar --exclude='./build*' --exclude=./_build --exclude=./_inst --exclude=./config.status --exclude=./config.log -cf - .) |
		(cd "$tmp/authfold" && tar -xf -)
fi
check "a copy of the tree with debian/" test -x "$tmp/authfold/debian/rules"
version=$(cd "$tmp/authfold" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
t0=$(date +%s)
# Nothing of this make check may reach the package's own build: MAKEFLAGS
# would carry TESTS=... into it (and so this test, again and again).
(cd "$tmp/authfold" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u TESTS -u top_srcdir -u top_builddir \
	-u AUTHFOLD_SANITIZERS DEB_BUILD_OPTIONS="parallel=2" dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1
rc=$?
deb=$tmp/authfold_${version}_${arch}.deb
check "dpkg-buildpackage -us -uc -b exits 0 ($(($(date +%s) - t0)) s)" test "$rc" = 0
[ "$rc" = 0 ] || { tail -n 40 "$tmp/build.log" | sed 's/^/# /'; finish; exit; }
check "it made authfold_${version}_${arch}.deb" test -s "$deb"
check "...its version is authfold's own ($("$af" --version))" test "authfold $version" = "$("$af" --version)"
check "...the build ran the package's build-time tests" grep -q '^# PASS: *[1-9]' "$tmp/build.log"

# --- contents ------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$tmp/contents"
sed 's/^/# /' "$tmp/contents"
for f in /usr/sbin/authfold /usr/sbin/authfold-omprog /usr/sbin/authfold-enforce /usr/share/man/man8/authfold.8.gz \
	/usr/share/man/man8/authfold-omprog.8.gz /usr/share/man/man8/authfold-enforce.8.gz \
	/usr/share/man/man5/authfold.conf.5.gz $unitdir/authfold.service \
	$unitdir/authfold-enforce-restore.service /etc/logrotate.d/authfold /etc/logrotate.d/authfold-omprog \
	/etc/authfold/authfold.conf /usr/share/authfold/rsyslog/authfold.conf /usr/share/doc/authfold/copyright \
	/usr/share/doc/authfold/examples/fail2ban/filter.d/authfold.conf \
	/usr/share/doc/authfold/examples/fail2ban/jail.d/authfold.conf; do
	check "the package has $f" grep -qxF "$f" "$tmp/contents"
done
check "...and nothing in /etc/rsyslog.d" sh -c "! grep -q '^/etc/rsyslog.d' '$tmp/contents'"
dpkg-deb -e "$deb" "$tmp/control"
check "conffiles: the configuration and both logrotate files" test "$(sort "$tmp/control/conffiles" | tr '\n' ' ')" = \
	"/etc/authfold/authfold.conf /etc/logrotate.d/authfold /etc/logrotate.d/authfold-omprog "
check "the maintainer scripts neither enable nor start a unit" sh -c "
	! grep -hE 'deb-systemd-invoke +(start|restart)[ \"]|systemctl[^|]* (enable|start)[ \"]' '$tmp/control'/p* &&
	test \"\$(grep -hc 'deb-systemd-helper enable' '$tmp/control/postinst')\" = \"\$(grep -hB2 'deb-systemd-helper enable' '$tmp/control/postinst' | grep -c was-enabled)\""
check "...but an upgrade restarts a running daemon (try-restart)" grep -q 'deb-systemd-invoke try-restart' "$tmp/control/postinst"
check "...and removal stops it" grep -q 'deb-systemd-invoke stop authfold.service' "$tmp/control/prerm"
check "the installed unit runs /usr/sbin/authfold" sh -c \
	"dpkg-deb --fsys-tarfile '$deb' | tar -xOf - .$unitdir/authfold.service | grep -q '^ExecStart=/usr/sbin/authfold journal '"
check "the installed restore unit runs /usr/sbin/authfold-enforce -c /etc/authfold/authfold.conf --restore" sh -c \
	"dpkg-deb --fsys-tarfile '$deb' | tar -xOf - .$unitdir/authfold-enforce-restore.service |
	 grep -qx 'ExecStart=/usr/sbin/authfold-enforce -c /etc/authfold/authfold.conf --restore'"
check "...and may write the default state_dir, /var/lib/authfold" sh -c \
	"dpkg-deb --fsys-tarfile '$deb' | tar -xOf - .$unitdir/authfold-enforce-restore.service |
	 grep -qx 'ReadWritePaths=-/var/lib/authfold'"
check "the shipped action names /usr/sbin/authfold-omprog and /etc/authfold/authfold.conf" sh -c \
	"dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./usr/share/authfold/rsyslog/authfold.conf |
	 grep -q 'binary=\"/usr/sbin/authfold-omprog -c /etc/authfold/authfold.conf --confirm\"'"

# --- lintian ---------------------------------------------------------------------
lintian --allow-root -I -E --pedantic --show-overrides "$tmp/authfold_${version}_${arch}.changes" >"$tmp/lintian" 2>&1
sed 's/^/# lintian: /' "$tmp/lintian"
check "lintian: no tag at any level except the justified overrides" sh -c "! grep -v '^O: ' '$tmp/lintian' | grep -q '^[EWIPX]: '"
check "...each override has a comment just above it" python3 -c '
import sys
prev = "#"
for l in open(sys.argv[1]):
    l = l.strip()
    if l.startswith("authfold:") and not (prev.startswith("#") or prev.startswith("authfold:")):
        sys.exit(1)
    if l:
        prev = l
' "$src/debian/authfold.lintian-overrides"

# --- install, with every service start refused -------------------------------------
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && made_policy=1
fi
listing /etc/rsyslog.d >"$tmp/rsyslog.d.before"
listing /etc/systemd/system >"$tmp/wants.before"
[ -d /var/lib/private ] || { mkdir -m 0700 /var/lib/private && made_private=1; }
installed=1
dpkg_locked dpkg -i "$deb" >"$tmp/install.log"
rc=$?
sed 's/^/# /' "$tmp/install.log"
check "dpkg -i exits 0" test "$rc" = 0
check "...installed" test "$(dpkg-query -W -f='${Status}' authfold)" = "install ok installed"
check "authfold --version is the package's" test "$(authfold --version)" = "authfold $version"
check "authfold-omprog is there" test -x /usr/sbin/authfold-omprog
log=$src/tests/data/verbose.rfc3339.log
(cd "$tmp" && TZ=UTC /usr/sbin/authfold replay --events "$tmp/pkg.events" "$log" >"$tmp/pkg.summary" 2>"$tmp/pkg.report")
rc=$?
sed -n '/^Would ban/,/^Diagnostics/p' "$tmp/pkg.report" | sed 's/^/# /'
check "authfold replay of the recording with the installed configuration exits 0" test "$rc" = 0
: >"$tmp/empty.conf"
TZ=UTC "$af" replay -c "$tmp/empty.conf" --events "$tmp/tree.events" "$log" >"$tmp/tree.summary" 2>/dev/null
check "...the same summary as the build tree's authfold with no configuration" cmp -s "$tmp/pkg.summary" "$tmp/tree.summary"
check "...the same events" cmp -s "$tmp/pkg.events" "$tmp/tree.events"
# four: the forger's second SASL failure asks for an unoffered mechanism (badmech, off)
check "...and the report's bans" grep -q '^Would ban: 4 bans of 4 addresses' "$tmp/pkg.report"

mkdir -p "$tmp/rsyslog/spool"
cat >"$tmp/rsyslog/rsyslog.conf" <<EOF
global(workDirectory="$tmp/rsyslog/spool")
include(file="/usr/share/authfold/rsyslog/authfold.conf")
EOF
rsyslogd -N1 -f "$tmp/rsyslog/rsyslog.conf" >"$tmp/rsyslog/n1.log" 2>&1
rc=$?
sed 's/^/# rsyslogd: /' "$tmp/rsyslog/n1.log"
check "rsyslogd -N1 accepts a configuration that includes the shipped action" test "$rc" = 0
check "...without an error or warning" sh -c "! grep -qiE 'error|warning' '$tmp/rsyslog/n1.log'"
check "...and its program is installed and executable" test -x "$(sed -n 's/.*binary="\([^ "]*\).*/\1/p' /usr/share/authfold/rsyslog/authfold.conf)"
check "logrotate -d accepts both logrotate files" sh -c \
	"logrotate -d /etc/logrotate.d/authfold >'$tmp/lr1' 2>&1 && logrotate -d /etc/logrotate.d/authfold-omprog >'$tmp/lr2' 2>&1 &&
	 ! grep -qi error '$tmp/lr1' '$tmp/lr2'"
listing /etc/rsyslog.d >"$tmp/rsyslog.d.after"
listing /etc/systemd/system >"$tmp/wants.after"
check "installing left /etc/rsyslog.d as it was" cmp -s "$tmp/rsyslog.d.before" "$tmp/rsyslog.d.after"
check "...and enabled nothing" cmp -s "$tmp/wants.before" "$tmp/wants.after"

# state and logs in the layout systemd gives the unit (DynamicUser=yes)
mkdir -m 0700 /var/lib/private/authfold && ln -s private/authfold /var/lib/authfold &&
	: >/var/lib/authfold/journal.state && mkdir -m 0700 /var/lib/authfold/unban.d
mkdir -p -m 0700 /var/log/private && mkdir -m 0750 /var/log/private/authfold &&
	ln -s private/authfold /var/log/authfold && : >/var/log/authfold/mail.summary.log
check "state and logs made in the unit's layout" test -e /var/lib/authfold/journal.state -a -e /var/log/authfold/mail.summary.log

# --- purge ---------------------------------------------------------------------------
dpkg_locked dpkg --purge authfold >"$tmp/purge.log"
rc=$?
sed 's/^/# /' "$tmp/purge.log"
check "dpkg --purge exits 0" test "$rc" = 0
[ "$rc" = 0 ] && installed=""
check "...the package is gone from dpkg's database" sh -c \
	"! dpkg-query -W -f='\${Status}' authfold 2>/dev/null | grep -q installed"
left=""
while read -r f; do
	case $f in */) f=${f%/} ;; esac
	[ -n "$f" ] || continue
	# directories shared with the system stay; everything of the package goes
	dpkg-query -S "$f" >/dev/null 2>&1 && continue
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$tmp/contents"
for f in /var/lib/authfold /var/lib/private/authfold /var/log/authfold /var/log/private/authfold \
	/etc/authfold /usr/share/authfold /usr/share/doc/authfold; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
for f in /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked /etc/systemd/system; do
	[ -d "$f" ] && find "$f" -name '*authfold*' | grep -q . && left="$left $f/...authfold..."
done
check "nothing is left after the purge:${left:- (nothing)}" test -z "$left"
rmdir /var/log/private 2>/dev/null

finish
