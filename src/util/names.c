/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	names 3
 * SUMMARY
 *	the host and nftables names authfold accepts
 * SYNOPSIS
 *	#include "names.h"
 *
 *	bool	names_host_ok(s, len)
 *	bool	names_nft_ok(name)
 * DESCRIPTION
 *	Pure checks, shared by the configuration (config(3)), the
 *	decisions between hosts (decision(3)) and the nftables backend
 *	(nft(3)), so that a name one of them accepts the others accept too.
 *
 *	names_host_ok() accepts the len bytes at s as a host name (the
 *	by= of a decision, publish_host, enforce_from): 1..NAMES_HOST_MAX
 *	characters, an ASCII letter or digit first, then letters, digits,
 *	'.', '-' and '_'.
 *
 *	names_nft_ok() accepts the table names nft(8) takes as an
 *	identifier: a letter, then letters, digits, '_' and '.', at most
 *	NAMES_NFT_MAX characters. NULL is no name.
 */

#include "names.h"

#include <string.h>

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool names_host_ok(const char *s, size_t len)
{
	if (len == 0 || len > NAMES_HOST_MAX || !alnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(alnum(s[i]) || s[i] == '.' || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

bool names_nft_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > NAMES_NFT_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == n;
}
