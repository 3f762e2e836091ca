/* SPDX-License-Identifier: MIT */
/*
 * The simulated kernel's devlink (sim_devlink.c): a devlink channel
 * answering from the simulated firmware and ROOT/icmquota-sim/devlink.json
 * (its comment gives the format). Give it as run_ctx.sim_devlink; auto
 * picks it on a simulated root, --backend sim always.
 */
#ifndef ICMQUOTA_SIM_DEVLINK_H
#define ICMQUOTA_SIM_DEVLINK_H

#include "devx/devlink.h"

extern const struct devlink_channel_ops sim_devlink_channel;

#endif
