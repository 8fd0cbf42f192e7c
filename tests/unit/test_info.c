// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-info's parts (tools/info*.c, provcheck.c, kmod.c) on a fake root:
 * a directory with dev/, sys/module/ and lib/modules/RELEASE/ as a machine
 * has them, and dev/video0 a fake V4L2 camera (its ioctls answered here).
 *
 * - kmod: built in, loaded, installed, absent, unknown;
 * - provcheck: a provider usable, refused to a user who may not open its
 *   node (run as nobody when the test is root), not loaded, absent, with
 *   the fix that works in each case;
 * - --json parsed by python3's json module: devices, formats (the
 *   big-endian twin named apart), sizes, intervals, providers;
 * - the text names the big-endian format apart and says "fix:".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_V4L2_SHIM
#include "fake_v4l2.h"
#include "tap.h"

#include "info.h"
#include "kmod.h"
#include "provcheck.h"

#define REL "6.1.0-test"
#define Y16 v4l2_fourcc('Y', '1', '6', ' ')

static char root[64];

static const uint32_t fmts[] = {
	V4L2_PIX_FMT_YUYV, Y16, Y16 | (1u << 31), V4L2_PIX_FMT_MJPEG,
};

static short fake_revents(short events)
{
	(void)events;
	return 0;
}

static int enum_fmt(struct v4l2_fmtdesc *d)
{
	if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index >= 4)
		return fake_fail(EINVAL);
	d->pixelformat = fmts[d->index];
	d->flags = d->pixelformat == V4L2_PIX_FMT_MJPEG ? V4L2_FMT_FLAG_COMPRESSED : 0;
	snprintf((char *)d->description, sizeof(d->description), "format %u", d->index);
	return 0;
}

/* YUYV: 640x480 and 320x240; the others a stepwise range. */
static int enum_sizes(struct v4l2_frmsizeenum *s)
{
	if (s->pixel_format == V4L2_PIX_FMT_YUYV) {
		if (s->index > 1)
			return fake_fail(EINVAL);
		s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
		s->discrete.width = s->index ? 320 : 640;
		s->discrete.height = s->index ? 240 : 480;
		return 0;
	}
	if (s->index)
		return fake_fail(EINVAL);
	s->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	s->stepwise = (struct v4l2_frmsize_stepwise){ 16, 1920, 2, 16, 1080, 2 };
	return 0;
}

/* 1/30 and 1/15 at 640x480, 1/60 elsewhere. */
static int enum_ivals(struct v4l2_frmivalenum *iv)
{
	uint32_t n = iv->width == 640 ? 2 : 1;

	if (iv->index >= n)
		return fake_fail(EINVAL);
	iv->type = V4L2_FRMIVAL_TYPE_DISCRETE;
	iv->discrete.numerator = 1;
	iv->discrete.denominator = n == 2 ? (iv->index ? 15 : 30) : 60;
	return 0;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	struct v4l2_requestbuffers *rb = arg;

	switch (req) {
	case VIDIOC_QUERYCAP:
		return fake_querycap_camera(arg);
	case VIDIOC_REQBUFS:
		rb->capabilities = V4L2_BUF_CAP_SUPPORTS_MMAP | V4L2_BUF_CAP_SUPPORTS_DMABUF;
		return 0;
	case VIDIOC_ENUM_FMT:
		return enum_fmt(arg);
	case VIDIOC_ENUM_FRAMESIZES:
		return enum_sizes(arg);
	case VIDIOC_ENUM_FRAMEINTERVALS:
		return enum_ivals(arg);
	}
	return fake_fail(ENOTTY);
}

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256], dir[256], *s;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (s = dir + strlen(root) + 1; (s = strchr(s, '/')); *s++ = '/') {
		*s = '\0';
		mkdir(dir, 0755);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd >= 0) {
		if (text && write(fd, text, strlen(text)) < 0)
			perror(path);
		fchmod(fd, mode);
		close(fd);
	}
}

static void make_root(void)
{
	struct stat st;
	char path[256];

	snprintf(root, sizeof(root), "/tmp/zcap-info-XXXXXX");
	if (!mkdtemp(root))
		abort();
	chmod(root, 0755);
	put("dev/video0", NULL, 0666);
	/* Not V4L2 (ENOTTY): not listed. */
	put("dev/video1", NULL, 0666);
	/* Cannot be opened: listed first (the shortest name), with why. */
	snprintf(path, sizeof(path), "%s/dev/video", root);
	if (symlink("gone", path) < 0)
		perror(path);
	put("dev/zcap", NULL, 0666);
	put("sys/module/vivid/initstate", "live\n", 0644);
	put("sys/module/videobuf2_common/parameters/debug", "0\n", 0644);
	put("lib/modules/" REL "/modules.builtin",
	    "kernel/drivers/media/common/videobuf2/videobuf2-common.ko\n", 0644);
	put("lib/modules/" REL "/modules.dep",
	    "kernel/drivers/dma-buf/udmabuf.ko.xz:\nupdates/dkms/zcap.ko.xz:\n"
	    "kernel/drivers/media/test-drivers/vivid/vivid.ko.xz: kernel/x.ko\n", 0644);
	snprintf(path, sizeof(path), "%s/dev/video0", root);
	if (stat(path, &st) == 0)
		fake_dev.ino = st.st_ino;
}

static void test_kmod(void)
{
	is(zcap_kmod_state(root, REL, "vivid"), ZCAP_KMOD_LOADED, "initstate: a loaded module");
	is(zcap_kmod_state(root, REL, "videobuf2-common"), ZCAP_KMOD_BUILTIN,
	   "modules.builtin, '-' for '_': built in");
	is(zcap_kmod_state(root, REL, "udmabuf"), ZCAP_KMOD_AVAILABLE,
	   "modules.dep only (.ko.xz): installed, not loaded");
	is(zcap_kmod_state(root, REL, "udmabu"), ZCAP_KMOD_ABSENT, "a prefix of a name is not it");
	is(zcap_kmod_state(root, REL, "system_heap"), ZCAP_KMOD_ABSENT, "listed nowhere: absent");
	is(zcap_kmod_state(root, "9.9.9", "udmabuf"), ZCAP_KMOD_UNKNOWN,
	   "no /lib/modules for that kernel: unknown, not absent");
}

/* @p checked as user nobody: root opens any file, a user cannot. */
static int state_as_nobody(enum zcap_provider p)
{
	struct zcap_prov_check c;
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		zcap_prov_check(p, root, REL, &c);
		return c.state;
	}
	pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(99);
		zcap_prov_check(p, root, REL, &c);
		_exit(c.state);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_provcheck(void)
{
	struct zcap_prov_check c;

	ok(!zcap_prov_check(ZCAP_PROVIDER_ZCAP, root, REL, &c) && c.state == ZCAP_PROV_OK,
	   "zcap: a node that opens is usable");
	zcap_prov_check(ZCAP_PROVIDER_UDMABUF, root, REL, &c);
	ok(c.state == ZCAP_PROV_NOT_LOADED && !strcmp(c.fix, "sudo modprobe udmabuf"),
	   "udmabuf installed, no node: 'sudo modprobe udmabuf' ('%s')", c.fix);
	zcap_prov_check(ZCAP_PROVIDER_DMA_HEAP, root, REL, &c);
	ok(c.state == ZCAP_PROV_ABSENT && strstr(c.why, "CONFIG_DMABUF_HEAPS_SYSTEM") &&
	   !strstr(c.fix, "modprobe"),
	   "no heap in this kernel: says the config option, no modprobe ('%s')", c.why);
	zcap_prov_check(ZCAP_PROVIDER_UDMABUF, root, "9.9.9", &c);
	ok(c.state == ZCAP_PROV_ABSENT && strstr(c.fix, "if this kernel has it"),
	   "module lists unreadable: modprobe offered as a maybe ('%s')", c.fix);
	put("dev/udmabuf", NULL, 0600);
	is(state_as_nobody(ZCAP_PROVIDER_UDMABUF), ZCAP_PROV_REFUSED,
	   "a node that exists but refuses the user: refused, not absent");
	unlink(c.path);
	zcap_prov_check(ZCAP_PROVIDER_ZCAP, root, REL, &c);
	put("dev/zcap", NULL, 0600);
	is(state_as_nobody(ZCAP_PROVIDER_ZCAP), ZCAP_PROV_REFUSED, "/dev/zcap 0600: refused");
	chmod(c.path, 0666);
	ok(zcap_prov_check(ZCAP_PROVIDER_MEMORY, root, REL, &c) == -EINVAL,
	   "memory is not a device to check: -EINVAL");
}

/* Run @o through @p into a string (caller frees). */
static char *report(const struct info_opts *o, const struct info_printer *p, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*ret = info_run(o, p, f);
	fclose(f);
	return buf;
}

static const char *const py =
	"import json,sys\n"
	"d = json.load(open(sys.argv[1]))\n"
	"v = d['devices'][1]\n"
	"print('version', d['version'])\n"
	"print('unopenable', d['devices'][0]['path'].endswith('/dev/video'), d['devices'][0]['error'])\n"
	"print('devices', len(d['devices']), v['driver'], v['memory'], v['dmabuf_import'])\n"
	"print('fourccs', [f['fourcc'] for f in v['formats']])\n"
	"y = v['formats'][0]\n"
	"print('sizes', [(s['width'], s['height'], [i['interval'] for i in s['intervals']]) for s in y['sizes']])\n"
	"s = v['formats'][1]['sizes'][0]\n"
	"print('stepwise', s['min_width'], s['max_height'], s['step_width'], s['intervals'][0]['interval'])\n"
	"print('compressed', [f['compressed'] for f in v['formats']])\n"
	"for p in d['providers']: print('provider', p['name'], p['state'], p['available'], p['fix'])\n";

static void test_json(void)
{
	struct info_opts o = { .root = root, .release = REL };
	char path[128], cmd[256], out[4096] = "";
	int ret;
	char *js = report(&o, &info_json, &ret);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/out.json", root);
	f = fopen(path, "w");
	fputs(js ? js : "", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 -c \"$PY\" %s 2>&1", path);
	setenv("PY", py, 1);
	f = popen(cmd, "r");
	n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = '\0';
	is(f ? WEXITSTATUS(pclose(f)) : -1, 0, "python3's json module reads --json");
	tap_diag("%s", out);
	ok(strstr(out, "unopenable True No such file or directory"),
	   "a node that cannot be opened is listed first, with why (and a comma after it)");
	ok(strstr(out, "devices 2 fake ['mmap', 'dmabuf'] True"),
	   "and the capture device (video1 is no V4L2 device, the zcap node no video*)");
	ok(strstr(out, "fourccs ['YUYV', 'Y16 ', 'Y16 -BE', 'MJPG']"),
	   "every format, the big-endian twin named apart");
	ok(strstr(out, "sizes [(640, 480, [[1, 30], [1, 15]]), (320, 240, [[1, 60]])]"),
	   "discrete sizes with their intervals");
	ok(strstr(out, "stepwise 16 1080 2 [1, 60]"), "a stepwise size, its interval at the largest size");
	ok(strstr(out, "compressed [False, False, False, True]"), "MJPG is compressed");
	ok(strstr(out, "provider zcap ok True None"), "zcap usable, no fix");
	ok(strstr(out, "provider udmabuf not-loaded False sudo modprobe udmabuf"),
	   "udmabuf: not loaded, and the fix");
	ok(strstr(out, "provider dma-heap absent False"), "dma-heap: absent");
	free(js);
}

static void test_text_and_device(void)
{
	struct info_opts o = { .root = root, .release = REL };
	char dev[128];
	int ret;
	char *t = report(&o, &info_text, &ret);

	ok(t && strstr(t, "      Y16 -BE format 2\n") && strstr(t, "      Y16  format 1\n"),
	   "text: 'Y16 -BE' and 'Y16 ' are two names");
	ok(t && strstr(t, "    fix: sudo modprobe udmabuf\n"), "text: the fix for udmabuf");
	free(t);
	snprintf(dev, sizeof(dev), "%s/dev/zcap", root);
	o.device = dev;
	t = report(&o, &info_text, &ret);
	is(ret, 1, "-d on a node that is not a capture device: status 1");
	ok(t && strstr(t, "not a V4L2 device"), "and it says so");
	free(t);
	snprintf(dev, sizeof(dev), "%s/dev/video0", root);
	t = report(&o, &info_text, &ret);
	is(ret, 0, "-d on the camera: status 0");
	free(t);
}

int main(void)
{
	char cmd[128];

	make_root();
	test_kmod();
	test_provcheck();
	test_json();
	test_text_and_device();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", root);
	return tap_done();
}
