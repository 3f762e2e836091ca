// SPDX-License-Identifier: MIT
/*
 * A libvirt domain's passed-through PCI devices: <hostdev> and <interface
 * type='hostdev'> by their host <source><address>, read as libvirt reads
 * it; <interface type='network'> whose device libvirt picks after
 * prepare is counted as pending (or hidden when libvirt already picked a
 * VF the XML does not name).
 */
#include "controller/sources/vm.h"
#include "controller/sources/vm_libvirt_xml.h"
#include "controller/sources/xml_tree.h"
#include "lib/pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One address attribute as libvirt reads it (strtoul, base 0): "0x" is hex,
 * a leading "0" octal, else decimal; absent means 0.
 */
static int pci_part(const struct xml_node *address, const char *name,
		    unsigned long max, const char *where, const char *label,
		    unsigned long *value, struct iq_err *err)
{
	char text[32], shown[48];
	bool present;
	char *end;
	unsigned long long parsed;

	*value = 0;
	if (!lvxml_attr_copy(address, name, text, sizeof(text), &present))
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s: %s= is not a number (use hex, "
			       "e.g. bus='0x3b')",
			       label, lvxml_line_of(address), where, name);
	if (!present)
		return IQ_OK;
	errno = 0;
	parsed = strtoull(text, &end, 0);
	if (!text[0] || strchr(text, '-') || end == text || *end || errno) {
		lvxml_printable_excerpt(text, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s: %s='%s' is not a number (use hex, "
			       "e.g. bus='0x3b')",
			       label, lvxml_line_of(address), where, name,
			       shown);
	}
	if (parsed > max)
		return iq_fail(
			err, IQ_EREFUSED,
			"%s:%ld: %s: %s='%s' is out of range (0x0-0x%lx)",
			label, lvxml_line_of(address), where, name, text, max);
	*value = (unsigned long)parsed;
	return IQ_OK;
}

/* The host side of a passthrough device: its <source><address>. */
static int add_source_address(const struct xml_node *device, const char *where,
			      const char *label, struct vm_facts *vm,
			      struct iq_err *err)
{
	const struct xml_node *address =
		xml_child(xml_child(device, "source"), "address");
	unsigned long domain, bus, slot, function;
	char addr[PCI_ADDR_LEN];
	char path[128];
	int rc;

	if (!address)
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s: a PCI passthrough device without "
			       "<source><address> (libvirt requires the host "
			       "address)",
			       label, lvxml_line_of(device), where);
	snprintf(path, sizeof(path), "%s/source/address", where);
	rc = pci_part(address, "domain", PCI_DOMAIN_MAX, path, label, &domain,
		      err);
	if (!rc)
		rc = pci_part(address, "bus", 0xff, path, label, &bus, err);
	if (!rc)
		rc = pci_part(address, "slot", 0x1f, path, label, &slot, err);
	if (!rc)
		rc = pci_part(address, "function", 7, path, label, &function,
			      err);
	if (rc)
		return rc;
	if (!pci_addr_format(domain, bus, slot, function, addr))
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s: not a PCI address", label,
			       lvxml_line_of(address), path);
	rc = vm_add_pci(vm, addr, err);
	if (rc)
		return iq_err_prefix(err, "%s:%ld", label,
				     lvxml_line_of(address));
	return IQ_OK;
}

/*
 * PCI passthrough: <hostdev mode='subsystem' type='pci'> (mode defaults to
 * subsystem) and <interface type='hostdev'> whose source address is PCI.
 * The guest-side <address> (a direct child) is where the guest sees the
 * device, not which host device it is: never read it. USB, SCSI, mdev and
 * mode='capabilities' hostdevs are not VFs.
 */
int lvxml_parse_pci(const struct xml_node *domain, const char *label,
		    struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *devices = xml_child(domain, "devices");
	unsigned hostdev_index = 0, interface_index = 0;
	char where[96];

	if (!devices)
		return IQ_OK;
	for (const struct xml_node *dev = devices->child; dev;
	     dev = dev->next) {
		int rc;

		if (lvxml_is_element(dev, "hostdev")) {
			const char *mode = xml_attr(dev, "mode");
			bool subsystem =
				!mode || strcmp(mode, "subsystem") == 0;

			hostdev_index++;
			if (!subsystem ||
			    !lvxml_attr_equals(dev, "type", "pci"))
				continue;
			snprintf(where, sizeof(where),
				 "/domain/devices/hostdev[%u]", hostdev_index);
		} else if (lvxml_is_element(dev, "interface")) {
			const struct xml_node *address;

			interface_index++;
			/* Its host device is chosen after prepare. */
			if (lvxml_attr_equals(dev, "type", "network")) {
				const struct xml_node *alias =
					xml_child(dev, "alias");
				const char *name =
					alias ? xml_attr(alias, "name") : NULL;

				vm->pending_ifaces++;
				/* libvirt names the alias after the actual
				 * type: a VF from a hostdev pool. */
				if (name && !strncmp(name, "hostdev", 7))
					vm->hidden_vfs++;
			}
			if (!lvxml_attr_equals(dev, "type", "hostdev"))
				continue;
			address =
				xml_child(xml_child(dev, "source"), "address");
			if (address && xml_has_attr(address, "type") &&
			    !lvxml_attr_equals(address, "type", "pci"))
				continue; /* e.g. a USB network adapter */
			snprintf(where, sizeof(where),
				 "/domain/devices/interface[%u]",
				 interface_index);
		} else {
			continue;
		}
		rc = add_source_address(dev, where, label, vm, err);
		if (rc)
			return rc;
	}
	return IQ_OK;
}
