#include "util/common.h"

#include "gpu_ids.h"

/* Device ids from the amdgpu driver's PCI id list and Mesa's device tables.
 * Integrated parts first, then discrete RDNA2/3/4. Unknown AMD ids fall back
 * to the integrated heuristic in facts_derive(). */
static const struct gpu_id amd_ids[] = {
    {0x1586, "strix-halo", "gfx1151", true, "Ryzen AI Max (Radeon 8060S/8050S)"},
    {0x150e, "strix-point", "gfx1150", true, "Ryzen AI 300 (Radeon 890M/880M)"},
    {0x1114, "krackan", "gfx1152", true, "Ryzen AI 300 Krackan (Radeon 860M/840M)"},
    {0x15bf, "phoenix", "gfx1103", true, "Ryzen 7040/8040 (Radeon 780M/760M)"},
    {0x15c8, "phoenix", "gfx1103", true, "Ryzen 7040/8040 Phoenix2 (Radeon 740M)"},
    {0x1900, "phoenix", "gfx1103", true, "Ryzen 8040 Hawk Point (Radeon 780M)"},
    {0x1901, "phoenix", "gfx1103", true, "Ryzen 8040 Hawk Point2"},
    {0x1681, "rembrandt", "gfx1035", true, "Ryzen 6000 (Radeon 680M)"},
    {0x164e, "raphael", "gfx1036", true, "Ryzen 7000/9000 desktop iGPU"},
    {0x1506, "mendocino", "gfx1037", true, "Ryzen 7020 (Radeon 610M)"},
    {0x163f, "van-gogh", "gfx1033", true, "Steam Deck APU"},
    {0x1636, "renoir", "gfx90c", true, "Ryzen 4000 (Vega)"},
    {0x1638, "renoir", "gfx90c", true, "Ryzen 5000 Cezanne (Vega)"},
    {0x164c, "renoir", "gfx90c", true, "Ryzen 5000 Lucienne (Vega)"},
    {0x15e7, "renoir", "gfx90c", true, "Ryzen 5000 Barcelo (Vega)"},
    /* RDNA4 */
    {0x7550, "amd-dgpu", "gfx1201", false, "Radeon RX 9070 series (Navi 48)"},
    {0x7551, "amd-dgpu", "gfx1201", false, "Radeon AI PRO R9700 (Navi 48)"},
    {0x7590, "amd-dgpu", "gfx1200", false, "Radeon RX 9060 series (Navi 44)"},
    /* RDNA3 */
    {0x744c, "amd-dgpu", "gfx1100", false, "Radeon RX 7900 series (Navi 31)"},
    {0x7448, "amd-dgpu", "gfx1100", false, "Radeon PRO W7900 (Navi 31)"},
    {0x745e, "amd-dgpu", "gfx1100", false, "Radeon PRO W7800 (Navi 31)"},
    {0x747e, "amd-dgpu", "gfx1101", false, "Radeon RX 7700/7800 (Navi 32)"},
    {0x7470, "amd-dgpu", "gfx1101", false, "Radeon PRO W7700 (Navi 32)"},
    {0x7480, "amd-dgpu", "gfx1102", false, "Radeon RX 7600 series (Navi 33)"},
    {0x7483, "amd-dgpu", "gfx1102", false, "Radeon RX 7600M (Navi 33)"},
    {0x7489, "amd-dgpu", "gfx1102", false, "Radeon PRO W7600/W7500 (Navi 33)"},
    /* RDNA2 */
    {0x73a2, "amd-dgpu", "gfx1030", false, "Navi 21"},
    {0x73a3, "amd-dgpu", "gfx1030", false, "Radeon PRO W6800 (Navi 21)"},
    {0x73a5, "amd-dgpu", "gfx1030", false, "Radeon RX 6950 XT (Navi 21)"},
    {0x73af, "amd-dgpu", "gfx1030", false, "Radeon RX 6900 XT (Navi 21)"},
    {0x73bf, "amd-dgpu", "gfx1030", false, "Radeon RX 6800/6900 (Navi 21)"},
    {0x73df, "amd-dgpu", "gfx1031", false, "Radeon RX 6700 series (Navi 22)"},
    {0x73ef, "amd-dgpu", "gfx1032", false, "Radeon RX 6650 XT (Navi 23)"},
    {0x73ff, "amd-dgpu", "gfx1032", false, "Radeon RX 6600 series (Navi 23)"},
    {0x743f, "amd-dgpu", "gfx1034", false, "Radeon RX 6400/6500 (Navi 24)"},
};

const struct gpu_id *gpu_id_lookup(uint64_t device_id)
{
    for (size_t i = 0; i < ARRAY_SIZE(amd_ids); i++)
        if (amd_ids[i].device_id == device_id)
            return &amd_ids[i];
    return NULL;
}

/* gfx targets that exist only as APUs, so the target alone names the
 * family (a facts file may carry the gfx but no PCI id). */
static const struct {
    const char *gfx;
    const char *family;
} apu_only_gfx[] = {
    {"gfx1151", "strix-halo"}, {"gfx1150", "strix-point"}, {"gfx1152", "krackan"},
    {"gfx1103", "phoenix"},    {"gfx1035", "rembrandt"},   {"gfx1036", "raphael"},
    {"gfx1037", "mendocino"},  {"gfx1033", "van-gogh"},    {"gfx90c", "renoir"},
};

const char *gpu_family_for_gfx(const char *gfx)
{
    if (!gfx)
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(apu_only_gfx); i++)
        if (!strcmp(apu_only_gfx[i].gfx, gfx))
            return apu_only_gfx[i].family;
    return NULL;
}

const char *gpu_gfx_for_family(const char *family)
{
    if (!family)
        return NULL;
    const char *found = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(apu_only_gfx); i++) {
        if (strcmp(apu_only_gfx[i].family, family))
            continue;
        if (found)
            return NULL; /* more than one target: cannot tell */
        found = apu_only_gfx[i].gfx;
    }
    return found;
}

const char *gpu_family_for_vendor(uint64_t vendor_id)
{
    switch (vendor_id) {
    case PCI_VENDOR_NVIDIA:
        return "nvidia";
    case PCI_VENDOR_INTEL:
        return "intel";
    default:
        return "other";
    }
}

bool gfx_name_from_target_version(uint64_t version, char *buf, size_t size)
{
    uint64_t major = version / 10000, minor = (version / 100) % 100, step = version % 100;
    if (version == 0 || major == 0 || minor > 0xf || step > 0xf)
        return false;
    snprintf(buf, size, "gfx%llu%llx%llx", (unsigned long long)major, (unsigned long long)minor,
             (unsigned long long)step);
    return true;
}

bool gpu_family_is_apu(const char *family)
{
    if (!family)
        return false;
    if (!strcmp(family, "amd-apu"))
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(amd_ids); i++)
        if (amd_ids[i].integrated && !strcmp(amd_ids[i].family, family))
            return true;
    return false;
}
