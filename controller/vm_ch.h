/* SPDX-License-Identifier: MIT */
/*
 * Cloud Hypervisor as a VM source: GET /api/v1/vm.info over the VMM's API
 * Unix socket (libcurl), VmInfo (cloud-hypervisor-openapi.yaml) -> facts.
 */
#ifndef ICMQUOTA_VM_CH_H
#define ICMQUOTA_VM_CH_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/err.h"
#include "controller/vm.h"
#include "controller/vm_list.h"

/* Seconds a request may take before the VMM counts as hung. */
#define VM_CH_TIMEOUT_S 5

/*
 * VM facts from a VMM socket. Errors (one line, naming the socket):
 * connection refused / no such socket (IQ_EENV, "is cloud-hypervisor
 * running with --api-socket?"), timeout (IQ_EENV), 404 = no VM created yet
 * (IQ_EREFUSED), malformed JSON or not a CH API (IQ_EREFUSED), a device
 * path that is not a PCI device path (IQ_EREFUSED).
 */
int vm_from_ch_socket(const char *socket_path, struct vm_facts *vm,
		      struct iq_err *err);
/* The same from a VmInfo body; state receives "Created", "Running", ... */
int vm_from_ch_vminfo(const char *json, size_t len, const char *label,
		      struct vm_facts *vm, char *state, size_t state_len,
		      struct iq_err *err);
/*
 * Every *.sock (and every socket file) in dir: VMs that exist and are not
 * Shutdown are added. A socket whose VMM is gone is skipped with a note in
 * skipped (a count), never silently: the caller reports it.
 */
int vm_ch_list_dir(const char *dir, struct vm_list *list, unsigned *skipped,
		   char *skipped_why, size_t why_len, struct iq_err *err);

#endif
