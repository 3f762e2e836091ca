// SPDX-License-Identifier: MIT
/*
 * The vhca_id cache file (vhca_cache.h says what holds an entry):
 *
 *   icmquota vhca-ids 3
 *   boot_id 6c0e...           ("-" when unknown)
 *   root /tmp/sim             (the rest of the line; empty = this host)
 *   VF PF NUMVFS FUNCTION_ID LINK_INO PF_DIR_CTIME_NS VHCA_ID (a line per VF)
 *
 * A file of another version is an empty cache (rewritten by the run).
 *
 * Lines sorted by VF address, so a lookup is a binary search.
 */
#include "controller/core/vhca_cache.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"

#define MAGIC "icmquota vhca-ids 3"

void vhca_cache_path(const char *state_path, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s.vhca-ids", state_path) >= len)
		out[0] = '\0';
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct vhca_cache_entry *)a)->vf,
		      ((const struct vhca_cache_entry *)b)->vf);
}

/* The next line of text (NUL-terminated in place); NULL at the end. */
static char *next_line(char **cursor)
{
	char *line = *cursor;
	char *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = line + strlen(line);
	}
	return line;
}

/*
 * The next space-separated field of *p as a number in base (no sign, no
 * empty field, at most max); false otherwise. sscanf cost 5 M
 * instructions for a fleet host's 1,016 lines, a tenth of a run.
 */
static bool field_u64(char **p, unsigned base, uint64_t max, uint64_t *out)
{
	char *s = *p;
	uint64_t v = 0;

	/* Digits only (no sign, space or 0x: the file is ours), and no
	 * strtoull: 5 of them per line cost a tenth of a fleet apply. */
	for (;; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a') + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A') + 10;
		else
			break;
		if (d > max || v > (max - d) / base)
			return false; /* above max */
		v = v * base + d;
	}
	if (s == *p || (*s != ' ' && *s))
		return false;
	*out = v;
	*p = *s ? s + 1 : s;
	return true;
}

/* The next space-separated word of *p, cut in place. */
static char *field_word(char **p)
{
	char *word = *p, *sp = strchr(word, ' ');

	if (!sp || sp == word)
		return NULL;
	*sp = '\0';
	*p = sp + 1;
	return word;
}

static bool parse_entry(char *line, struct vhca_cache_entry *e)
{
	char *p = line, *vf = field_word(&p), *pf = vf ? field_word(&p) : NULL;
	uint64_t numvfs, fid, ino, ctime_ns, vhca;

	if (!pf || !field_u64(&p, 10, UINT32_MAX, &numvfs) ||
	    !field_u64(&p, 10, UINT16_MAX, &fid) ||
	    !field_u64(&p, 10, UINT64_MAX, &ino) ||
	    !field_u64(&p, 10, INT64_MAX, &ctime_ns) ||
	    !field_u64(&p, 16, UINT16_MAX, &vhca) || *p ||
	    !pci_addr_normalize(vf, e->vf) || !pci_addr_normalize(pf, e->pf))
		return false;
	e->pf_numvfs = (unsigned)numvfs;
	e->function_id = (uint16_t)fid;
	e->link_ino = ino;
	e->pf_dir_ctime_ns = (int64_t)ctime_ns;
	e->vhca_id = (uint16_t)vhca;
	return true;
}

static int cmp_link(const void *a, const void *b, void *cache)
{
	const struct vhca_cache_entry *entries =
		((const struct vhca_cache *)cache)->entries;
	const struct vhca_cache_entry *x = &entries[*(const size_t *)a];
	const struct vhca_cache_entry *y = &entries[*(const size_t *)b];
	int d = strcmp(x->pf, y->pf);

	return d ? d : (int)x->function_id - (int)y->function_id;
}

/*
 * Two VFs of one PF with one vhca_id: the firmware gives each function
 * its own (PRM QUERY_HCA_CAP vhca_id), so one line was edited or damaged
 * and nothing tells which. Walks c->by_link (grouped by PF) with a bitmap
 * of the 16-bit vhca_ids; true when none is given twice.
 */
static bool vhca_ids_unique(const struct vhca_cache *c)
{
	uint64_t seen[65536 / 64];

	for (size_t i = 0; i < c->n; i++) {
		const struct vhca_cache_entry *e = &c->entries[c->by_link[i]];
		uint64_t bit = 1ULL << (e->vhca_id % 64);

		if (i == 0 ||
		    strcmp(e->pf, c->entries[c->by_link[i - 1]].pf) != 0)
			memset(seen, 0, sizeof(seen));
		if (seen[e->vhca_id / 64] & bit)
			return false;
		seen[e->vhca_id / 64] |= bit;
	}
	return true;
}

/* c->by_link: the entries by PF and function id; false when out of
 * memory. */
static bool index_links(struct vhca_cache *c)
{
	size_t *idx = realloc(c->by_link, (c->n + 1) * sizeof(*idx));

	if (!idx)
		return false;
	c->by_link = idx;
	for (size_t i = 0; i < c->n; i++)
		idx[i] = i;
	qsort_r(idx, c->n, sizeof(*idx), cmp_link, c);
	c->nby_link = c->n;
	return true;
}

/* Parse text into c; false when it is not a cache of this boot and root. */
static bool parse(struct vhca_cache *c, char *text)
{
	char *cursor = text;
	char *line;
	size_t n = 0, cap = 0;

	line = next_line(&cursor);
	if (!line || strcmp(line, MAGIC) != 0)
		return false;
	line = next_line(&cursor);
	if (!line || strncmp(line, "boot_id ", 8) != 0 ||
	    strcmp(line + 8, c->boot_id[0] ? c->boot_id : "-") != 0)
		return false;
	line = next_line(&cursor);
	if (!line || strncmp(line, "root ", 5) != 0 ||
	    strcmp(line + 5, c->root) != 0)
		return false;
	while ((line = next_line(&cursor))) {
		if (n == cap) {
			struct vhca_cache_entry *grown;

			cap = cap ? cap * 2 : 256;
			grown = realloc(c->entries, cap * sizeof(*grown));
			if (!grown)
				return false;
			c->entries = grown;
		}
		if (!parse_entry(line, &c->entries[n]))
			return false;
		n++;
	}
	c->n = n;
	/* Written sorted; a file edited by hand is sorted here. */
	for (size_t i = 1; i < n; i++) {
		if (strcmp(c->entries[i - 1].vf, c->entries[i].vf) >= 0) {
			qsort(c->entries, n, sizeof(*c->entries), cmp_entry);
			break;
		}
	}
	/*
	 * Two lines for one VF, or for one PF's virtfn link, are not the
	 * writer's (it keeps one of each): which of them a lookup found
	 * would be chance, and with the same keys one vhca_id is wrong.
	 */
	for (size_t i = 1; i < n; i++)
		if (!strcmp(c->entries[i - 1].vf, c->entries[i].vf))
			return false;
	if (!index_links(c))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!cmp_link(&c->by_link[i - 1], &c->by_link[i], c))
			return false;
	return vhca_ids_unique(c);
}

void vhca_cache_load(struct vhca_cache *c, const char *path, const char *root,
		     const char *boot_id)
{
	struct iq_err ignored = {0};
	char *text = NULL;
	size_t len = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path ? path : "");
	snprintf(c->root, sizeof(c->root), "%s", root ? root : "");
	snprintf(c->boot_id, sizeof(c->boot_id), "%s", boot_id ? boot_id : "");
	if (!c->path[0] || file_read_all(c->path, &text, &len, &ignored))
		return;
	if (!parse(c, text)) {
		/* Another boot, another root, or not ours: start afresh. */
		free(c->entries);
		free(c->by_link);
		c->entries = NULL;
		c->by_link = NULL;
		c->n = c->nby_link = 0;
		c->dirty = true;
	}
	free(text);
}

static struct vhca_cache_entry *find(const struct vhca_cache *c,
				     const char *vf_pci)
{
	struct vhca_cache_entry key = {0};

	if (!c->n)
		return NULL;
	snprintf(key.vf, sizeof(key.vf), "%s", vf_pci);
	return bsearch(&key, c->entries, c->n, sizeof(*c->entries), cmp_entry);
}

bool vhca_cache_get(struct vhca_cache *c, const char *vf_pci,
		    const char *pf_pci, unsigned pf_numvfs,
		    uint16_t function_id, uint64_t link_ino,
		    int64_t pf_dir_ctime_ns, uint16_t *vhca_id)
{
	const struct vhca_cache_entry *e = find(c, vf_pci);

	if (!e || strcmp(e->pf, pf_pci) != 0 || e->pf_numvfs != pf_numvfs ||
	    e->function_id != function_id || e->link_ino != link_ino ||
	    e->pf_dir_ctime_ns != pf_dir_ctime_ns) {
		c->misses++;
		return false;
	}
	c->hits++;
	*vhca_id = e->vhca_id;
	return true;
}

const struct vhca_cache_entry *
vhca_cache_find_link(struct vhca_cache *c, const char *pf_pci,
		     unsigned pf_numvfs, uint16_t function_id,
		     uint64_t link_ino, int64_t pf_dir_ctime_ns)
{
	size_t lo = 0, hi;
	const struct vhca_cache_entry *e = NULL;

	if (c->nby_link != c->n && !index_links(c)) {
		c->misses++;
		return NULL; /* a miss costs a readlink, no more */
	}
	hi = c->nby_link;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vhca_cache_entry *m = &c->entries[c->by_link[mid]];
		int d = strcmp(m->pf, pf_pci);

		if (!d)
			d = (int)m->function_id - (int)function_id;
		if (!d) {
			e = m;
			break;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!e || e->pf_numvfs != pf_numvfs || e->link_ino != link_ino ||
	    e->pf_dir_ctime_ns != pf_dir_ctime_ns) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	return e;
}

int vhca_cache_put(struct vhca_cache *c, const struct vhca_cache_entry *e,
		   struct iq_err *err)
{
	struct vhca_cache_entry *slot = find(c, e->vf);
	struct vhca_cache_entry *grown;
	size_t at;

	if (slot) {
		if (memcmp(slot, e, sizeof(*e)) != 0) {
			*slot = *e;
			c->dirty = true;
			c->nby_link = (size_t)-1; /* its key may have moved */
		}
		return IQ_OK;
	}
	grown = realloc(c->entries, (c->n + 1) * sizeof(*grown));
	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	c->entries = grown;
	/*
	 * Keep the order: a run learns its VFs in address order, so the new
	 * entry mostly goes at the end and nothing moves.
	 */
	at = c->n;
	while (at > 0 && strcmp(c->entries[at - 1].vf, e->vf) > 0)
		at--;
	memmove(&c->entries[at + 1], &c->entries[at],
		(c->n - at) * sizeof(*c->entries));
	c->entries[at] = *e;
	c->n++;
	c->dirty = true;
	return IQ_OK;
}

void vhca_cache_drop(struct vhca_cache *c, const char *vf_pci)
{
	struct vhca_cache_entry *e = find(c, vf_pci);
	size_t at;

	if (!e)
		return;
	at = (size_t)(e - c->entries);
	memmove(e, e + 1, (c->n - at - 1) * sizeof(*e));
	c->n--;
	c->dirty = true;
	c->nby_link = (size_t)-1;
}

int vhca_cache_save(struct vhca_cache *c, struct iq_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int rc;

	if (!c->dirty || !c->path[0])
		return IQ_OK;
	mem = open_memstream(&text, &len);
	if (!mem)
		return iq_fail(err, IQ_EENV, "%s: out of memory", c->path);
	fprintf(mem, MAGIC "\nboot_id %s\nroot %s\n",
		c->boot_id[0] ? c->boot_id : "-", c->root);
	for (size_t i = 0; i < c->n; i++) {
		const struct vhca_cache_entry *e = &c->entries[i];

		fprintf(mem, "%s %s %u %u %" PRIu64 " %" PRId64 " %x\n", e->vf,
			e->pf, e->pf_numvfs, e->function_id, e->link_ino,
			e->pf_dir_ctime_ns, e->vhca_id);
	}
	if (fclose(mem) != 0) {
		free(text);
		return iq_fail(err, IQ_EENV, "%s: out of memory", c->path);
	}
	/* Not durable: a lost cache costs one query per VF, nothing else. */
	rc = file_write_atomic(c->path, text, len, false, err);
	free(text);
	if (rc == IQ_OK)
		c->dirty = false;
	return rc;
}

void vhca_cache_free(struct vhca_cache *c)
{
	free(c->entries);
	free(c->by_link);
	c->entries = NULL;
	c->by_link = NULL;
	c->n = c->nby_link = 0;
}
