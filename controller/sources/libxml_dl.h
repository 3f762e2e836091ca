/* SPDX-License-Identifier: MIT */
/*
 * libxml2, loaded when a domain XML is first parsed (dlopen), not at
 * program start: libxml2 brings ICU and libstdc++ (about 1 ms of dynamic
 * loading per process), and most libvirt hook calls parse nothing (a
 * domain without <hostdev> has no VF to cap, cmd_hook.c).
 *
 * A file using libxml2 includes this header after the libxml2 headers and
 * calls libxml_dl_load() before its first libxml2 call; the libxml2 names
 * it uses below then go through the loaded library. A name not listed
 * here is not available: add it to LIBXML_DL_FUNCS and to the redirects.
 */
#ifndef ICMQUOTA_LIBXML_DL_H
#define ICMQUOTA_LIBXML_DL_H

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "lib/err.h"

/* Debian's libxml2: per-thread globals, process-wide allocator hooks. */
#if !defined(LIBXML_THREAD_ENABLED) || defined(LIBXML_THREAD_ALLOC_ENABLED)
#error "libxml_dl.h expects xmlFree a variable and xmlGenericError a function"
#endif

#define LIBXML_DL_FUNCS(X)                                                     \
	X(xmlNewParserCtxt)                                                    \
	X(xmlCtxtReadMemory)                                                   \
	X(xmlFreeDoc)                                                          \
	X(xmlCtxtGetLastError)                                                 \
	X(xmlFreeParserCtxt)                                                   \
	X(xmlGetLineNo)                                                        \
	X(xmlGetNoNsProp)                                                      \
	X(xmlNodeGetContent)                                                   \
	X(xmlHasProp)                                                          \
	X(xmlDocGetRootElement)                                                \
	X(xmlSetGenericErrorFunc)                                              \
	X(__xmlGenericError)                                                   \
	X(__xmlGenericErrorContext)

struct libxml_dl {
	int loaded;
#define LIBXML_DL_SLOT(f) __typeof__(f) *f;
	LIBXML_DL_FUNCS(LIBXML_DL_SLOT)
#undef LIBXML_DL_SLOT
	xmlFreeFunc *xmlFree_var; /* the variable xmlFree */
};
extern struct libxml_dl libxml_dl;

/*
 * Load libxml2 (once per process). IQ_EENV naming the library and the
 * package to install when it cannot be loaded.
 */
int libxml_dl_load(struct iq_err *err);

#ifndef LIBXML_DL_IMPLEMENTATION
#define xmlNewParserCtxt       (libxml_dl.xmlNewParserCtxt)
#define xmlCtxtReadMemory      (libxml_dl.xmlCtxtReadMemory)
#define xmlFreeDoc	       (libxml_dl.xmlFreeDoc)
#define xmlCtxtGetLastError    (libxml_dl.xmlCtxtGetLastError)
#define xmlFreeParserCtxt      (libxml_dl.xmlFreeParserCtxt)
#define xmlGetLineNo	       (libxml_dl.xmlGetLineNo)
#define xmlGetNoNsProp	       (libxml_dl.xmlGetNoNsProp)
#define xmlNodeGetContent      (libxml_dl.xmlNodeGetContent)
#define xmlHasProp	       (libxml_dl.xmlHasProp)
#define xmlDocGetRootElement   (libxml_dl.xmlDocGetRootElement)
#define xmlSetGenericErrorFunc (libxml_dl.xmlSetGenericErrorFunc)
#undef xmlFree
#define xmlFree			 (*libxml_dl.xmlFree_var)
#define __xmlGenericError	 (libxml_dl.__xmlGenericError)
#define __xmlGenericErrorContext (libxml_dl.__xmlGenericErrorContext)
#endif

#endif
