/* What the kernel accepts on its command line for the parameters halobox
 * cares about (amdgpu, ttm, amdttm, amd_iommu), so that a misspelt or
 * made-up one is reported instead of silently ignored. */
#ifndef HALOBOX_KERNEL_PARAMS_H
#define HALOBOX_KERNEL_PARAMS_H

#include "util/common.h"

/* Why the kernel ignores key=value, or NULL when it takes it (or when it is
 * outside what halobox knows, which is not the same as wrong). The reason
 * is a static string such as "amdgpu has no parameter 'gtt_size'". */
const char *kernel_param_problem(const char *key, const char *value, const char **suggestion);

/* True when amd_iommu's value turns the AMD IOMMU off. */
bool amd_iommu_value_is_off(const char *value);

#endif
