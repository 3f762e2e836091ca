// SPDX-License-Identifier: MIT
/*
 * Running libvirt domains -> VM facts, through the libvirt API.
 *
 * plan/apply/status want the VMs that hold VFs right now; libvirt knows
 * them. A read-only connection lists the active domains (running or paused:
 * a paused guest still owns its VFs) and hands over each one's live XML,
 * which goes through the same parser as the hook's stdin, so both paths see
 * the same facts. libvirt's own error printing is silenced: its message
 * becomes one line of our error instead.
 */
#include "controller/sources/vm_libvirt_live.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "controller/sources/vm.h"
#include "lib/dynlib.h"
#include "lib/file.h"

/* Sockets a system daemon listens on (monolithic libvirtd or modular). */
static const char *const system_sockets[] = {
	"/run/libvirt/libvirt-sock",	   "/run/libvirt/libvirt-sock-ro",
	"/run/libvirt/virtqemud-sock",	   "/run/libvirt/virtqemud-sock-ro",
	"/var/run/libvirt/libvirt-sock",   "/var/run/libvirt/libvirt-sock-ro",
	"/var/run/libvirt/virtqemud-sock", "/var/run/libvirt/virtqemud-sock-ro",
};

static const char connect_fix[] = "is libvirtd running? pass --connect URI";

/*
 * libvirt is loaded only when live domains are listed: linking it would
 * cost every run (the libvirt hook above all, which must never call
 * libvirt) ~13 ms of library loading for nothing.
 */
static struct {
	bool loaded;
	virErrorPtr (*GetLastError)(void);
	const char *(*DomainGetName)(virDomainPtr);
	char *(*DomainGetXMLDesc)(virDomainPtr, unsigned int);
	void (*SetErrorFunc)(void *, virErrorFunc);
	virConnectPtr (*ConnectOpenReadOnly)(const char *);
	void (*ConnSetErrorFunc)(virConnectPtr, void *, virErrorFunc);
	int (*ConnectListAllDomains)(virConnectPtr, virDomainPtr **,
				     unsigned int);
	int (*ConnectClose)(virConnectPtr);
	int (*DomainFree)(virDomainPtr);
} lv;

static int libvirt_load(struct iq_err *err)
{
	static const struct dynlib_sym syms[] = {
		{"virGetLastError", (void **)&lv.GetLastError},
		{"virDomainGetName", (void **)&lv.DomainGetName},
		{"virDomainGetXMLDesc", (void **)&lv.DomainGetXMLDesc},
		{"virSetErrorFunc", (void **)&lv.SetErrorFunc},
		{"virConnectOpenReadOnly", (void **)&lv.ConnectOpenReadOnly},
		{"virConnSetErrorFunc", (void **)&lv.ConnSetErrorFunc},
		{"virConnectListAllDomains",
		 (void **)&lv.ConnectListAllDomains},
		{"virConnectClose", (void **)&lv.ConnectClose},
		{"virDomainFree", (void **)&lv.DomainFree},
	};
	int rc;

	if (lv.loaded)
		return IQ_OK;
	rc = dynlib_load("libvirt.so.0", syms, sizeof(syms) / sizeof(syms[0]),
			 "install libvirt0 to list live domains, or name the "
			 "VMs with --libvirt-xml",
			 err);
	lv.loaded = rc == IQ_OK;
	return rc;
}

/* libvirt prints every error to stderr unless a handler takes it. */
static void ignore_libvirt_error(void *opaque, virErrorPtr error)
{
	(void)opaque;
	(void)error;
}

/*
 * libvirt parses XML with libxml2 in this process (the test driver's node
 * file, for one), and libxml2 prints some failures, e.g. "I/O warning :
 * failed to load external entity", through its generic handler to stderr.
 * Silenced around our libvirt calls only, then libxml2's default handler
 * is put back (icmquota itself parses with expat and sets none): libvirt's
 * own error already says what went wrong. libxml2 is the copy libvirt
 * loaded; these two names are its ABI since libxml2 2.0, so its headers
 * are not needed.
 */
typedef void (*xml_generic_error_fn)(void *ctx, const char *msg, ...);
typedef void (*xml_set_generic_error_fn)(void *ctx,
					 xml_generic_error_fn handler);

static void ignore_xml_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* xmlSetGenericErrorFunc of the libxml2 libvirt brought, or NULL. */
static xml_set_generic_error_fn xml_error_setter(void)
{
	return (xml_set_generic_error_fn)dynlib_loaded_sym(
		"libxml2.so.2", "xmlSetGenericErrorFunc");
}

/*
 * libvirt's last error of this thread as one printable line: control bytes
 * and runs of white space (libxml2 messages carry newlines and a column of
 * padding) become one space. A fallback when libvirt left none.
 */
static void last_libvirt_error(char *out, size_t len)
{
	virErrorPtr last = lv.GetLastError();
	const char *msg =
		last && last->message ? last->message : "unknown libvirt error";
	size_t n = 0;

	for (; *msg && n + 1 < len; msg++) {
		unsigned char c = (unsigned char)*msg;

		if (iscntrl(c) || isspace(c)) {
			if (n && out[n - 1] != ' ')
				out[n++] = ' ';
		} else {
			out[n++] = (char)c;
		}
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* Domain names come from libvirt; keep messages on one line regardless. */
static void printable_name(const char *name, char *out, size_t len)
{
	size_t n = 0;

	for (; name[n] && n + 1 < len; n++)
		out[n] = iscntrl((unsigned char)name[n]) ? '?' : name[n];
	out[n] = '\0';
}

static int cmp_domain_names(const void *a, const void *b)
{
	const char *name_a = lv.DomainGetName(*(virDomainPtr const *)a);
	const char *name_b = lv.DomainGetName(*(virDomainPtr const *)b);

	return strcmp(name_a ? name_a : "", name_b ? name_b : "");
}

/*
 * One domain's facts from its live XML. *gone is set when the domain
 * stopped and vanished between the listing and now: it is no longer
 * running, so it is rightly not a VM to cap.
 */
static int domain_facts(virDomainPtr dom, const char *uri, struct vm_facts *vm,
			bool *gone, struct iq_err *err)
{
	const char *raw_name = lv.DomainGetName(dom);
	char name[256], label[512], cause[1024];
	char *xml;
	int rc;

	*gone = false;
	memset(vm, 0, sizeof(*vm));
	printable_name(raw_name ? raw_name : "?", name, sizeof(name));
	snprintf(label, sizeof(label), "libvirt domain %s (%s)", name, uri);
	xml = lv.DomainGetXMLDesc(dom, 0);
	if (!xml) {
		virErrorPtr last = lv.GetLastError();

		if (last && last->code == VIR_ERR_NO_DOMAIN) {
			*gone = true;
			return IQ_OK;
		}
		last_libvirt_error(cause, sizeof(cause));
		return iq_fail(err, IQ_EENV,
			       "%s: cannot read the domain XML: %s (%s)", label,
			       cause, connect_fix);
	}
	rc = vm_from_libvirt_xml(xml, strlen(xml), label, vm, err);
	free(xml);
	return rc;
}

/* Facts of every domain in doms, in that order, into a list of our own. */
static int collect(virDomainPtr *doms, int ndoms, const char *uri,
		   struct vm_list *found, struct iq_err *err)
{
	for (int i = 0; i < ndoms; i++) {
		struct vm_facts vm;
		bool gone;
		int rc;

		rc = domain_facts(doms[i], uri, &vm, &gone, err);
		if (rc)
			return rc;
		if (gone)
			continue;
		rc = vm_list_push(found, &vm, err);
		vm_facts_free(&vm);
		if (rc)
			return rc;
	}
	return IQ_OK;
}

static int list_running(const char *uri, struct vm_list *list,
			struct iq_err *err)
{
	struct vm_list found = {0};
	virDomainPtr *doms = NULL;
	virConnectPtr conn;
	char cause[1024];
	int ndoms, rc = IQ_OK;

	if (!uri || !uri[0])
		return iq_fail(err, IQ_EUSAGE,
			       "no libvirt URI given (pass --connect URI, e.g. "
			       "--connect %s)",
			       VM_LIBVIRT_SYSTEM_URI);
	/* Before connecting: a failed open reports through the global one. */
	lv.SetErrorFunc(NULL, ignore_libvirt_error);
	conn = lv.ConnectOpenReadOnly(uri);
	if (!conn) {
		last_libvirt_error(cause, sizeof(cause));
		return iq_fail(err, IQ_EENV,
			       "libvirt %s: cannot connect: %s (%s)", uri,
			       cause, connect_fix);
	}
	lv.ConnSetErrorFunc(conn, NULL, ignore_libvirt_error);
	ndoms = lv.ConnectListAllDomains(conn, &doms,
					 VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (ndoms < 0) {
		last_libvirt_error(cause, sizeof(cause));
		rc = iq_fail(err, IQ_EENV,
			     "libvirt %s: cannot list running domains: %s (%s)",
			     uri, cause, connect_fix);
		lv.ConnectClose(conn);
		return rc;
	}
	qsort(doms, (size_t)ndoms, sizeof(*doms), cmp_domain_names);
	rc = collect(doms, ndoms, uri, &found, err);
	for (int i = 0; i < ndoms; i++)
		lv.DomainFree(doms[i]);
	free(doms);
	lv.ConnectClose(conn);
	/* Move into the caller's list only once every domain was read. */
	for (size_t i = 0; rc == IQ_OK && i < found.n; i++)
		rc = vm_list_push(list, &found.vms[i], err);
	vm_list_free(&found);
	return rc;
}

int vm_libvirt_list_running(const char *uri, struct vm_list *list,
			    struct iq_err *err)
{
	xml_set_generic_error_fn xml_errors;
	int rc;

	rc = uri && *uri ? libvirt_load(err) : IQ_OK;
	if (rc)
		return rc;
	/* After libvirt_load: libvirt brought libxml2 in. */
	xml_errors = xml_error_setter();
	if (xml_errors)
		xml_errors(NULL, ignore_xml_error);
	rc = list_running(uri, list, err);
	if (xml_errors)
		xml_errors(NULL, NULL); /* NULL: libxml2's default */
	return rc;
}

const char *vm_libvirt_default_uri_at(const char *root)
{
	for (size_t i = 0; i < sizeof(system_sockets) / sizeof(*system_sockets);
	     i++) {
		char path[4096];
		struct stat st;

		if (path_join(path, sizeof(path), root, system_sockets[i]))
			continue; /* a root too long to hold any socket */
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return VM_LIBVIRT_SYSTEM_URI;
	}
	return NULL;
}

const char *vm_libvirt_default_uri(void)
{
	return vm_libvirt_default_uri_at("");
}
