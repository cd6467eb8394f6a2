#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/longer.sh - tests/bans/longer.sh with backend = nft.
longer_backend=nft
export longer_backend
. "${top_srcdir:-.}/tests/bans/longer.sh"
