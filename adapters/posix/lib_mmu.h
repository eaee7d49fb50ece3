/* SPDX-License-Identifier: MIT */
/*
 * libshadowmmu itself as the MMU under test: the simulated machine's exit
 * handlers call the library's shadow-paging entry points, and the
 * shadow-paging host ops (pages, guest frames, the MMU lock, remote
 * flushes) are implemented over the simulation, as a hypervisor would
 * implement them over real hardware.
 *
 * Every guest paging mode is shadowed. sim_config.inject takes the
 * library's SMMU_INJECT_* knobs.
 */
#ifndef SMMU_POSIX_LIB_MMU_H
#define SMMU_POSIX_LIB_MMU_H

#include "sim.h"

extern const struct sim_mmu_ops lib_mmu_ops;

/* The library's SMMU_INJECT_* knobs by name, ending with {NULL, 0, NULL}
 * (lib_mmu_knobs.c). */
extern const struct sim_knob lib_mmu_knobs[];

/* The library VM of a simulation that runs lib_mmu_ops (for its stats). */
struct smmu_vm *lib_mmu_vm(struct sim *s);

#endif
