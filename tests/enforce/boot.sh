#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/boot.sh - systemd/authfold-enforce-restore.service at boot,
# without systemd: its ExecStart= command line, taken from the built unit
# file, run as the unit runs it (root with the unit's capability bounding
# set, no_new_privs) in a private network namespace whose kernel sets are
# empty, as after a reboot.
#
# Only two words of the command line are replaced: the program (the unit
# names the installed $(sbindir)/authfold-enforce; the built one runs) and
# the configuration after -c (the unit names $(sysconfdir)/authfold/
# authfold.conf; a private one names a state_dir under the test's temporary
# directory). Every other word runs as written.
#
# Checked:
# - systemd-analyze verify accepts the unit; its security score is logged;
# - no state (no state_dir, an empty state_dir, an empty log, a log of
#   ended bans and an unban): exit 0, no set created, no file made;
# - a state of central bans (decisions taken by authfold-enforce from its
#   stdin, as rsyslog hands them over): after the unit's command, the
#   kernel sets hold the running bans with their remaining time, not the
#   unbanned or ended ones; a second run changes nothing and succeeds.

. "${top_srcdir:-.}/tests/bans/lib.sh"

enf=$top_builddir/authfold-enforce
unit=$top_builddir/systemd/authfold-enforce-restore.service
[ -x "$enf" ] || { echo "FAIL: $enf is not built"; exit 1; }
[ -f "$unit" ] || { echo "FAIL: $unit is not built"; exit 1; }
command -v setpriv >/dev/null 2>&1 || { echo "SKIP: no setpriv"; exit 77; }

# --- the unit file ----------------------------------------------------------
n_exec=$(grep -c '^ExecStart=' "$unit")
check "the unit has exactly one ExecStart=" [ "$n_exec" = 1 ]
exec_line=$(sed -n 's/^ExecStart=//p' "$unit" | head -n 1)
check "Type=oneshot" grep -qx 'Type=oneshot' "$unit"
check "ordered before rsyslog.service" grep -q '^Before=.*\<rsyslog\.service\>' "$unit"
check "ordered after the firewall" grep -q '^After=.*\<nftables\.service\>' "$unit"
capset=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
check "CapabilityBoundingSet=CAP_NET_ADMIN only (is '$capset')" [ "$capset" = CAP_NET_ADMIN ]
check "NoNewPrivileges=yes" grep -qx 'NoNewPrivileges=yes' "$unit"

# The words, without globbing; a systemd prefix (-, @, +, !, :) would change
# how the command runs: none is expected.
set -f
# shellcheck disable=SC2086
set -- $exec_line
set +f
prog=$1
shift
case $prog in
/*/authfold-enforce) prog_ok=1 ;;
*) prog_ok=0 ;;
esac
check "ExecStart= runs an absolute .../authfold-enforce without a prefix (is '$prog')" [ "$prog_ok" = 1 ]
args=
saw_conf=0
saw_restore=0
prev=
for w in "$@"; do
	if [ "$prev" = -c ]; then
		case $w in */authfold/authfold.conf) saw_conf=1 ;; esac
		w=@CONF@
	fi
	[ "$w" = --restore ] && saw_restore=1
	args="$args $w"
	prev=$w
done
check "ExecStart= names the configuration with -c .../authfold/authfold.conf" [ "$saw_conf" = 1 ]
check "ExecStart= says --restore" [ "$saw_restore" = 1 ]
echo "# the unit's command line: $exec_line" >&2
echo "# run as:$(echo "$args" | sed "s|@CONF@|CONF|") (program: $enf)" >&2

# run_unit CONF: the unit's command line with the built program and CONF,
# root with the unit's bounding set, no inheritable capabilities and
# no_new_privs, as systemd starts it. Its stderr goes to $tmp/unit.err.
run_unit() {
	set -f
	# shellcheck disable=SC2086
	set -- $(echo "$args" | sed "s|@CONF@|$1|")
	set +f
	setpriv --bounding-set=-all,+net_admin --inh-caps=-all --no-new-privs "$enf" "$@" 2>"$tmp/unit.err"
}

sets() {	# the names of the sets in this namespace
	ipset list -n 2>/dev/null | sort | tr '\n' ' '
}

# --- systemd-analyze -----------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s|^ExecStart=[^ ]*|ExecStart=$(cd "$top_builddir" && pwd)/authfold-enforce|" "$unit" \
		>"$tmp/authfold-enforce-restore.service"
	systemd-analyze verify --man=no "$tmp/authfold-enforce-restore.service" >"$tmp/verify.out" 2>&1
	rc=$?
	sed 's/^/# verify: /' "$tmp/verify.out"
	[ "$rc" = 0 ] && [ ! -s "$tmp/verify.out" ] && verified=1 || verified=0
	check "systemd-analyze verify accepts the unit, silently (exit $rc)" [ "$verified" = 1 ]
	if systemd-analyze security --offline=yes "$tmp/authfold-enforce-restore.service" >"$tmp/security.out" 2>&1; then
		grep -o 'Overall exposure level for .*' "$tmp/security.out" | sed 's/^/# security: /'
	else
		echo "# systemd-analyze security --offline=yes cannot run here (not a failure)"
	fi
else
	echo "# no systemd-analyze: the unit is not verified here"
fi

# --- no state: nothing happens -----------------------------------------------
conf "$tmp/none.conf"
sed -i "s|^state_dir = .*|state_dir = $tmp/missing/state|" "$tmp/none.conf"
run_unit "$tmp/none.conf"
rc=$?
check "no state_dir: exit 0 (is $rc)" [ "$rc" = 0 ]
check "no state_dir: no set created (sets: '$(sets)')" [ -z "$(sets)" ]
check "no state_dir: no directory made" [ ! -e "$tmp/missing" ]
check "no state_dir: it says there is nothing to restore" grep -q 'nothing to restore' "$tmp/unit.err"

conf "$tmp/a.conf"
run_unit "$tmp/a.conf"
rc=$?
check "an empty state_dir: exit 0 (is $rc)" [ "$rc" = 0 ]
check "an empty state_dir: no set created (sets: '$(sets)')" [ -z "$(sets)" ]
check "an empty state_dir stays empty" [ -z "$(ls -A "$tmp/state")" ]

: >"$tmp/state/enforce.log"
run_unit "$tmp/a.conf"
rc=$?
check "an empty enforce.log: exit 0 (is $rc)" [ "$rc" = 0 ]
check "an empty enforce.log: no set created (sets: '$(sets)')" [ -z "$(sets)" ]
check "an empty enforce.log: no other file made ($(ls -A "$tmp/state" | tr '\n' ' '))" \
	[ "$(ls -A "$tmp/state")" = enforce.log ]

now=$(date +%s)
by=central.example.org
dec() {	# dec ID OP NET AT UNTIL REASON
	echo "authfold-decision v1 id=$1 op=$2 net=$3 at=$4 until=$5 reason=$6 by=$by"
}
# the log as authfold-enforce writes it ("ARRIVAL DECISION"): a ban that
# has ended, and a ban with its later unban
{
	echo "$((now - 7200)) $(dec 00000000000000a1 ban 192.0.2.50/32 $((now - 7200)) $((now - 60)) noauth)"
	echo "$((now - 600)) $(dec 00000000000000a2 ban 192.0.2.66/32 $((now - 600)) $((now + 3000)) noauth)"
	echo "$((now - 300)) $(dec 00000000000000a3 unban 192.0.2.66/32 $((now - 300)) 0 admin)"
} >"$tmp/state/enforce.log"
cp "$tmp/state/enforce.log" "$tmp/ended.log"
run_unit "$tmp/a.conf"
rc=$?
check "only ended and unbanned bans: exit 0 (is $rc)" [ "$rc" = 0 ]
check "only ended and unbanned bans: no set created (sets: '$(sets)')" [ -z "$(sets)" ]
check "only ended and unbanned bans: the log is left as it was" cmp -s "$tmp/state/enforce.log" "$tmp/ended.log"
rm -f "$tmp/state/enforce.log"

# --- central bans: put back ---------------------------------------------------
# The decisions as rsyslog hands them to authfold-enforce (a blank first, as
# %msg% has it), applied with backend = none: the state an MX keeps, made
# without touching this namespace's kernel.
conf "$tmp/none-backend.conf"
sed -i 's/^backend = .*/backend = none/' "$tmp/none-backend.conf"
{
	echo " $(dec 3f29c1d07a8e44b1 ban 192.0.2.7/32 "$now" $((now + 3600)) noauth)"
	echo " $(dec 3f29c1d07a8e44b2 ban 2001:db8:1::/64 "$now" $((now + 7200)) saslfail)"
	echo " $(dec 3f29c1d07a8e44b3 ban 198.51.100.9/32 "$now" $((now + 600)) noauth)"
	echo " $(dec 3f29c1d07a8e44b4 ban 192.0.2.66/32 "$now" $((now + 3600)) noauth)"
	echo " $(dec 9be0c4a11d2f7e05 unban 192.0.2.66/32 $((now + 1)) 0 admin)"
} | "$enf" -c "$tmp/none-backend.conf" --no-confirm 2>"$tmp/apply.err"
rc=$?
check "the decisions are taken (backend = none; exit $rc)" [ "$rc" = 0 ]
check "enforce.log holds them" [ "$(wc -l <"$tmp/state/enforce.log")" -ge 5 ]
check "the kernel is still empty before the restore (sets: '$(sets)')" [ -z "$(sets)" ]

run_unit "$tmp/a.conf"
rc=$?
sed 's/^/# unit: /' "$tmp/unit.err"
check "central bans: the unit's command exits 0 (is $rc)" [ "$rc" = 0 ]
check "authfold4 holds 192.0.2.7 with its remaining time" expect_timeout authfold4 192.0.2.7 3600
check "authfold4 holds 198.51.100.9 with its remaining time" expect_timeout authfold4 198.51.100.9 600
check "authfold6 holds 2001:db8:1::/64 with its remaining time" expect_timeout authfold6 2001:db8:1::/64 7200
check "the unbanned 192.0.2.66 is not put back" sh -c "! ipset test authfold4 192.0.2.66 2>/dev/null"
check "exactly three entries in the sets" [ "$(members authfold4 | wc -l) $(members authfold6 | wc -l)" = "2 1" ]
check "it says how many bans it put back" grep -q '3 running bans' "$tmp/unit.err"

members authfold4 >"$tmp/before"
run_unit "$tmp/a.conf"
rc=$?
check "a second run exits 0 (is $rc)" [ "$rc" = 0 ]
members authfold4 | awk '{ print $1 }' >"$tmp/after.addrs"
awk '{ print $1 }' "$tmp/before" >"$tmp/before.addrs"
check "a second run changes no entry" cmp -s "$tmp/before.addrs" "$tmp/after.addrs"

finish
