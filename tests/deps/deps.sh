#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/deps/deps.sh - tests/deps.sh's install path, without touching the host:
# stand-in apt-get, dpkg-query, debconf-set-selections and id come first on
# PATH, and DEPS_POLICY_RC_D points the policy-rc.d into a temporary directory.
# Cases: every package present (nothing run); packages missing with no
# policy-rc.d (one is made for apt-get's run and removed after) and with an
# existing one (used, left as it was, exit 0: the bug was exit 1 here); not
# root; apt-get install or update failing (exit 1 and the reason, the
# policy-rc.d made is removed, an existing one kept); --build-only; Debian 13's
# package set (DEPS_RELEASE=trixie).  Then
# demo.sh and run-all.sh with a failing install: both print the reason and
# stop before building anything.  Needs neither root nor network.
set -u
: "${top_srcdir:=.}"
src=$(cd "$top_srcdir" && pwd)
deps=$src/tests/deps.sh
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

. "${top_srcdir:-.}/tests/lib/tap.sh"

# --- the stand-ins -------------------------------------------------------------
mkdir "$tmp/bin"
cat >"$tmp/bin/dpkg-query" <<'STUB'
#!/bin/bash
# dpkg-query -W -f='${Status}' PKG: installed when PKG is a line of $STUB_INSTALLED
pkg=${!#}
if grep -qx -- "$pkg" "$STUB_INSTALLED" 2>/dev/null; then
	printf 'install ok installed'
	exit 0
fi
echo "dpkg-query: no packages found matching $pkg" >&2
exit 1
STUB
cat >"$tmp/bin/apt-get" <<'STUB'
#!/bin/bash
# records each call and what policy-rc.d said at that moment
{
	printf 'apt-get %s\n' "$*"
	if [ -x "$DEPS_POLICY_RC_D" ]; then
		"$DEPS_POLICY_RC_D" postfix start >/dev/null 2>&1
		echo "policy-rc.d exit $?"
	else
		echo "policy-rc.d absent"
	fi
	echo "DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-}"
} >>"$STUB_LOG"
case "$1" in
update) [ "${STUB_APT_FAIL:-}" = update ] && { echo "E: The repository is not signed." >&2; exit 100; } ;;
install) [ "${STUB_APT_FAIL:-}" = install ] && { echo "E: Unable to locate package swaks" >&2; exit 100; } ;;
esac
exit 0
STUB
cat >"$tmp/bin/debconf-set-selections" <<'STUB'
#!/bin/bash
cat >>"$STUB_DEBCONF"
STUB
cat >"$tmp/bin/id" <<'STUB'
#!/bin/bash
[ "$1" = -u ] && { echo "${STUB_UID:-0}"; exit 0; }
exec /usr/bin/id "$@"
STUB
chmod +x "$tmp/bin"/*

# the full list is the first pkgs= block (up to its closing quote)
sed -n '/^pkgs="/,/"$/{p;/"$/q}' "$deps" | tr -d '"' | sed 's/^pkgs=//' | tr ' \t' '\n\n' | grep -v '^$' >"$tmp/full"
check "the package list was read from deps.sh ($(wc -l <"$tmp/full") packages)" test "$(wc -l <"$tmp/full")" -gt 10

export STUB_LOG=$tmp/apt.log STUB_DEBCONF=$tmp/debconf STUB_INSTALLED=$tmp/installed
run() {	# run [ARGS...]: deps.sh with the stand-ins; output in $tmp/out, status in $rc
	: >"$STUB_LOG"
	: >"$STUB_DEBCONF"
	PATH="$tmp/bin:$PATH" DEPS_POLICY_RC_D=$tmp/policy-rc.d DEPS_RELEASE=${release:-bookworm} \
		bash "$deps" "$@" >"$tmp/out" 2>&1
	rc=$?
	sed 's/^/#   /' "$tmp/out"
}

# 1. everything present: nothing runs
cp "$tmp/full" "$STUB_INSTALLED"
run
check "all present: exit 0" test "$rc" = 0
check "...apt-get not called" test ! -s "$STUB_LOG"
check "...no policy-rc.d made" test ! -e "$tmp/policy-rc.d"

# 2. two missing, no policy-rc.d
grep -vx -e swaks -e fail2ban "$tmp/full" >"$STUB_INSTALLED"
run
check "missing, no policy-rc.d: exit 0" test "$rc" = 0
check "...apt-get update, then install of exactly the missing ones" \
	test "$(grep '^apt-get' "$STUB_LOG" | tr '\n' '|')" = "apt-get update -qq|apt-get install -y -qq --no-install-recommends swaks fail2ban|"
check "...a policy-rc.d that refuses (101) was in place during both runs" \
	test "$(grep -c '^policy-rc.d exit 101$' "$STUB_LOG")" = 2
check "...non-interactive" test "$(grep -c '^DEBIAN_FRONTEND=noninteractive$' "$STUB_LOG")" = 2
check "...postfix's debconf answers given" grep -q "postfix/main_mailer_type select Internet Site" "$STUB_DEBCONF"
check "...and the policy-rc.d removed afterwards" test ! -e "$tmp/policy-rc.d"

# 3. missing, an existing policy-rc.d (the case that exited 1 with no word)
printf '#!/bin/sh\n# the image'"'"'s own\nexit 101\n' >"$tmp/policy-rc.d"
chmod 0755 "$tmp/policy-rc.d"
cp "$tmp/policy-rc.d" "$tmp/policy.orig"
run
check "missing, existing policy-rc.d: exit 0" test "$rc" = 0
check "...apt-get install ran under it" grep -q '^apt-get install .* swaks fail2ban$' "$STUB_LOG"
check "...and it is left as it was" cmp -s "$tmp/policy-rc.d" "$tmp/policy.orig"
check "...no failure reported" sh -c "! grep -q 'deps: failed' '$tmp/out'"

# 4. install fails, existing policy-rc.d: exit 1, the reason, policy kept
STUB_APT_FAIL=install run
check "apt-get install fails: exit 1" test "$rc" = 1
check "...apt-get's own message is shown" grep -q "E: Unable to locate package swaks" "$tmp/out"
check "...the last line names the reason" \
	test "$(tail -n1 "$tmp/out")" = "deps: failed: apt-get install of swaks fail2ban failed (its last lines are above)"
check "...the existing policy-rc.d is kept" cmp -s "$tmp/policy-rc.d" "$tmp/policy.orig"

# 5. update fails, no policy-rc.d: the one made is removed
rm -f "$tmp/policy-rc.d"
STUB_APT_FAIL=update run
check "apt-get update fails: exit 1 with the reason" \
	sh -c "test $rc = 1 && tail -n1 '$tmp/out' | grep -qx 'deps: failed: apt-get update failed (its last lines are above)'"
check "...install not tried" sh -c "! grep -q '^apt-get install' '$STUB_LOG'"
check "...the policy-rc.d it made is removed" test ! -e "$tmp/policy-rc.d"

# 6. not root
STUB_UID=1000 run
check "not root, packages missing: exit 1" test "$rc" = 1
check "...says which and why" grep -qx "deps: failed: missing packages: swaks fail2ban (run as root to install them)" "$tmp/out"
check "...apt-get not called" test ! -s "$STUB_LOG"

# 7. --build-only looks only at the build packages
printf 'python3\n' >"$STUB_INSTALLED"
run --build-only
check "--build-only installs only build packages" sh -c "test $rc = 0 &&
	grep -q '^apt-get install .* libipset-dev' '$STUB_LOG' && ! grep -qw -e postfix -e swaks -e rsyslog '$STUB_LOG'"

# 7b. Debian 13: the same set, plus systemd-dev (systemd.pc left systemd there)
cp "$tmp/full" "$STUB_INSTALLED"
release=trixie run
check "trixie: exactly systemd-dev installed on top of the Debian 12 set" \
	test "$(grep '^apt-get install' "$STUB_LOG")" = "apt-get install -y -qq --no-install-recommends systemd-dev"
release=trixie run --build-only
check "trixie --build-only: nothing more" sh -c "test $rc = 0 && ! grep -q '^apt-get' '$STUB_LOG'"

# 8. demo.sh and run-all.sh with a failing install: the reason, nothing built
: >"$STUB_INSTALLED"
PATH="$tmp/bin:$PATH" DEPS_POLICY_RC_D=$tmp/policy-rc.d STUB_APT_FAIL=install \
	timeout 60 bash "$src/demo.sh" >"$tmp/demo.out" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/demo.out"
check "demo.sh stops (exit $rc) with deps.sh's reason" sh -c "test $rc != 0 &&
	grep -q '^deps: failed: apt-get install of .* failed' '$tmp/demo.out' &&
	grep -q 'E: Unable to locate package swaks' '$tmp/demo.out' && grep -q '^demo: tests/deps.sh failed' '$tmp/demo.out'"
PATH="$tmp/bin:$PATH" DEPS_POLICY_RC_D=$tmp/policy-rc.d STUB_APT_FAIL=install \
	timeout 60 bash "$src/tests/run-all.sh" >"$tmp/all.out" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/all.out"
check "run-all.sh stops (exit $rc) naming deps.sh's reason before its count" sh -c "test $rc != 0 &&
	grep -q '^FAILED: tests/deps.sh: apt-get install of .* failed' '$tmp/all.out' &&
	test \"\$(tail -n1 '$tmp/all.out')\" = '0 passed, 1 failed'"
check "...no policy-rc.d left behind by either" test ! -e "$tmp/policy-rc.d"

finish
