#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The snippet's other settings give the same summary and strikes as
# `authfold replay`: confirmMessages off (with --no-confirm), useTransactions
# on (with confirmations on and off), and RSYSLOG_TraditionalFileFormat.
. "$(dirname "$0")/lib.sh"

run_mode() {
    local name=$1
    shift
    new_run "$name" "$@"
    expect
    start_rsyslog
    send --sentinel end-of-test
    wait_for end-of-test
    stop_rsyslog
    say "$name:"
    compare_exact
}

run_mode noconfirm 's|confirmMessages="on"|confirmMessages="off"|' 's|--confirm"|--no-confirm"|'
run_mode transactions 's|useTransactions="off"|useTransactions="on"|'
run_mode transactions-noconfirm 's|useTransactions="off"|useTransactions="on"|' \
    's|confirmMessages="on"|confirmMessages="off"|' 's|--confirm"|--no-confirm"|'
STRIP_TS=1
run_mode traditional 's|template="authfold"|template="authfold-traditional"|'
head -c 16 "$SUMMARY" | grep -Eq '^[A-Z][a-z]{2} [ 0-9][0-9] ' || fail "traditional: the summary is not in the traditional format"
exit 0
