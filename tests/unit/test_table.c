/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_table - table(3): SipHash-2-4 against its published test vector,
 * hashing in pieces, and insert/lookup/remove on colliding buckets.
 */

#include "table.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The reference vector: key 00..0f, message 00..0e (15 bytes). */
static void test_siphash_vector(void **state)
{
	(void) state;
	struct table t;
	unsigned char msg[15];

	assert_int_equal(table_init(&t, 1), 0);
	t.k0 = 0x0706050403020100ull;
	t.k1 = 0x0f0e0d0c0b0a0908ull;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char) i;
	assert_true(table_hash(&t, msg, sizeof(msg)) == 0xa129ca6149be45e5ull);
	/* the empty message */
	assert_true(table_hash(&t, msg, 0) == 0x726fdb47dd0e0e31ull);
	table_fini(&t);
}

/* A key fed in pieces hashes like the whole key. */
static void test_pieces(void **state)
{
	(void) state;
	struct table t;
	char key[67];

	assert_int_equal(table_init(&t, 16), 0);
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (char) (i * 7 + 1);
	uint64_t whole = table_hash(&t, key, sizeof(key));

	for (size_t a = 0; a <= sizeof(key); a++) {
		for (size_t b = a; b <= sizeof(key); b += 5) {
			struct table_hasher h;

			table_hasher_init(&t, &h);
			table_hasher_add(&h, key, a);
			table_hasher_add(&h, key + a, b - a);
			table_hasher_add(&h, key + b, sizeof(key) - b);
			assert_true(table_hasher_end(&h) == whole);
		}
	}
	table_fini(&t);
}

struct item {
	struct table_node node;
	int key;
};

/* Nodes of one bucket: lookups see only their hash, removal is O(1). */
static void test_chain(void **state)
{
	(void) state;
	struct table t;
	struct item items[64];

	assert_int_equal(table_init(&t, 16), 0);
	for (int i = 0; i < 64; i++) {
		items[i].key = i;
		/* every hash in bucket 3, four nodes per hash */
		table_insert(&t, &items[i].node, (uint64_t) (i / 4) << 32 | 3);
	}
	assert_int_equal(t.count, 64);
	for (int h = 0; h < 16; h++) {
		int seen = 0;

		for (struct table_node *n = table_first(&t, (uint64_t) h << 32 | 3); n; n = table_next(n)) {
			struct item *it = table_entry(n, struct item, node);

			assert_int_equal(it->key / 4, h);
			seen++;
		}
		assert_int_equal(seen, 4);
	}
	for (int i = 0; i < 64; i += 2)
		table_remove(&t, &items[i].node);
	table_remove(&t, &items[0].node);	/* not in the table any more: no-op */
	assert_int_equal(t.count, 32);
	for (struct table_node *n = table_first(&t, (uint64_t) 5 << 32 | 3); n; n = table_next(n))
		assert_int_equal(table_entry(n, struct item, node)->key % 2, 1);
	assert_null(table_first(&t, 4));
	table_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vector),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
