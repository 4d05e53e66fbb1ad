/* The one table that turns PCI ids into a GPU family, its gfx target and
 * whether it is integrated. Families are never taken from marketing names:
 * Mesa 26 calls the Strix Halo "(RADV STRIX_HALO)" where older Mesa said
 * "(RADV GFX1151)", and OEMs rename parts freely. */
#ifndef HALOBOX_GPU_IDS_H
#define HALOBOX_GPU_IDS_H

#include "util/common.h"

#define PCI_VENDOR_AMD    0x1002
#define PCI_VENDOR_NVIDIA 0x10de
#define PCI_VENDOR_INTEL  0x8086

struct gpu_id {
    uint16_t device_id; /* AMD (0x1002) device */
    const char *family; /* strix-halo, strix-point, ..., amd-dgpu */
    const char *gfx;
    bool integrated;
    const char *description; /* for people only, never matched on */
};

/* The entry for an AMD device id, or NULL when it is not in the table. */
const struct gpu_id *gpu_id_lookup(uint64_t device_id);

/* The APU family a gfx target belongs to when that target is only ever an
 * APU (gfx1151 -> strix-halo), else NULL. */
const char *gpu_family_for_gfx(const char *gfx);
/* The gfx target of an APU family with a single target, else NULL. */
const char *gpu_gfx_for_family(const char *family);

/* Family for a vendor without a table entry: nvidia, intel, other. */
const char *gpu_family_for_vendor(uint64_t vendor_id);

/* KFD gfx_target_version (major*10000 + minor*100 + stepping) to the LLVM
 * target name: 110501 -> "gfx1151", 90010 -> "gfx90a". Writes into buf
 * (at least 16 bytes) and returns false for 0 (a CPU node) or a minor or
 * stepping above 0xf, which no target has. */
bool gfx_name_from_target_version(uint64_t version, char *buf, size_t size);

/* True for families that are APUs sharing system memory with the CPU. */
bool gpu_family_is_apu(const char *family);

#endif
