// SPDX-License-Identifier: MIT
/*
 * Memos (memo.h). The file: a header (magic, kind, the writer's build-id,
 * the lengths), the input's bytes, the blob. The input is kept whole, not
 * as a digest: comparing 300 KB costs less than hashing it, and equal
 * bytes cannot collide.
 */
#include "lib/memo.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file.h"

#define MEMO_MAGIC    "icmquota memo 1\n"
#define MEMO_KIND_LEN 16
#define MEMO_ID_MAX   64
/* A memo is a few times its input; inputs are bounded far below this. */
#define MEMO_MAX_BYTES (512u << 20)

struct memo_header {
	char magic[16];
	char kind[MEMO_KIND_LEN];
	uint32_t id_len;
	uint8_t id[MEMO_ID_MAX];
	uint64_t input_len;
	uint64_t blob_len;
};

struct id_search {
	uint8_t id[MEMO_ID_MAX];
	size_t len;
};

/* The main program is the first object dl_iterate_phdr reports. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
	struct id_search *s = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue; /* only notes carry the build-id */
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const char *name = p + sizeof(*n);
			const char *desc = name + ((n->n_namesz + 3) & ~3u);

			if (desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0 &&
			    n->n_descsz <= MEMO_ID_MAX) {
				memcpy(s->id, desc, n->n_descsz);
				s->len = n->n_descsz;
				return 1;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

const uint8_t *memo_build_id(size_t *len)
{
	static struct id_search s;
	static bool done;

	if (!done) {
		dl_iterate_phdr(find_build_id, &s);
		done = true;
	}
	*len = s.len;
	return s.id;
}

static bool header_for(struct memo_header *h, const char *kind,
		       size_t input_len, size_t blob_len)
{
	size_t id_len;
	const uint8_t *id = memo_build_id(&id_len);

	memset(h, 0, sizeof(*h));
	if (!id_len || strlen(kind) >= MEMO_KIND_LEN)
		return false;
	memcpy(h->magic, MEMO_MAGIC, sizeof(h->magic));
	memcpy(h->kind, kind, strlen(kind));
	h->id_len = (uint32_t)id_len;
	memcpy(h->id, id, id_len);
	h->input_len = input_len;
	h->blob_len = blob_len;
	return true;
}

/* All of len bytes at offset into buf; false on a short read (the file
 * shrank meanwhile) or an error. */
static bool read_at(int fd, void *buf, size_t len, off_t offset)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		offset += n;
		len -= (size_t)n;
	}
	return true;
}

bool memo_read(const char *path, const char *kind, const void *input,
	       size_t input_len, struct memo_view *v)
{
	struct memo_header want, have;
	struct stat st;
	char *data;
	size_t len;
	int fd;

	memset(v, 0, sizeof(*v));
	if (!header_for(&want, kind, input_len, 0))
		return false;
	/*
	 * No memo, or one we cannot read: a parse, as without memos.
	 * O_NONBLOCK: a FIFO planted at the path must not hang a hook.
	 * Read, not mapped: a memo cut short in place while mapped (cp over
	 * it) would kill the process with SIGBUS.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < sizeof(have) ||
	    (uint64_t)st.st_size > MEMO_MAX_BYTES ||
	    !read_at(fd, &have, sizeof(have), 0)) {
		close(fd);
		return false;
	}
	len = (size_t)st.st_size;
	want.blob_len = have.blob_len;
	if (memcmp(&want, &have, sizeof(want)) != 0 ||
	    len - sizeof(have) < input_len ||
	    have.blob_len != len - sizeof(have) - input_len) {
		close(fd);
		return false;
	}
	data = malloc(len - sizeof(have) ? len - sizeof(have) : 1);
	if (!data || !read_at(fd, data, len - sizeof(have), sizeof(have)) ||
	    memcmp(data, input, input_len) != 0) {
		free(data);
		close(fd);
		return false;
	}
	close(fd);
	v->map = data;
	v->map_len = len - sizeof(have);
	v->blob = data + input_len;
	v->blob_len = (size_t)have.blob_len;
	return true;
}

void memo_release(struct memo_view *v)
{
	free(v->map);
	memset(v, 0, sizeof(*v));
}

int memo_write(const char *path, const char *kind, const void *input,
	       size_t input_len, const void *blob, size_t blob_len,
	       struct iq_err *err)
{
	struct memo_header h;
	size_t len = sizeof(h) + input_len + blob_len;
	char *data;
	int rc;

	if (!header_for(&h, kind, input_len, blob_len))
		return iq_fail(err, IQ_EENV,
			       "%s: no memo: this binary has no build-id",
			       path);
	data = malloc(len);
	if (!data)
		return iq_fail(err, IQ_EENV, "%s: out of memory", path);
	memcpy(data, &h, sizeof(h));
	memcpy(data + sizeof(h), input, input_len);
	memcpy(data + sizeof(h) + input_len, blob, blob_len);
	/*
	 * The old memo goes first: ext4 (auto_da_alloc) starts writing back
	 * a file that replaces another by rename, 0.45 ms for a fleet host's
	 * 400 KiB journal memo and 0.1-0.7 ms for each simulated PF's, at
	 * every change. A memo is a cache: a reader that finds none in
	 * between parses its input.
	 */
	if (unlink(path) < 0 && errno != ENOENT) {
		free(data);
		return iq_fail(err, IQ_EENV, "%s: cannot replace: %s", path,
			       strerror(errno));
	}
	rc = file_write_atomic(path, data, len, false, err);
	free(data);
	return rc;
}

bool memo_worth(size_t len)
{
#ifdef MEMO_VERIFY
	(void)len;
	return true;
#else
	return len >= MEMO_MIN_INPUT;
#endif
}

const void *memo_take(struct memo_reader *r, size_t len)
{
	const void *p;

	if (!r->ok || len > r->len - r->pos) {
		r->ok = false;
		return NULL;
	}
	p = r->data + r->pos;
	r->pos += len;
	return p;
}

/* LEB128: most values are small (ids, flags, lengths); a fleet journal's
 * memo is half the size it is at 8 bytes a value. */
void memo_put_u64(struct buf *b, uint64_t v)
{
	unsigned char out[10];
	size_t n = 0;

	do {
		out[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		out[n++] |= v ? 0x80 : 0;
	} while (v);
	buf_put(b, out, n);
}

void memo_put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	memo_put_u64(b, n);
	buf_put(b, s, n);
}

uint64_t memo_get_u64(struct memo_reader *r)
{
	uint64_t v = 0;

	for (unsigned shift = 0; r->ok && r->pos < r->len; shift += 7) {
		unsigned char c = (unsigned char)r->data[r->pos++];

		/* Ten bytes at most, the tenth holding bit 63 only. */
		if (shift == 63 && c > 1)
			break;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
		if (shift == 63)
			break;
	}
	r->ok = false;
	return 0;
}

void memo_get_str(struct memo_reader *r, char *dst, size_t len)
{
	uint64_t n = memo_get_u64(r);
	const char *p;

	dst[0] = '\0';
	if (n >= len) {
		r->ok = false;
		return;
	}
	p = memo_take(r, (size_t)n);
	if (!p || memchr(p, '\0', (size_t)n)) {
		r->ok = false;
		return;
	}
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
}
