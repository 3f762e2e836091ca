// SPDX-License-Identifier: MIT
#include "controller/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

bool pci_addr_format(unsigned long domain, unsigned long bus,
		     unsigned long slot, unsigned long function,
		     char out[PCI_ADDR_LEN])
{
	if (domain > 0xffff || bus > 0xff || slot > 0x1f || function > 7)
		return false;
	snprintf(out, PCI_ADDR_LEN, "%04lx:%02lx:%02lx.%lx", domain, bus, slot,
		 function);
	return true;
}

/* Parse 1..max_digits hex digits ending at a delimiter. */
static bool parse_hex_part(const char **p, unsigned max_digits, char delim,
			   unsigned long *value)
{
	const char *s = *p;
	unsigned n = 0;

	*value = 0;
	while (isxdigit((unsigned char)s[n])) {
		if (n == max_digits)
			return false;
		*value =
			*value * 16 +
			(unsigned long)(isdigit((unsigned char)s[n])
						? s[n] - '0'
						: tolower((unsigned char)s[n]) -
							  'a' + 10);
		n++;
	}
	if (n == 0 || s[n] != delim)
		return false;
	*p = s + n + (delim ? 1 : 0);
	return true;
}

bool pci_addr_normalize(const char *in, char out[PCI_ADDR_LEN])
{
	unsigned long domain = 0, bus, slot, function;
	const char *p = in;
	int colons = 0;

	if (!in)
		return false;
	for (const char *c = in; *c; c++)
		colons += *c == ':';
	if (colons == 2 && !parse_hex_part(&p, 4, ':', &domain))
		return false;
	if (colons != 1 && colons != 2)
		return false;
	if (!parse_hex_part(&p, 2, ':', &bus) ||
	    !parse_hex_part(&p, 2, '.', &slot) ||
	    !parse_hex_part(&p, 1, '\0', &function))
		return false;
	return pci_addr_format(domain, bus, slot, function, out);
}

static const struct {
	const char *suffix;
	uint64_t mult;
} size_units[] = {
	{"", 1},
	{"B", 1},
	{"k", 1ULL << 10},
	{"K", 1ULL << 10},
	{"KiB", 1ULL << 10},
	{"M", 1ULL << 20},
	{"MiB", 1ULL << 20},
	{"G", 1ULL << 30},
	{"GiB", 1ULL << 30},
	{"T", 1ULL << 40},
	{"TiB", 1ULL << 40},
};

bool size_parse(const char *text, uint64_t *bytes, const char **why)
{
	const char *p = text;
	uint64_t whole = 0;
	uint64_t frac_num = 0, frac_den = 1;
	bool digits = false;

	if (!text || !*text) {
		*why = "empty size";
		return false;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (strcmp(p, "unlimited") == 0) {
		*bytes = IQ_UNLIMITED;
		return true;
	}
	if (*p == '-') {
		*why = "negative size";
		return false;
	}
	while (isdigit((unsigned char)*p)) {
		if (whole > (UINT64_MAX - 9) / 10) {
			*why = "size too large";
			return false;
		}
		whole = whole * 10 + (uint64_t)(*p - '0');
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (frac_den < 1000000000ULL) {
				frac_num = frac_num * 10 + (uint64_t)(*p - '0');
				frac_den *= 10;
			}
			p++;
			digits = true;
		}
	}
	if (!digits) {
		*why = "not a number";
		return false;
	}
	while (*p == ' ')
		p++;
	for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]);
	     i++) {
		uint64_t mult = size_units[i].mult;
		unsigned __int128 total;

		if (strcmp(p, size_units[i].suffix) != 0)
			continue;
		total = (unsigned __int128)whole * mult +
			((unsigned __int128)frac_num * mult + frac_den / 2) /
				frac_den;
		if (total >= IQ_UNLIMITED) {
			*why = "size too large";
			return false;
		}
		*bytes = (uint64_t)total;
		return true;
	}
	*why = "bad unit (use B, KiB, MiB, GiB, TiB or unlimited)";
	return false;
}

void size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B",   "KiB", "MiB",
					    "GiB", "TiB", "PiB"};
	unsigned u = 0;
	double v = (double)bytes;

	if (bytes == IQ_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return;
	}
	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", bytes);
	else
		snprintf(buf, len, "%.1f%s", v, units[u]);
}

void size_format_signed(int64_t bytes, char *buf, size_t len)
{
	if (bytes < 0) {
		buf[0] = '-';
		size_format((uint64_t)(-(bytes + 1)) + 1, buf + 1, len - 1);
	} else {
		size_format((uint64_t)bytes, buf, len);
	}
}

uint32_t icm_bytes_to_pages(uint64_t bytes)
{
	uint64_t pages;

	if (bytes == IQ_UNLIMITED)
		return PRM_ICM_UNLIMITED;
	/* Round up without wrapping near UINT64_MAX. */
	pages = bytes / ICM_PAGE_BYTES + (bytes % ICM_PAGE_BYTES != 0);
	/* The largest finite cap the register can hold. */
	if (pages >= PRM_ICM_UNLIMITED)
		return PRM_ICM_UNLIMITED - 1;
	return (uint32_t)pages;
}

uint64_t icm_pages_to_bytes(uint32_t pages)
{
	if (pages == PRM_ICM_UNLIMITED)
		return IQ_UNLIMITED;
	return (uint64_t)pages * ICM_PAGE_BYTES;
}

int path_join(char *out, size_t len, const char *root, const char *path)
{
	int n;

	if (!root)
		root = "";
	/* Avoid "//" when root ends in a slash. */
	n = snprintf(out, len, "%.*s%s",
		     (int)(strlen(root) -
			   (strlen(root) > 1 && root[strlen(root) - 1] == '/')),
		     root, path);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int file_read_all(const char *path, char **out, size_t *len, struct iq_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t used = 0, cap = 0;

	if (!f)
		return iq_fail(err, IQ_EENV, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t n;

		if (cap - used < 4096) {
			char *grown;

			cap = cap ? cap * 2 : 8192;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				free(buf);
				fclose(f);
				return iq_fail(err, IQ_EENV,
					       "%s: out of memory", path);
			}
			buf = grown;
		}
		n = fread(buf + used, 1, cap - used, f);
		used += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		int saved = errno;

		free(buf);
		fclose(f);
		return iq_fail(err, IQ_EENV, "%s: read failed: %s", path,
			       strerror(saved));
	}
	fclose(f);
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return IQ_OK;
}

int file_read_line(const char *path, char *buf, size_t len, struct iq_err *err)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return iq_fail(err, IQ_EENV, "%s: %s", path, strerror(errno));
	if (!fgets(buf, (int)len, f)) {
		buf[0] = '\0';
		if (ferror(f)) {
			int saved = errno;

			fclose(f);
			return iq_fail(err, IQ_EENV, "%s: read failed: %s",
				       path, strerror(saved));
		}
	}
	fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return IQ_OK;
}

int file_read_u64(const char *path, uint64_t *value, struct iq_err *err)
{
	char line[64];
	char *end;
	int rc = file_read_line(path, line, sizeof(line), err);

	if (rc)
		return rc;
	errno = 0;
	*value = strtoull(line, &end, 0);
	if (errno || end == line || *end != '\0' || line[0] == '-')
		return iq_fail(err, IQ_EENV, "%s: not a number: '%s'", path,
			       line);
	return IQ_OK;
}

static int fsync_dir_of(const char *path, struct iq_err *err)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return iq_fail(err, IQ_EENV, "%s: %s", dir, strerror(errno));
	if (fsync(fd) < 0) {
		int saved = errno;

		close(fd);
		return iq_fail(err, IQ_EENV, "%s: fsync failed: %s", dir,
			       strerror(saved));
	}
	close(fd);
	return IQ_OK;
}

int file_write_atomic(const char *path, const void *data, size_t len,
		      bool durable, struct iq_err *err)
{
	char tmp[PATH_MAX];
	const char *p = data;
	size_t left = len;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return iq_fail(err, IQ_EENV, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return iq_fail(err, IQ_EENV, "%s: cannot write: %s", tmp,
			       strerror(errno));
	while (left) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n < 0 ? errno : EIO;

			close(fd);
			unlink(tmp);
			return iq_fail(
				err, IQ_EENV,
				"%s: write failed: %s (nothing was replaced)",
				tmp, strerror(saved));
		}
		p += n;
		left -= (size_t)n;
	}
	if (durable && fsync(fd) < 0) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		return iq_fail(err, IQ_EENV,
			       "%s: fsync failed: %s (nothing was replaced)",
			       tmp, strerror(saved));
	}
	if (close(fd) < 0) {
		int saved = errno;

		unlink(tmp);
		return iq_fail(err, IQ_EENV,
			       "%s: write failed: %s (nothing was replaced)",
			       tmp, strerror(saved));
	}
	if (rename(tmp, path) < 0) {
		int saved = errno;

		unlink(tmp);
		return iq_fail(err, IQ_EENV, "%s: rename failed: %s", path,
			       strerror(saved));
	}
	return durable ? fsync_dir_of(path, err) : IQ_OK;
}

int file_write_str(const char *path, const char *text, struct iq_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return iq_fail(err, IQ_EENV, "%s: cannot write: %s", path,
			       strerror(errno));
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len) {
		int saved = n < 0 ? errno : EIO;

		close(fd);
		return iq_fail(err, IQ_EENV, "%s: write failed: %s", path,
			       strerror(saved));
	}
	if (close(fd) < 0)
		return iq_fail(err, IQ_EENV, "%s: write failed: %s", path,
			       strerror(errno));
	return IQ_OK;
}

int mkdir_p(const char *path, unsigned mode, struct iq_err *err)
{
	char buf[PATH_MAX];
	size_t len;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return iq_fail(err, IQ_EENV, "%s: path too long", path);
	len = strlen(buf);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return iq_fail(err, IQ_EENV, "%s: cannot create: %s",
				       buf, strerror(errno));
		if (i < len)
			buf[i] = '/';
	}
	return IQ_OK;
}

bool glob_match(const char *pattern, const char *text)
{
	return fnmatch(pattern, text, 0) == 0;
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL))
		md_len = 0;
	for (unsigned i = 0; i < md_len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[md_len ? 64 : 0] = '\0';
}
