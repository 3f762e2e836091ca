/* SPDX-License-Identifier: MIT */
/*
 * Cloud Hypervisor as a VM source: GET /api/v1/vm.info over the VMM's API
 * Unix socket (lib/http.c), VmInfo (cloud-hypervisor-openapi.yaml) -> facts.
 *
 * VmInfo carries no VM name: the name comes from the socket's place in
 * the layout (/run/ch/train-01.sock -> "train-01", libvirt's
 * /run/libvirt/ch/train-01-socket -> "train-01", Kata's
 * /run/vc/vm/SANDBOX/clh-api.sock -> "SANDBOX"): unique among live VMs. The other facts: uuid from
 * config.platform.system_uuid (or its deprecated alias uuid), lowercased;
 * memory_bytes = config.memory.size + hotplugged_size + every
 * config.memory.zones[] size + hotplugged_size; huge pages per region
 * (config.memory and each zone with hugepages, charged to its
 * hugepage_size, null meaning the host's default size); class from a
 * config.platform.oem_strings[] entry "icmquota.class=NAME"; pci from the
 * sysfs path of every config.devices[] (VFIO) entry, whose last component
 * is the host PCI address.
 */
#ifndef ICMQUOTA_VM_CH_H
#define ICMQUOTA_VM_CH_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/sources/vm.h"
#include "controller/sources/vm_list.h"
#include "lib/err.h"

/* No VmInfo comes near this; a bigger answer is not a CH API. */
#define VM_CH_BODY_MAX (4u << 20)
/* API sockets a directory scan takes: NAME.sock. */
#define VM_CH_SOCK_SUFFIX ".sock"
/* libvirt's ch driver: <stateDir>/<name>-socket (/run/libvirt/ch). */
#define VM_CH_LIBVIRT_SUFFIX "-socket"
/* Kata Containers: /run/vc/vm/<sandbox-id>/clh-api.sock. */
#define VM_CH_KATA_SOCK "clh-api.sock"

/* A socket file name every VM shares (its directory names the VM). */
bool vm_ch_generic_socket_name(const char *file_name);
/*
 * Whether the VMM behind socket_path is confirmed to run no VM: the socket
 * is gone (ENOENT) or the VMM answers that no VM exists (404, or state
 * Shutdown). No answer, a refused connection or a running VM is no
 * confirmation: a source never idles a VM's VFs on less. asked (NULL:
 * none) holds this run's answers: a socket vm_ch_list_dir or an earlier
 * call asked is not asked again (a hung VMM costs VM_CH_TIMEOUT_S per
 * question); a new answer is recorded there.
 */
bool vm_ch_confirmed_gone(struct vm_list *asked, const char *socket_path);

/* Seconds a request may take before the VMM counts as hung. */
#define VM_CH_TIMEOUT_S 5

/*
 * VM facts from a VMM socket, whatever the VM's state. Errors (one line,
 * naming the socket):
 * connection refused / no such socket (IQ_EENV, "is cloud-hypervisor
 * running with --api-socket path=SOCK?"), timeout (IQ_EENV), 404 = no VM
 * created yet (IQ_EREFUSED), another HTTP status (IQ_EENV, with the first
 * line of the answer), malformed JSON or not a CH API (IQ_EREFUSED), a
 * device without a path or whose path is not a PCI device path
 * (IQ_EREFUSED). On failure vm is left zeroed.
 */
int vm_from_ch_socket(const char *socket_path, struct vm_facts *vm,
		      struct iq_err *err);
/* The same, also giving the state ("Created", "Running", ...). */
int vm_ch_query(const char *socket_path, struct vm_facts *vm, char *state,
		size_t state_len, struct iq_err *err);
/*
 * The same from a VmInfo body; state receives "Created", "Running", ...
 * label (a socket path) names the input in messages, becomes vm->source
 * and gives the name (see above).
 */
int vm_from_ch_vminfo(const char *json, size_t len, const char *label,
		      struct vm_facts *vm, char *state, size_t state_len,
		      struct iq_err *err);
/*
 * Every API socket of dir, sorted by name: NAME.sock and NAME-socket in
 * dir, and SUBDIR/clh-api.sock (Kata sandboxes) - only those names: a
 * serial console or vsock socket beside them must never receive an HTTP
 * request. Two VMs the layout would name alike: the second is named by
 * its socket path. Of those sockets,
 * VMs that exist and are not Shutdown (Created, Running, Paused,
 * BreakPoint) are added. A VMM without a VM (404) runs nothing and is
 * passed over. A socket whose VMM is gone (no listener) or hung (no answer
 * in VM_CH_TIMEOUT_S) is skipped but never silently: *skipped counts them,
 * *hung (NULL: not wanted) those that hung - their VM's state is unknown,
 * not "not running" - (both set, not added to), and skipped_why receives
 * the first one's error, for the caller to report. What each socket
 * answered is recorded in list (vm_list.h), for vm_ch_confirmed_gone.
 * Any other failure (a malformed vm.info, permission denied) ends the scan
 * with that error.
 */
/* The VM name a socket path gives ("/run/ch/train-01.sock" -> "train-01"). */
int vm_ch_name_of_socket(const char *socket_path, char *name, size_t len,
			 struct iq_err *err);
int vm_ch_list_dir(const char *dir, struct vm_list *list, unsigned *skipped,
		   unsigned *hung, char *skipped_why, size_t why_len,
		   struct iq_err *err);

#endif
