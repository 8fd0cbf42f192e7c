// SPDX-License-Identifier: GPL-2.0
/*
 * Limits the creator of a pool may hit half way through POOL_CREATE, and
 * what zcap must answer: ENOMEM at every memory cgroup limit (never the OOM
 * killer), and an end to the allocation as soon as the creator is killed.
 *
 *   cgroup-scan [SIZE COUNT]  memory.max stepped a page at a time from 0 to
 *                             past what a pool of COUNT x SIZE needs
 *   killcreate contig|scattered [SIZE COUNT]
 *                             SIGKILL while POOL_CREATE allocates
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/zcap.h>

#include "faults.h"

/* ---- cgroup-scan ---- */

/*
 * The scanning child and its parent talk through one page mapped before the
 * child moves, so that nothing the child does between steps is charged to
 * the step's cgroup: no pipe buffer, no stdio, no page fault.
 */
struct scan_page {
	_Atomic unsigned int go;	/* step number the parent started */
	_Atomic unsigned int done;	/* step number the child finished */
	_Atomic int result;		/* 0 or -errno of that step */
};

static void scan_child(struct scan_page *sp, int dev, uint64_t size,
		       uint32_t count)
{
	unsigned int step = 0;

	for (;;) {
		int pool;

		while (atomic_load(&sp->go) == step)
			sleep_ms(1);
		step = atomic_load(&sp->go);
		if (step == UINT32_MAX)
			_exit(0);
		pool = zc_create(dev, size, count, 0);
		if (pool >= 0)
			close(pool);
		atomic_store(&sp->result, pool >= 0 ? 0 : pool);
		atomic_store(&sp->done, step);
	}
}

struct scan_tally {
	unsigned int steps, ok, enomem, other, ooms, kills;
	long first_ok;			/* lowest memory.max in pages that worked */
	int other_err;
	long other_at;
};

/* Not exited yet; an exited child is left for the caller to reap. */
static bool child_alive(pid_t pid)
{
	siginfo_t info = { 0 };

	return !waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) &&
	       !info.si_pid;
}

/* Move @pid into a new cgroup limited to @pages, run one step, move back. */
static int scan_step(struct scan_page *sp, pid_t pid, const char *base,
		     unsigned int step, long pages, struct scan_tally *t)
{
	char cg[160], path[256], val[32];
	double deadline;
	long long oom, kill;
	int ret;

	snprintf(cg, sizeof(cg), "%s/step-%u", base, step);
	if (mkdir(cg, 0755))
		return -errno;
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(val, sizeof(val), "%ld", pages * page_size);
	ret = write_file(path, val);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(val, sizeof(val), "%d", (int)pid);
	if (!ret)
		ret = write_file(path, val);
	if (ret) {
		rmdir(cg);
		return ret;
	}

	atomic_store(&sp->go, step);
	deadline = now() + 60;
	while (atomic_load(&sp->done) != step && now() < deadline &&
	       child_alive(pid))
		sleep_ms(1);

	snprintf(path, sizeof(path), "%s/memory.events", cg);
	oom = read_ll(path, "oom");
	kill = read_ll(path, "oom_kill");
	t->ooms += oom > 0;
	t->kills += kill > 0;
	ret = atomic_load(&sp->done) == step ? 0 :
	      child_alive(pid) ? -ETIMEDOUT : -ECHILD;
	if (!ret) {
		int r = atomic_load(&sp->result);

		t->steps++;
		if (!r) {
			t->ok++;
			if (t->first_ok < 0)
				t->first_ok = pages;
		} else if (r == -ENOMEM) {
			t->enomem++;
		} else if (!t->other++) {
			t->other_err = r;
			t->other_at = pages;
		}
	}
	/* Back to the root before the step's cgroup goes. */
	write_file(CGROUP_ROOT "/cgroup.procs", val);
	rmdir(cg);
	return ret;
}

static pid_t scan_fork(struct scan_page *sp, uint64_t size, uint32_t count)
{
	int dev = zc_open();
	pid_t pid;

	if (dev < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		scan_child(sp, dev, size, count);
	close(dev);
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	return pid;
}

static void scan_report(const struct scan_tally *t, long pool_pages,
			long last, int status)
{
	check(t->steps == (unsigned int)last + 1,
	      "%u of %ld steps ran (memory.max 0 to %ld pages)", t->steps,
	      last + 1, last);
	check(!t->other, "every step gave ENOMEM or a pool (%u ENOMEM, %u "
	      "created)%s%s", t->enomem, t->ok, t->other ? "; also " : "",
	      t->other ? strerror(-t->other_err) : "");
	if (t->other)
		say("first other result at memory.max %ld pages", t->other_at);
	check(!t->kills && !t->ooms, "no step woke the OOM killer (memory.events: "
	      "%u steps with oom, %u with oom_kill)", t->ooms, t->kills);
	check(WIFEXITED(status) && !WEXITSTATUS(status),
	      "the creating process lived through every step (%s %d)",
	      WIFSIGNALED(status) ? "killed by signal" : "exit status",
	      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	check(t->first_ok >= pool_pages,
	      "the first limit that held the pool is %ld pages, at least its "
	      "%ld pages of buffers", t->first_ok, pool_pages);
	check(t->ok > 0 && t->first_ok >= 0 && t->ok == (unsigned int)(last - t->first_ok + 1),
	      "every limit from there up held it (%u steps)", t->ok);
}

int cmd_cgroup_scan(int argc, char **argv)
{
	uint64_t size = argc > 1 ? strtoull(argv[1], NULL, 0) : 1 << 20;
	uint32_t count = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 2;
	long pool_pages = (long)(size * count / (uint64_t)page_size);
	/* Past the pages: page arrays, sg tables, structs, the file. */
	long last = pool_pages + 64;
	struct scan_tally t = { .first_ok = -1 };
	struct scan_page *sp;
	char base[128], path[192];
	int status = 0, ret = 0;
	pid_t pid;

	if (write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory")) {
		fail("enabling the memory controller in %s", CGROUP_ROOT);
		return 1;
	}
	snprintf(base, sizeof(base), CGROUP_ROOT "/zcap-scan-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", base);
	if (mkdir(base, 0755) || write_file(path, "+memory")) {
		fail("a cgroup %s with the memory controller for its children",
		     base);
		rmdir(base);
		return 1;
	}
	sp = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (sp == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		rmdir(base);
		return 1;
	}
	say("did: a pool of %" PRIu32 " x %" PRIu64 " KiB (%ld pages) created "
	    "in a fresh cgroup whose memory.max is 0, 1, ... %ld pages",
	    count, size >> 10, pool_pages, last);
	pid = scan_fork(sp, size, count);
	if (pid < 0) {
		rmdir(base);
		return 1;
	}
	for (long pages = 0; pages <= last && !ret; pages++)
		ret = scan_step(sp, pid, base, (unsigned int)pages + 1, pages, &t);
	if (ret)
		fail("memory.max %u pages: %s", t.steps, ret == -ECHILD ?
		     "the creating process died" : "no answer in 60 s");
	atomic_store(&sp->go, UINT32_MAX);
	waitpid(pid, &status, 0);
	rmdir(base);
	scan_report(&t, pool_pages, last, status);
	munmap(sp, (size_t)page_size);
	expect_gauges_zero(2000, "after the scan");
	return failures ? 1 : 0;
}

/* ---- killcreate ---- */

struct kill_run {
	int64_t sent_at;	/* buffers when kill() returned; -1: not sent */
	int64_t peak;		/* most buffers ever seen */
	double start, killed;
	int status;
};

/*
 * One POOL_CREATE in a child, SIGKILLed once 4 buffers exist. The gauge is
 * read again after kill() returns: the signal is pending from then on, so
 * the call may finish the buffer under way and no more.
 */
static void kill_run_once(int dev, uint64_t size, uint32_t count, bool contig,
			  struct kill_run *r)
{
	pid_t pid;
	int64_t b;

	*r = (struct kill_run){ .sent_at = -1, .start = now() };
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int pool = zc_create(dev, size, count,
				     contig ? ZCAP_POOL_CONTIGUOUS : 0);

		_exit(pool >= 0 ? 0 : 3);
	}
	while (!waitpid(pid, &r->status, WNOHANG)) {
		b = stats_now().v[S_BUFFERS];
		r->peak = b > r->peak ? b : r->peak;
		if (r->sent_at < 0 && b >= 4) {
			kill(pid, SIGKILL);
			r->killed = now();
			r->sent_at = stats_now().v[S_BUFFERS];
			/*
			 * Never below what was seen before the kill: on a
			 * loaded host this process may run again only once
			 * the dying call is freeing its buffers (a soak saw
			 * 4, then 1).
			 */
			r->sent_at = r->sent_at > b ? r->sent_at : b;
		}
		if (r->sent_at < 0 && now() - r->start > 120) {
			kill(pid, SIGKILL);
			fail("fewer than 4 buffers after 120 s");
		}
	}
}

/*
 * SIGKILL while POOL_CREATE allocates: the call must stop within a buffer
 * of the kill, not finish the pool for a process that is already dead
 * (a contiguous pool once allocated all 96 of 96 buffers after the kill).
 * The parent watches the buffers gauge from before the kill until the child
 * is reaped; the peak says how far the call went. A child that finished
 * before the parent saw 4 buffers (a parent descheduled on a loaded host)
 * proves nothing either way: that run is tried again, up to 3 times.
 */
int cmd_killcreate(int argc, char **argv)
{
	bool contig = argc > 1 && !strcmp(argv[1], "contig");
	uint64_t size = argc > 2 ? strtoull(argv[2], NULL, 0) : 2 << 20;
	uint32_t count = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 96;
	struct kill_run r;
	int dev, tries = 0;

	if (argc < 2 || (!contig && strcmp(argv[1], "scattered"))) {
		fail("usage: killcreate contig|scattered [SIZE COUNT]");
		return 2;
	}
	dev = zc_open();
	if (dev < 0)
		return 1;
	say("did: POOL_CREATE of %" PRIu32 " x %" PRIu64 " KiB %s buffers, "
	    "SIGKILL once 4 exist", count, size >> 10,
	    contig ? "contiguous" : "scattered");
	do {
		if (tries)
			say("did: the call ended before the kill; again");
		kill_run_once(dev, size, count, contig, &r);
	} while (r.sent_at < 0 && WIFEXITED(r.status) && ++tries < 3 &&
		 expect_gauges_zero(2000, "before trying again"));
	close(dev);
	check(r.sent_at >= 0 && WIFSIGNALED(r.status) &&
	      WTERMSIG(r.status) == SIGKILL,
	      "the creator died of the SIGKILL, sent %.2f s into the call, "
	      "%" PRId64 " buffers made when it was (%s %d)",
	      r.killed - r.start, r.sent_at,
	      WIFSIGNALED(r.status) ? "signal" : "exit status",
	      WIFSIGNALED(r.status) ? WTERMSIG(r.status) :
	      WEXITSTATUS(r.status));
	check(r.sent_at >= 0 && r.peak <= r.sent_at + 1 && r.peak < count,
	      "the call stopped within a buffer of the kill: at most %" PRId64
	      " of %" PRIu32 " buffers ever existed; reaped %.3f s after it",
	      r.peak, count, now() - r.killed);
	expect_gauges_zero(2000, "after the killed creator");
	return failures ? 1 : 0;
}
