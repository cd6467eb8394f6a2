#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/full.sh - a kernel set that refuses bans (it is full) never
# stalls authfold-omprog, against the real kernel in a private network
# namespace (tests/bans/lib.sh):
# 1. authfold4 exists with maxelem 2, made by hand: authfold-omprog warns
#    that it is smaller than max_addresses; four probing clients with
#    maxretry 1 give four bans, two fit. authfold-omprog answers OK to
#    every line (rsyslog's omprog protocol, driven here by a script), writes
#    every line once (no doubled summary line), logs the refusal once, and
#    authfold status shows "bans waiting for the kernel: 2, last error: ...".
#    When the set has room again the waiting bans reach it by themselves
#    (backoff) and that is logged once.
# 2. authfold replay --ban into the full set: the replay goes to its end,
#    says which bans the kernel did not take, exits 1.
# 3. authfold journal --once into the full set (a journal written with
#    systemd-journal-remote): it reads to the end and exits 0, logs the
#    refusal once and saves the waiting bans; its summary is whole.
# 4. sets that authfold creates get a maxelem that fits max_addresses.

. "${top_srcdir:-.}/tests/bans/lib.sh"

omprog=$top_builddir/authfold-omprog
[ -x "$omprog" ] || { echo "FAIL: $omprog is not built"; exit 1; }
now=$(date +%s)

ipset create authfold4 hash:ip family inet timeout 0 maxelem 2
conf "$tmp/a.conf" "summary_log = $tmp/summary.log" "events_log = $tmp/events.log" "maxretry = 1" "bantime = 1h"
for i in 1 2 3 4; do noauth_session "$now" $((100 + i)) 192.0.2.$i; done >"$tmp/in1.log"
for i in 5 6; do noauth_session "$now" $((100 + i)) 198.51.100.$i; done >"$tmp/in2.log"

# The omprog side of rsyslog: one line, one reply, as confirmMessages="on";
# a line answered otherwise is sent again (at most 3 times here), as rsyslog
# does. Between the two batches the script runs the hook's commands.
cat >"$tmp/drive.py" <<'PY'
import subprocess, sys, time
omprog, conf, in1, in2, hook, out = sys.argv[1:7]
p = subprocess.Popen([omprog, "-c", conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(out + ".err", "w"), text=True, bufsize=1)
replies = [p.stdout.readline()]          # "OK" once ready
def send(path):
    for line in open(path):
        for attempt in range(4):
            p.stdin.write(line)
            p.stdin.flush()
            replies.append(p.stdout.readline())
            if replies[-1] == "OK\n":
                break
send(in1)
rc = subprocess.call(["sh", hook])       # status, room in the set, wait for the retry
send(in2)
p.stdin.close()
status = p.wait(timeout=30)
with open(out, "w") as f:
    f.write("".join(r if r.endswith("\n") else r + "<EOF>\n" for r in replies))
    f.write("hook %d\nexit %d\n" % (rc, status))
PY
cat >"$tmp/hook.sh" <<EOF
# the state is saved after a second without lines
sleep 1.5
"$af" status -c "$tmp/a.conf" >"$tmp/status1.txt" 2>&1
"$af" status -c "$tmp/a.conf" --json >"$tmp/status1.json" 2>&1
ipset list authfold4 | awk '/^Members:/ { m = 1; next } m && NF { print \$1, \$3 }' | sort >"$tmp/members1.txt"
ipset del authfold4 192.0.2.1 && ipset del authfold4 192.0.2.2 || exit 1
# the waiting bans go in at a retry (1, 2, 4, 8 ... s after the refusal)
i=0
while ! { ipset -q test authfold4 192.0.2.3 && ipset -q test authfold4 192.0.2.4; }; do
	i=\$((i + 1)); [ \$i -le 300 ] || exit 1; sleep 0.1
done
sleep 1.5
"$af" status -c "$tmp/a.conf" >"$tmp/status2.txt" 2>&1
# room for one more: of the last two bans one goes in, one waits
ipset del authfold4 192.0.2.3
EOF
python3 "$tmp/drive.py" "$omprog" "$tmp/a.conf" "$tmp/in1.log" "$tmp/in2.log" "$tmp/hook.sh" "$tmp/replies.txt"
sed 's/^/# omprog: /' "$tmp/replies.txt.err"

check "authfold-omprog ended normally" grep -qx "exit 0" "$tmp/replies.txt"
check "it answered OK to every line (13: ready + 12 lines)" \
	sh -c "[ \"\$(grep -cx OK '$tmp/replies.txt')\" = 13 ] && [ \"\$(grep -vc -e '^OK\$' -e '^hook ' -e '^exit ' '$tmp/replies.txt')\" = 0 ]"
check "it warned that authfold4 is smaller than max_addresses" \
	grep -q "ipset 'authfold4' holds at most 2 entries (maxelem), fewer than max_addresses 65536" "$tmp/replies.txt.err"
check "the kernel refused while the set was full: 2 entries" \
	sh -c "[ \"\$(wc -l <'$tmp/members1.txt')\" = 2 ] && grep -q '^192.0.2.1 ' '$tmp/members1.txt' && grep -q '^192.0.2.2 ' '$tmp/members1.txt'"
check "each run of refusals was logged once (2 runs)" \
	sh -c "[ \"\$(grep -c 'waiting for the kernel' '$tmp/replies.txt.err')\" = 2 ]"
check "with the kernel's reason" \
	grep -q "1 ban waiting for the kernel.*cannot ban 192.0.2.3/32: .*full" "$tmp/replies.txt.err"
check "authfold status: 2 bans waiting, and why" \
	grep -q "^bans waiting for the kernel: 2 (omprog.state), last error: cannot ban 192.0.2.3/32: .*full" "$tmp/status1.txt"
check "authfold status --json: the same" \
	grep -q '"waiting":\[{"state":"omprog.state","bans":2,"since":"[0-9T:Z-]*","last_error":"cannot ban 192.0.2.3/32: ' "$tmp/status1.json"
check "once the set had room, the waiting bans went in by themselves" grep -qx "hook 0" "$tmp/replies.txt"
check "the end of the wait was logged once" \
	sh -c "[ \"\$(grep -c 'no ban waits for the kernel any more' '$tmp/replies.txt.err')\" = 1 ]"
check "authfold status then: nothing waits" sh -c "! grep -q 'waiting for the kernel' '$tmp/status2.txt'"
check "the last bans: 198.51.100.5 in, 198.51.100.6 waits (full again)" \
	sh -c "ipset -q test authfold4 198.51.100.5 && ! ipset -q test authfold4 198.51.100.6"
check "the state file holds the waiting ban and the refusal" \
	sh -c "grep -q '^pending 198.51.100.6 32 ' '$tmp/state/omprog.state' && grep -q '^banerror ' '$tmp/state/omprog.state'"
# every line once, its synthetic line once
cat "$tmp/in1.log" "$tmp/in2.log" >"$tmp/in.log"
check "every input line is in the summary exactly once" \
	sh -c "sort '$tmp/in.log' | uniq -c | awk '\$1 != 1' | grep -q . && exit 1; \
	       for l in \$(seq 1 12); do line=\$(sed -n \"\${l}p\" '$tmp/in.log'); \
	       [ \"\$(grep -cxF \"\$line\" '$tmp/summary.log')\" = 1 ] || exit 1; done"
check "no summary line twice (12 lines + 6 synthetic)" \
	sh -c "[ \"\$(wc -l <'$tmp/summary.log')\" = 18 ] && [ -z \"\$(sort '$tmp/summary.log' | uniq -d)\" ]"
check "6 strikes and 6 bans in the events log" \
	sh -c "[ \"\$(grep -c '\"event\":\"strike\"' '$tmp/events.log')\" = 6 ] && [ \"\$(grep -c '\"event\":\"ban\"' '$tmp/events.log')\" = 6 ]"

# 2. replay --ban into the full set
ipset flush authfold4
ipset add authfold4 203.0.113.1 timeout 600
ipset add authfold4 203.0.113.2 timeout 600
conf "$tmp/r.conf" "maxretry = 1" "bantime = 1h" "state_dir = $tmp/rstate"
"$af" replay -c "$tmp/r.conf" --ban "$tmp/in1.log" >"$tmp/r.summary" 2>"$tmp/r.err"
rc=$?
sed 's/^/# replay: /' "$tmp/r.err"
check "replay --ban into a full set exits 1" test "$rc" = 1
check "after folding every line" sh -c "[ \"\$(wc -l <'$tmp/r.summary')\" = 12 ]"
check "and says which bans the kernel did not take" grep -q "^authfold: 4 bans not given to the kernel: cannot ban 192.0.2.1/32: .*full" "$tmp/r.err"

# 3. authfold journal into the full set
remote=/lib/systemd/systemd-journal-remote
if [ -x "$remote" ]; then
	conf "$tmp/j.conf" "maxretry = 1" "bantime = 1h" "state_dir = $tmp/jstate" "summary_format = rfc3339"
	mkdir -p "$tmp/j"
	python3 "$top_srcdir/tests/journal/log2export.py" <"$tmp/in1.log" | "$remote" -o "$tmp/j/x.journal" - 2>/dev/null
	"$af" journal -c "$tmp/j.conf" --once --directory "$tmp/j" --summary "$tmp/j.summary" --events "$tmp/j.events" \
		>/dev/null 2>"$tmp/j.err"
	rc=$?
	grep -v -e '^ ' -e '^[A-Z][a-z]*:' -e '^$' -e '^=' -e '^Results$' "$tmp/j.err" | sed 's/^/# journal: /'
	check "authfold journal into a full set reads to the end and exits 0" test "$rc" = 0
	check "its summary is whole (8 lines + 4 synthetic)" sh -c "[ \"\$(wc -l <'$tmp/j.summary')\" = 12 ]"
	check "it logged the refusal once" \
		sh -c "[ \"\$(grep -c 'waiting for the kernel.*cannot ban 192.0.2.1/32: .*full' '$tmp/j.err')\" = 1 ]"
	check "its state keeps the 4 waiting bans and the refusal" \
		sh -c "[ \"\$(grep -c '^pending ' '$tmp/jstate/journal-directory.state')\" = 4 ] && grep -q '^banerror ' '$tmp/jstate/journal-directory.state'"
else
	echo "ok $((n + 1)) # SKIP no $remote (package systemd-journal-remote)"
	n=$((n + 1))
fi

# 4. maxelem of the sets authfold creates
ipset destroy
conf "$tmp/m.conf" "max_addresses = 100000" "state_dir = $tmp/mstate"
"$af" replay -c "$tmp/m.conf" --ban /dev/null >/dev/null 2>"$tmp/m.err"
check "authfold4 created with maxelem 100000" sh -c "ipset -t list authfold4 | grep -q 'maxelem 100000'"
check "authfold6 created with maxelem 100000" sh -c "ipset -t list authfold6 | grep -q 'maxelem 100000'"
check "and no warning then" sh -c "! grep -q warning '$tmp/m.err'"
ipset destroy
conf "$tmp/d.conf" "max_addresses = 1000" "state_dir = $tmp/dstate"
"$af" replay -c "$tmp/d.conf" --ban /dev/null >/dev/null 2>"$tmp/d.err"
check "a smaller max_addresses keeps the kernel's default maxelem 65536" \
	sh -c "ipset -t list authfold4 | grep -q 'maxelem 65536'"
finish
