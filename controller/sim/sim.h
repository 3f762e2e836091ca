/* SPDX-License-Identifier: MIT */
/*
 * The simulated host, one unit: everything icmquota needs to run without a
 * ConnectX NIC, found in this folder.
 *
 *   simfw.c             the firmware model
 *   simfw_state.c       its state files (JSON per PF, lock)
 *   sim_transport.c     its transport (fw_transport_ops), picked by
 *                       --backend sim, or by auto on a simulated root
 *   sim_tree.c          the host-tree builder: sysfs/debugfs/procfs shapes
 *   sim_host.c          the host: layout, parameters, sim init
 *   sim_host_json.c     host.json: what the tree does not hold
 *   sim_host_refresh.c  counters and meminfo recomputed from the firmware
 *                       state
 *   sim_host_guest.c    guest registrations, FLR
 *   sim_devlink.c       the kernel's devlink (ports, eswitch mode, the vnic
 *                       reporter's icm_consumption), from devlink.json
 *   cmd_sim.c           `icmquota sim init|register|flr|show|refresh`
 *
 * What it models:
 * - PRM semantics (reference/prm.md) of QUERY_HCA_CAP (own and
 *   other_function: vhca_id, vport_group_manager, nic_cap_reg), NIC_CAP_REG
 *   (vhca_icm_ctrl, total_icm, vhca_group_id_max), VHCA_ICM_CTRL and
 *   VHCA_GROUP_ICM_CTRL (mask-less writes change nothing, a cap above
 *   total_icm is BAD_PARAM with nothing changed, an unknown vhca_id is
 *   BAD_RESOURCE, high-water reset, group budgets), byte-exact mailboxes
 *   through the same codec and transport vtable as the real device.
 * - Firmware facts of the field: the HCA cap access_register_user (clear:
 *   ACCESS_REGISTER_USER refused, the fwctl stand-in simfw_transport_fwctl
 *   reaches the registers through ACCESS_REG), caps stored rounded up
 *   (sim init --icm-rounding), any status answered on demand (sim inject:
 *   NOT_READY, RESOURCE_BUSY, ...).
 * - The guest side: a registration becomes firmware page requests that are
 *   granted or refused against the caps (refusals counted, as the driver's
 *   give_pages failures would be); a function reset (FLR) hands them back.
 * - The host's shapes: sysfs devices with the kernel's relative symlinks
 *   (bus/pci/devices, virtfnN/physfn, drivers, class/infiniband,
 *   class/fwctl, iommu_groups), debugfs mlx5/<pci>/pages counters,
 *   /proc/meminfo and huge page pools, GPUs.
 * - The registration calibration (sim_host_pages_per_mr, which is
 *   controller/core/icm_model.h, shared with `icmquota estimate`):
 *   firmware pages per memory registration, 8-byte MTT entries per 4 KiB
 *   in a power-of-two table, reproducing seed 000's measurements.
 *
 * What it does not model: NIC_CAP_REG's writable fields (the tool only
 * reads that register; a write is refused), timing (a command is a file read and write, not
 * tens of microseconds of firmware), the DevX object model and fwctl
 * scopes (the real transports are built and run up to the missing device
 * instead), firmware rounding beyond what sim init asks for, any command
 * the tool does not send, and the guest's own memory use.
 *
 * State lives under ROOT/icmquota-sim/ (one JSON file per PF, host.json),
 * guarded by lock files so that concurrent processes see one firmware.
 */
#ifndef ICMQUOTA_SIM_H
#define ICMQUOTA_SIM_H

#include "controller/sim/sim_devlink.h"
#include "controller/sim/sim_host.h"
#include "controller/sim/sim_tree.h"
#include "controller/sim/simfw.h"

#endif
