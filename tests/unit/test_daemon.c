/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_daemon - daemon(3): the shared loop with a scripted source: items,
 * the idle duties, the end, SIGHUP (checkpoint, reopen, checkpoint),
 * SIGTERM with and without draining, a failing checkpoint (fatal, or
 * retried with keep_going), the source's idle hook, and a source with its
 * own state (no engine, no state file, no state_dir lock), and an unban
 * request taken while idle saved at once.
 */

#include "bans.h"
#include "statedir.h"
#include "daemon.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static const char *const lines[] = {
	"2026-11-26T19:27:40.395183+00:00 mx postfix/smtpd[21433]: connect from unknown[192.0.2.10]",
	"2026-11-26T19:27:40.395990+00:00 mx postfix/smtpd[21433]: > unknown[192.0.2.10]: 220 mx ESMTP",
	"2026-11-26T19:27:41.001000+00:00 mx postfix/smtpd[21433]: disconnect from unknown[192.0.2.10] ehlo=1 commands=1",
};

/* What the source does at each call to read. */
enum step { LINE, ITEM, IDLE, AGAIN, HUP, TERM, END, FAIL };

struct script {
	const enum step *steps;
	size_t n, at;
	unsigned extras, saved, reads_after_end;
	bool extras_fail;
	unsigned idles;			/* ops->idle calls */
	uint64_t idle_now;		/* the last one's now */
	bool idle_fail;
};

static int s_read(struct daemon *d, void *data)
{
	struct script *s = data;

	if (s->at >= s->n) {
		s->reads_after_end++;
		return DAEMON_END;
	}
	switch (s->steps[s->at++]) {
	case LINE: {
		const char *l = lines[d->items % 3];

		assert_int_equal(engine_line(d->e, l, strlen(l), true), 0);
		return DAEMON_ITEM;
	}
	case ITEM: return DAEMON_ITEM;	/* of a source with its own state */
	case IDLE: return DAEMON_IDLE;
	case AGAIN: return DAEMON_AGAIN;
	case HUP: raise(SIGHUP); return DAEMON_AGAIN;
	case TERM: raise(SIGTERM); return DAEMON_AGAIN;
	case END: return DAEMON_END;
	case FAIL: return -EIO;
	}
	return -EINVAL;
}

static int s_wait(struct daemon *d, void *data, uint64_t until, bool *ret_woke)
{
	(void) d;
	(void) data;
	assert_true(until <= daemon_now() + DAEMON_WAIT_MAX_USEC);
	*ret_woke = false;
	return 0;
}

static int s_extras(struct daemon *d, void *data, struct state_extra *x, char *err, size_t errlen)
{
	struct script *s = data;

	(void) d;
	s->extras++;
	if (s->extras_fail) {
		snprintf(err, errlen, "extras refused");
		return -EIO;
	}
	snprintf(x->cursor, sizeof(x->cursor), "c%u", s->extras);
	return 0;
}

static int s_saved(struct daemon *d, void *data, const struct state_extra *x, char *err, size_t errlen)
{
	struct script *s = data;

	(void) d;
	(void) err;
	(void) errlen;
	s->saved++;
	assert_int_equal(x->cursor[0], 'c');	/* after s_extras */
	return 0;
}

static int s_idle(struct daemon *d, void *data, uint64_t now)
{
	struct script *s = data;

	(void) d;
	assert_true(now >= s->idle_now);
	assert_true(now <= daemon_now());
	s->idles++;
	s->idle_now = now;
	return s->idle_fail ? -EIO : 0;
}

static struct daemon_ops ops = {
	.name = "test",
	.prefix = "test_daemon: ",
	.save_usec = 60000000,
	.idle_save_usec = 0,
	.settle_quiet_usec = 0,
	.read = s_read,
	.wait = s_wait,
	.extras = s_extras,
	.saved = s_saved,
};

static struct config *conf;

static int setup(void **state)
{
	char path[128], err[512];
	FILE *fp;

	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/test_daemon.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fprintf(fp, "state_dir = %s/state\nbackend = none\nevents_log = %s/events\n", dir, dir);
	fclose(fp);
	if ((conf = config_read(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void) state;
	config_free(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Opens, loads and takes the first checkpoint, as the daemons do. */
static void start(struct daemon *d, struct script *s, const struct daemon_ops *o)
{
	char path[128];

	assert_int_equal(daemon_init(d, o, s, conf), 0);
	assert_int_equal(daemon_open(d, "test.state"), 0);
	snprintf(path, sizeof(path), "%s/summary", dir);
	assert_int_equal(output_open(path, &d->summary), 0);
	assert_int_equal(output_open(conf->events_log, &d->events), 0);

	struct engine_options eo = {.summary = d->summary, .events = d->events, .backend = &d->backend.ops};

	assert_true(daemon_load(d, &eo) >= 0);
	daemon_bans(d, true);
	assert_int_equal(daemon_checkpoint(d), 0);
	daemon_ready(d);
}

static void stop(struct daemon *d)
{
	daemon_close(d);
	output_free(d->summary);
	output_free(d->events);
}

static void test_items_idle_end(void **state)
{
	static const enum step steps[] = {LINE, LINE, AGAIN, LINE, IDLE, END, LINE};
	struct script s = {steps, 7, 0, 0, 0, 0, false, 0, 0, false};
	struct daemon d;
	char path[128];
	struct stat st;

	(void) state;
	start(&d, &s, &ops);
	assert_int_equal(s.extras, 1);
	assert_int_equal(daemon_run(&d), 0);
	assert_int_equal(s.at, 6);		/* nothing read after DAEMON_END */
	assert_int_equal(d.items, 3);
	assert_false(d.stop);
	/* idle: settled, and the dirty state checkpointed (idle_save_usec 0) */
	assert_int_equal(fold_pending(engine_fold(d.e)), 0);
	assert_int_equal(s.extras, 2);
	assert_int_equal(d.dirty, 0);
	assert_int_equal(daemon_finish(&d, 0), 0);
	assert_int_equal(s.extras, 3);
	assert_int_equal(s.saved, 3);
	snprintf(path, sizeof(path), "%s/state/test.state", dir);
	assert_int_equal(stat(path, &st), 0);
	stop(&d);

	/* a restart loads what was saved at the end: the third cursor */
	struct script s2 = {steps, 0, 0, 0, 0, 0, false, 0, 0, false};

	assert_int_equal(daemon_init(&d, &ops, &s2, conf), 0);
	assert_int_equal(daemon_open(&d, "test.state"), 0);
	snprintf(path, sizeof(path), "%s/summary", dir);
	assert_int_equal(output_open(path, &d.summary), 0);

	struct engine_options eo = {.summary = d.summary, .backend = &d.backend.ops};

	assert_int_equal(daemon_load(&d, &eo), 0);
	assert_true(d.loaded);
	assert_string_equal(d.x.cursor, "c3");
	stop(&d);
}

static void test_hup_term(void **state)
{
	static const enum step steps[] = {LINE, HUP, LINE, TERM, LINE};
	struct script s = {steps, 5, 0, 0, 0, 0, false, 0, 0, false};
	struct daemon d;

	(void) state;
	start(&d, &s, &ops);
	assert_int_equal(daemon_run(&d), 0);
	/* HUP: a checkpoint before and after the reopen */
	assert_int_equal(s.extras, 3);
	assert_true(d.stop);
	assert_int_equal(s.at, 4);		/* stopped before the last line */
	assert_int_equal(daemon_finish(&d, 0), 0);
	assert_int_equal(s.extras, 4);
	stop(&d);
}

static void test_drain(void **state)
{
	static const enum step steps[] = {LINE, TERM, LINE, LINE, END};
	struct script s = {steps, 5, 0, 0, 0, 0, false, 0, 0, false};
	struct daemon_ops o = ops;
	struct daemon d;

	(void) state;
	o.drains = true;
	start(&d, &s, &o);
	assert_true(daemon_stopping() == false);
	assert_int_equal(daemon_run(&d), 0);
	assert_true(d.stop);
	assert_true(daemon_stopping());
	assert_int_equal(d.items, 3);		/* read on until the source ended */
	assert_int_equal(daemon_finish(&d, 0), 0);
	stop(&d);
}

static void test_failures(void **state)
{
	static const enum step steps[] = {LINE, LINE, LINE, END};
	static const enum step fail[] = {LINE, FAIL, LINE};
	struct script s = {steps, 4, 0, 0, 0, 0, false, 0, 0, false};
	struct daemon_ops o = ops;
	struct daemon d;

	(void) state;
	/* a checkpoint after every item; the second one fails */
	start(&d, &s, &o);
	d.checkpoint_entries = 1;
	s.extras_fail = true;
	assert_true(daemon_run(&d) < 0);
	assert_int_equal(d.items, 1);
	assert_int_equal(daemon_finish(&d, 1), 1);
	stop(&d);

	/* keep_going: logged once, retried, the loop goes on */
	struct script k = {steps, 4, 0, 0, 0, 0, false, 0, 0, false};

	o.keep_going = true;
	start(&d, &k, &o);
	d.checkpoint_entries = 1;
	k.extras_fail = true;
	assert_int_equal(daemon_run(&d), 0);
	assert_int_equal(d.items, 3);
	assert_true(d.save_failing);
	k.extras_fail = false;
	assert_int_equal(daemon_finish(&d, 0), 0);
	assert_false(d.save_failing);
	stop(&d);

	/* a failing source ends the loop with its error */
	struct script f = {fail, 3, 0, 0, 0, 0, false, 0, 0, false};

	start(&d, &f, &ops);
	assert_int_equal(daemon_run(&d), -EIO);
	assert_int_equal(f.at, 2);
	assert_int_equal(daemon_finish(&d, 1), 1);
	stop(&d);
}

static void test_idle_hook(void **state)
{
	static const enum step steps[] = {LINE, IDLE, LINE, AGAIN, IDLE, IDLE, END};
	struct script s = {steps, 7, 0, 0, 0, 0, false, 0, 0, false};
	struct daemon_ops o = ops;
	struct daemon d;

	(void) state;
	/* without the hook nothing changes; with it, once per idle pass only */
	o.idle = s_idle;
	start(&d, &s, &o);
	assert_int_equal(daemon_run(&d), 0);
	assert_int_equal(s.idles, 3);
	assert_int_equal(d.items, 2);
	assert_true(s.idle_now > 0);
	assert_int_equal(daemon_finish(&d, 0), 0);
	assert_int_equal(s.idles, 3);		/* not at the end */
	stop(&d);

	/* a failing hook ends the loop with its error, even with keep_going */
	static const enum step fail[] = {LINE, IDLE, LINE, END};
	struct script f = {fail, 4, 0, 0, 0, 0, false, 0, 0, true};

	o.keep_going = true;
	start(&d, &f, &o);
	assert_int_equal(daemon_run(&d), -EIO);
	assert_int_equal(f.idles, 1);
	assert_int_equal(f.at, 2);		/* nothing read after it */
	assert_int_equal(daemon_finish(&d, 1), 1);
	stop(&d);
}

/* An unban request taken while idle is saved at once, not at the next
   idle_save_usec: the request is gone, and a restart from the last
   checkpoint would hold the ban again. */
static void test_unban_saved(void **state)
{
	static const enum step steps[] = {IDLE, END};
	struct script s = {steps, 2, 0, 0, 0, 0, false, 0, 0, false};
	struct daemon_ops o = ops;
	struct daemon d;
	struct cidr t;
	char path[256], err[256];
	struct stat st;

	(void) state;
	o.idle_save_usec = 60000000;
	start(&d, &s, &o);
	assert_int_equal(s.extras, 1);
	assert_int_equal(cidr_parse("192.0.2.66/32", 13, &t), 0);
	assert_int_equal(bans_request_unban(conf->state_dir, &t, path, sizeof(path), err, sizeof(err)), 0);
	usleep(DAEMON_BANS_USEC + 100000);	/* the idle pass takes requests again */
	assert_int_equal(daemon_run(&d), 0);
	assert_int_equal(stat(path, &st), -1);	/* taken */
	assert_int_equal(d.m.unbans, 1);
	assert_int_equal(s.extras, 2);		/* and saved at once */
	assert_int_equal(d.dirty, 0);
	assert_int_equal(daemon_finish(&d, 0), 0);
	stop(&d);
}

static void test_own_state(void **state)
{
	static const enum step steps[] = {ITEM, IDLE, HUP, ITEM, ITEM, IDLE, TERM, ITEM, END};
	struct script s = {steps, 9, 0, 0, 0, 0, false, 0, 0, false};
	struct daemon_ops o = ops;
	struct daemon d;
	int fd = -1;

	(void) state;
	o.own_state = true;
	o.keep_going = true;
	o.drains = true;
	o.idle = s_idle;
	o.extras = NULL;	/* never called: nothing is saved */
	o.saved = NULL;
	assert_int_equal(daemon_init(&d, &o, &s, conf), 0);
	assert_int_equal(daemon_open(&d, NULL), 0);
	assert_null(d.e);
	assert_null(d.state_path);
	/* the state_dir lock stays free for the host's own daemon */
	assert_int_equal(statedir_trylock(conf->state_dir, &fd), 0);
	statedir_unlock(fd);
	d.checkpoint_entries = 1;	/* a checkpoint after every item: nothing to save */
	assert_int_equal(daemon_checkpoint(&d), 0);
	assert_int_equal(daemon_run(&d), 0);
	assert_true(d.stop);
	assert_int_equal(d.items, 4);		/* drained after SIGTERM */
	assert_int_equal(s.idles, 2);
	assert_int_equal(s.extras, 0);
	assert_int_equal(d.dirty, 0);
	assert_int_equal(daemon_finish(&d, 0), 0);
	daemon_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items_idle_end),
		cmocka_unit_test(test_hup_term),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_idle_hook),
		cmocka_unit_test(test_unban_saved),
		cmocka_unit_test(test_own_state),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
