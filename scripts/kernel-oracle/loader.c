/*
 * Guest side of `npm run test:kernel` (scripts/test-kernel.ts): loads a list of kernel modules
 * one by one and reports, per module, what the kernel did with it. Built with `gcc -static` at
 * test time and run as part of the initramfs (see initramfs.ts), after busybox mounted /proc,
 * /sys and /dev.
 *
 *   loader [-f] [-o OUT] LIST
 *
 * LIST has one module per line: "NAME PATH DUMP" (DUMP 1: send the bytes of
 * /sys/kernel/btf/NAME, 0: only its size). -f loads with MODULE_INIT_IGNORE_MODVERSIONS |
 * MODULE_INIT_IGNORE_VERMAGIC (a module of another build of the same kernel series).
 * Compressed modules (.ko.xz/.zst/.gz) are passed with MODULE_INIT_COMPRESSED_FILE.
 * OUT (default stdout) is a tty or file; a tty is switched to raw mode. Report, one line each:
 *
 *   @@MOD NAME            start of a module
 *   @@RC ERRNO            finit_module result: 0, or the positive errno
 *   @@US MICROSECONDS     how long finit_module took (guest clock)
 *   @@BTF SIZE            size of /sys/kernel/btf/NAME, -1 when absent
 *   @@B64 TEXT            its bytes, base64, 76 characters a line (when DUMP is 1)
 *   @@LOG TEXT            kernel log records written while the module loaded (/dev/kmsg)
 *   @@END NAME            end of a module
 *   @@DONE COUNT          after the last module
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef MODULE_INIT_IGNORE_MODVERSIONS
#define MODULE_INIT_IGNORE_MODVERSIONS 1
#endif
#ifndef MODULE_INIT_IGNORE_VERMAGIC
#define MODULE_INIT_IGNORE_VERMAGIC 2
#endif
#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

static FILE *out;

static void b64_line(const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[128];
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n) v |= p[i + 2];
		line[o++] = tab[(v >> 18) & 63];
		line[o++] = tab[(v >> 12) & 63];
		line[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		line[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	line[o] = 0;
	fprintf(out, "@@B64 %s\n", line);
}

/* Reads /sys/kernel/btf/NAME; prints its size and, when dump is set, its bytes. */
static void report_btf(const char *name, int dump)
{
	char path[512];
	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", name);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(out, "@@BTF -1\n");
		return;
	}
	size_t cap = 1 << 16, len = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (len == cap) buf = realloc(buf, cap *= 2);
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		len += (size_t)r;
	}
	close(fd);
	fprintf(out, "@@BTF %zu\n", len);
	if (dump)
		for (size_t i = 0; i < len; i += 57) b64_line(buf + i, len - i < 57 ? len - i : 57);
	free(buf);
}

/* Prints every kernel log record available now ("prio,seq,ts,flags;text"), text only. */
static void drain_kmsg(int kfd)
{
	char rec[8192];
	for (;;) {
		ssize_t r = read(kfd, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE) continue; /* records were overwritten; go on */
		if (r <= 0) return;
		rec[r] = 0;
		char *text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		char *nl = strchr(text, '\n');
		if (nl) *nl = 0;
		fprintf(out, "@@LOG %s\n", text);
	}
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

static void open_out(const char *path)
{
	if (!path) {
		out = stdout;
		return;
	}
	int fd = open(path, O_WRONLY | O_NOCTTY);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	out = fdopen(fd, "w");
	setvbuf(out, NULL, _IOFBF, 1 << 16);
}

int main(int argc, char **argv)
{
	int force = 0, opt;
	const char *outpath = NULL;
	while ((opt = getopt(argc, argv, "fo:")) != -1) {
		if (opt == 'f') force = 1;
		else if (opt == 'o') outpath = optarg;
		else {
			fprintf(stderr, "usage: loader [-f] [-o OUT] LIST\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: loader [-f] [-o OUT] LIST\n");
		return 2;
	}
	FILE *list = fopen(argv[optind], "r");
	if (!list) {
		perror(argv[optind]);
		return 1;
	}
	open_out(outpath);
	int kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kfd >= 0) {
		lseek(kfd, 0, SEEK_END);
	}
	char line[1024], name[256], path[768];
	int dump, count = 0;
	while (fgets(line, sizeof(line), list)) {
		if (sscanf(line, "%255s %767s %d", name, path, &dump) != 3) continue;
		fprintf(out, "@@MOD %s\n", name);
		fflush(out);
		int flags = force ? MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC : 0;
		if (ends_with(path, ".xz") || ends_with(path, ".zst") || ends_with(path, ".gz")) flags |= MODULE_INIT_COMPRESSED_FILE;
		int rc = 0;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) rc = errno;
		else {
			if (syscall(SYS_finit_module, fd, "", flags) != 0) rc = errno;
			close(fd);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(out, "@@RC %d\n", rc);
		fprintf(out, "@@US %lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
		report_btf(name, dump);
		if (kfd >= 0) drain_kmsg(kfd);
		fprintf(out, "@@END %s\n", name);
		fflush(out);
		count++;
	}
	fprintf(out, "@@DONE %d\n", count);
	fflush(out);
	return 0;
}
