# The probes against fixture trees built from real captures
# (tests/fixtures/hosts/*/README.md names each source and what is assumed):
# `HALOBOX_SYSROOT=tree halobox inspect --json` must read every fact right,
# derive gfx/family/integrated, compute the usable GPU memory, and doctor
# must report the findings the data proves, with the fix for the distro.
#
# Vulkan and HIP are probed by loading libraries, not through the sysroot:
# Vulkan is hidden with VK_DRIVER_FILES, HIP is whatever this machine has,
# so nothing here depends on the vulkan/rocm.runtime/rocm.devices sections.

HOSTS="$TOP/tests/fixtures/hosts"
GIB=1073741824
PAGE=$(getconf PAGESIZE 2>/dev/null || echo unknown)

# Each test works on its own copy: a copy made by this user is owned by it,
# so render_access/kfd access do not depend on who checked the tree out.
tree() { # NAME -> prints the path of a fresh copy
    local dst="$TMP/trees/$1.$RANDOM$RANDOM"
    mkdir -p "$TMP/trees"
    cp -a "$HOSTS/$1" "$dst" && printf '%s' "$dst"
}

host_run() { # TREE ARGS...
    local root=$1
    shift
    run env -u HSA_OVERRIDE_GFX_VERSION -u container HALOBOX_SYSROOT="$root" \
        VK_DRIVER_FILES=/nonexistent.json VK_ICD_FILENAMES=/nonexistent.json "$HALOBOX" "$@"
}

# inspect TREE: runs inspect --json, checks it worked, leaves JSON in $J.
inspect() {
    host_run "$1" inspect --json
    J=$out
    assert_rc 0
    assert_clean_stderr
    printf '%s' "$J" | jq -e 'type == "object"' >/dev/null 2>&1 || t_fail "inspect --json: no JSON"
}

expect() { # FILTER VALUE : jq value of $J
    assert_eq "$(jqv "$J" "$1")" "$2" "$1"
}

has() { # ID: the finding is in $J
    [ "$(jqv "$J" "[.findings[] | select(.id == \"$1\")] | length")" -ge 1 ] ||
        t_fail "finding $1 missing (found: $(jqv "$J" '[.findings[].id] | join(" ")'))"
}

lacks() { # ID...: none of these findings is in $J
    local id
    for id in "$@"; do
        [ "$(jqv "$J" "[.findings[] | select(.id == \"$id\")] | length")" = 0 ] ||
            t_fail "finding $id should not be there: $(jqv "$J" ".findings[] | select(.id == \"$id\") | .message")"
    done
}

fix_of() { # ID
    jqv "$J" ".findings[] | select(.id == \"$1\") | .fix"
}

# doctor_agrees TREE: doctor --json lists the same findings as inspect --json
# and exits 1 exactly when one is an error.
doctor_agrees() {
    local ids
    ids=$(jqv "$J" '[.findings[].id] | join(" ")')
    host_run "$1" doctor --json
    assert_clean_stderr
    assert_eq "$(jqv "$out" '[.findings[].id] | join(" ")')" "$ids" "doctor findings"
    assert_eq "$(jqv "$out" '.gpu_memory.usable_bytes')" "$(jqv "$J" '.gpu_memory.usable_bytes')" \
        "doctor usable_bytes"
    if [ "$(jqv "$out" '[.findings[] | select(.severity == "error")] | length')" -gt 0 ]; then
        assert_rc 1
    else
        assert_rc 0
    fi
}

memory_ok() {
    [ "$PAGE" = 4096 ] && return 0
    t_notrun "this kernel's page size is $PAGE, the expected sizes assume 4096"
    return 1
}

# ---------------------------------------------------------------------------
# (a) strix-halo-tuned: kyuz0 fw1 (Fedora 43, 7.1.3, amd_iommu=off, 512 MB
# UMA) + nix-amd-ai#42 (ttm.pages_limit=25165824, GTT 96 GiB).
T=$(tree strix-halo-tuned)

t_begin "strix-halo-tuned: OS, kernel release and command line"
inspect "$T"
expect .os.id fedora
expect .os.version_id 43
expect .os.pretty_name "Fedora Linux 43 (Workstation Edition)"
expect .kernel.release 7.1.3-100.fc43.x86_64
expect .kernel.cmdline "$(cat "$T/proc/cmdline")"
expect '.kernel.params.BOOT_IMAGE' '(hd0,gpt2)/vmlinuz-7.1.3-100.fc43.x86_64'
expect '.kernel.params.amd_iommu' off
expect '.kernel.params["ttm.pages_limit"]' 25165824
expect '.kernel.params["ttm.page_pool_size"]' 25165824
expect '.kernel.params.rhgb' ""
# dyndbg="module amdgpu +p": the kernel keeps the spaces inside the quotes
# and drops the quotes.
expect '.kernel.params.dyndbg' "module amdgpu +p"
expect '.kernel.params | has("amdgpu")' false
expect '.kernel.params | length' 10
expect '.kernel.ttm_pages_limit' 25165824
expect '.kernel.ttm_module' ttm
t_end

t_begin "strix-halo-tuned: RAM from /proc/meminfo"
expect .memory.total_bytes $((131029824 * 1024))
expect .memory.available_bytes $((127663104 * 1024))
t_end

t_begin "strix-halo-tuned: the GPU (card1 at 0000:c2:00.0, connectors skipped)"
expect '.gpus | length' 1
expect '.gpus[0].card' card1
expect '.gpus[0].pci_slot' 0000:c2:00.0
expect '.gpus[0].vendor_id' 0x1002
expect '.gpus[0].device_id' 0x1586
expect '.gpus[0].driver' amdgpu
expect '.gpus[0].render_node' /dev/dri/renderD128
expect '.gpus[0].render_access' true
expect '.gpus[0].vram_bytes' 536870912
expect '.gpus[0].vis_vram_bytes' 536870912
expect '.gpus[0].gtt_bytes' 103079215104
expect '.gpus[0].gfx_target_version' 110501
expect '.gpus[0].simd_count' 80
expect '.gpus[0].gfx' gfx1151
expect '.gpus[0].family' strix-halo
expect '.gpus[0].integrated' true
expect '.gpus[0].board_info' false
expect '.gpus[0].vram_vendor' null
expect '.rocm.kfd.present' true
expect '.rocm.kfd.access' true
expect '.containers.selinux' enforcing
t_end

t_begin "strix-halo-tuned: usable GPU memory"
if memory_ok; then
    # VRAM 512 MiB + min(GTT 96 GiB, TTM 25165824 x 4096 = 96 GiB,
    # RAM 131029824 kB = 124.96 GiB) = 536870912 + 103079215104
    # = 103616086016 (96.5 GiB). GTT and TTM tie: either names the limit.
    expect .gpu_memory.usable_bytes 103616086016
    case $(jqv "$J" .gpu_memory.limited_by) in gtt | ttm) ;; *)
        t_fail "limited_by $(jqv "$J" .gpu_memory.limited_by), expected gtt or ttm" ;; esac
    expect .gpu_memory.gpu 0
    expect .gpu_memory.ttm_bytes 103079215104
    expect .gpu_memory.ram_bytes 134174539776
    t_end
fi

t_begin "strix-halo-tuned: a tuned host has none of the tuning findings"
lacks iommu-on gtt-default kernel-old ttm-mismatch carveout-large gtt-no-headroom \
    param-unknown gttsize-deprecated nomodeset no-gpu kfd-missing kfd-no-access \
    render-no-access firmware-bad hsa-override-set nvidia-no-cdi rootless-runc
has selinux-enforcing
doctor_agrees "$T"
t_end

t_begin "strix-halo-tuned: the inspect table shows family, gfx and memory"
host_run "$T" inspect
assert_rc 0
assert_clean_stderr
assert_contains "$out" "Fedora Linux 43 (Workstation Edition), kernel 7.1.3-100.fc43.x86_64"
assert_contains "$out" "1002:1586 strix-halo gfx1151, integrated, driver amdgpu, /dev/dri/renderD128"
assert_contains "$out" "the GPU can use 96.5 GiB"
assert_contains "$out" "VRAM 512 MiB, GTT 96.0 GiB, TTM limit 96.0 GiB"
assert_contains "$out" "RAM 125.0 GiB"
t_end

t_begin "strix-halo-tuned without amd_iommu=off: iommu-on, fixed with grubby (Fedora)"
V=$(tree strix-halo-tuned)
sed -i 's/ amd_iommu=off//' "$V/proc/cmdline"
inspect "$V"
expect '.kernel.params | has("amd_iommu")' false
has iommu-on
assert_eq "$(fix_of iommu-on)" "sudo grubby --update-kernel=ALL --args='amd_iommu=off', then reboot" "iommu-on fix"
assert_not_contains "$(jqv "$J" '[.findings[].fix // empty] | join("\n")')" "update-grub"
t_end

t_begin "strix-halo-tuned with an unlisted PCI id: gfx1151 comes from the KFD target"
V=$(tree strix-halo-tuned)
echo 0x15ff >"$V/sys/devices/pci0000:00/0000:00:08.1/0000:c2:00.0/device"
inspect "$V"
expect '.gpus[0].device_id' 0x15ff
expect '.gpus[0].gfx_target_version' 110501
expect '.gpus[0].gfx' gfx1151
expect '.gpus[0].family' strix-halo
expect '.gpus[0].integrated' true
t_end

t_begin "strix-halo-tuned: a KFD node whose render minor matches no card is not attached"
V=$(tree strix-halo-tuned)
sed -i 's/^drm_render_minor 128$/drm_render_minor 129/' \
    "$V/sys/devices/virtual/kfd/kfd/topology/nodes/1/properties"
inspect "$V"
expect '.gpus[0].gfx_target_version' null
expect '.gpus[0].simd_count' null
expect '.gpus[0].gfx' gfx1151
t_end

# podman's OCI runtime, from the containers.conf files in the tree (written
# here: the captures have none). This machine's own CONTAINERS_CONF is not
# the tree's, so it is unset.
rt_run() { # TREE ARGS...
    local root=$1
    shift
    run env -u HSA_OVERRIDE_GFX_VERSION -u container -u CONTAINERS_CONF -u CONTAINERS_CONF_OVERRIDE \
        -u XDG_CONFIG_HOME HOME=/home/u HALOBOX_SYSROOT="$root" \
        VK_DRIVER_FILES=/nonexistent.json VK_ICD_FILENAMES=/nonexistent.json "$HALOBOX" "$@"
}

t_begin "strix-halo-tuned: podman's runtime from the tree's containers.conf, installed crun else"
V=$(tree strix-halo-tuned)
rt_run "$V" inspect --json
assert_eq "$(jqv "$out" .containers.oci_runtime)" null "no config, nothing installed"
mkdir -p "$V/usr/bin" "$V/etc/containers/containers.conf.d"
: >"$V/usr/bin/runc"
rt_run "$V" inspect --json
assert_eq "$(jqv "$out" .containers.oci_runtime)" runc "only runc installed"
: >"$V/usr/bin/crun"
rt_run "$V" inspect --json
assert_eq "$(jqv "$out" .containers.oci_runtime)" crun "crun comes first"
printf '[engine]\nruntime = "runc"\n' >"$V/etc/containers/containers.conf.d/50-runc.conf"
rt_run "$V" inspect
assert_contains "$out" ", runtime runc, SELinux"
rt_run "$V" inspect --json
assert_eq "$(jqv "$out" .containers.oci_runtime)" runc "the admin's drop-in"
assert_eq "$(jqv "$out" .containers.rootless)" "$([ "$(id -u)" = 0 ] && echo false || echo true)" "rootless"
t_end

t_begin "rootless podman on runc with a GPU: rootless-runc, and the plan says so"
# The same facts as a rootless user's (a saved report, as doctor --facts reads).
printf '%s' "$out" | jq '.containers.rootless = true' >"$TMP/rootless-runc.facts.json"
run "$HALOBOX" doctor --json --facts "$TMP/rootless-runc.facts.json"
J=$out
has rootless-runc
expect '[.findings[] | select(.id == "rootless-runc") | .severity] | join(" ")' warn
assert_contains "$(jqv "$J" '.findings[] | select(.id == "rootless-runc") | .message')" /dev/dri/renderD128
assert_eq "$(fix_of rootless-runc)" 'sudo dnf install crun, then set runtime = "crun" under [engine] in ~/.config/containers/containers.conf' "rootless-runc fix (Fedora)"
export HALOBOX_STORE="$TMP/store"
RT_M="tinyrt-$$"
"$HALOBOX" models synth --preset tiny --name "$RT_M" -q >/dev/null 2>&1
run "$HALOBOX" serve "$RT_M" --facts "$TMP/rootless-runc.facts.json" --recipe vulkan-radv --dry-run
assert_rc 0
assert_contains " $out " " --group-add=keep-groups "
assert_contains "$err" "which ignores --group-add keep-groups"
jq '.containers.oci_runtime = "crun"' "$TMP/rootless-runc.facts.json" >"$TMP/rootless-crun.facts.json"
run "$HALOBOX" doctor --json --facts "$TMP/rootless-crun.facts.json"
J=$out
lacks rootless-runc
run "$HALOBOX" serve "$RT_M" --facts "$TMP/rootless-crun.facts.json" --recipe vulkan-radv --dry-run
assert_not_contains "$err" "keep-groups"
t_end

t_begin "as an unprivileged user: the user's containers.conf wins, rootless-runc follows it"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1 ||
    ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HALOBOX" 2>/dev/null; then
    t_notrun "needs root, setpriv and a launcher uid 65534 can run (to be a rootless user)"
else
    chmod 711 "$TMP" "$TMP/trees"
    chmod -R a+rX "$V"
    mkdir -p "$V/home/u/.config/containers"
    printf '[engine]\nruntime = "crun"\n' >"$V/home/u/.config/containers/containers.conf"
    chmod -R a+rX "$V/home"
    as_user() {
        run setpriv --reuid=65534 --regid=65534 --clear-groups \
            env -u HSA_OVERRIDE_GFX_VERSION -u container -u CONTAINERS_CONF -u CONTAINERS_CONF_OVERRIDE \
            -u XDG_CONFIG_HOME HOME=/home/u HALOBOX_SYSROOT="$V" \
            VK_DRIVER_FILES=/nonexistent.json VK_ICD_FILENAMES=/nonexistent.json "$HALOBOX" "$@"
    }
    as_user inspect --json
    J=$out
    expect .containers.rootless true
    expect .containers.oci_runtime crun
    lacks rootless-runc
    rm "$V/home/u/.config/containers/containers.conf"
    as_user inspect --json
    J=$out
    expect .containers.oci_runtime runc
    has rootless-runc
fi
t_end

# ---------------------------------------------------------------------------
# (b) strix-halo-ubuntu-gtt-mismatch: ROCm issue 5595.
T=$(tree strix-halo-ubuntu-gtt-mismatch)

t_begin "ubuntu-gtt-mismatch: kernel, params and TTM"
inspect "$T"
expect .os.id ubuntu
expect .os.version_id 24.04
expect .kernel.release 6.14.0-1014-oem
expect '.kernel.params.BOOT_IMAGE' /boot/vmlinuz-6.14.0-1014-oem
expect '.kernel.params.root' UUID=d55f0c3f-88f5-4c65-a93a-285c1a30361c
expect '.kernel.params["amdgpu.gtt_size"]' 122880
expect '.kernel.params["vt.handoff"]' 7
expect '.kernel.params.splash' ""
expect '.kernel.ttm_pages_limit' 16313192
expect '.kernel.ttm_module' ttm
expect .memory.total_bytes 133637668864
t_end

t_begin "ubuntu-gtt-mismatch: the GPU"
expect '.gpus | length' 1
expect '.gpus[0].pci_slot' 0000:c6:00.0
expect '.gpus[0].card' card0
expect '.gpus[0].vendor_id' 0x1002
expect '.gpus[0].device_id' 0x1586
expect '.gpus[0].driver' amdgpu
expect '.gpus[0].render_node' /dev/dri/renderD128
expect '.gpus[0].vram_bytes' 1073741824
expect '.gpus[0].gtt_bytes' 128849018880
expect '.gpus[0].gfx' gfx1151
expect '.gpus[0].family' strix-halo
expect '.gpus[0].integrated' true
t_end

t_begin "ubuntu-gtt-mismatch: usable GPU memory is capped by TTM"
if memory_ok; then
    # VRAM 1 GiB + min(GTT 120 GiB, TTM 16313192 x 4096 = 66818834432,
    # RAM 133637668864) = 1073741824 + 66818834432 = 67892576256 (63.2 GiB)
    expect .gpu_memory.usable_bytes 67892576256
    expect .gpu_memory.limited_by ttm
    expect .gpu_memory.ttm_bytes 66818834432
    t_end
fi

t_begin "ubuntu-gtt-mismatch: findings"
has param-unknown
has ttm-mismatch
has gtt-default
has iommu-on
has kernel-old
lacks gttsize-deprecated carveout-large gtt-no-headroom nomodeset no-gpu kfd-missing
assert_contains "$(jqv "$J" '.findings[] | select(.id == "param-unknown") | .message')" "amdgpu.gtt_size"
doctor_agrees "$T"
t_end

t_begin "ubuntu-gtt-mismatch: fixes edit /etc/default/grub and run update-grub"
for id in param-unknown ttm-mismatch gtt-default iommu-on; do
    fix=$(fix_of $id)
    assert_contains "$fix" "/etc/default/grub && sudo update-grub"
    assert_not_contains "$fix" "grubby"
done
assert_contains "$(fix_of iommu-on)" "amd_iommu=off"
# The new limit must be above today's and leave the OS at least 4 GiB.
pages=$(fix_of gtt-default | grep -o 'ttm\.pages_limit=[0-9]*' | head -1 | cut -d= -f2)
if [ -z "$pages" ]; then
    t_fail "gtt-default fix sets no ttm.pages_limit: $(fix_of gtt-default)"
elif [ $((pages * 4096)) -le 66818834432 ] || [ $((pages * 4096 + 4 * GIB)) -gt 133637668864 ]; then
    t_fail "gtt-default suggests ttm.pages_limit=$pages"
fi
t_end

# ---------------------------------------------------------------------------
# (c) strix-halo-debian-carveout: ROCm issue 5671 (amdgpu-dkms: amdttm).
T=$(tree strix-halo-debian-carveout)

t_begin "debian-carveout: kernel, params, and amdttm's limit over ttm's"
inspect "$T"
expect .os.id debian
expect .os.version_id 13
expect .kernel.release 6.12.57+deb13-amd64
expect '.kernel.params.root' /dev/mapper/ubuntu--vg-ubuntu--lv
expect '.kernel.params["amdgpu.gttsize"]' 65536
expect '.kernel.params["ttm.pages_limit"]' 16777216
expect '.kernel.params["amdgpu.cwsr_enable"]' 0
expect '.kernel.params.amd_iommu' off
# /sys/module/ttm says 16777216 (the command line), amdttm 3074543: amdgpu
# from amdgpu-dkms obeys amdttm.
expect '.kernel.ttm_pages_limit' 3074543
expect '.kernel.ttm_module' amdttm
expect .memory.total_bytes 25186656256
t_end

t_begin "debian-carveout: the GPU is integrated despite the 64 GiB carve-out"
expect '.gpus[0].pci_slot' 0000:01:00.0
expect '.gpus[0].device_id' 0x1586
expect '.gpus[0].vram_bytes' 68719476736
expect '.gpus[0].gtt_bytes' 68719476736
expect '.gpus[0].gfx' gfx1151
expect '.gpus[0].family' strix-halo
expect '.gpus[0].integrated' true
t_end

t_begin "debian-carveout: usable GPU memory is the carve-out plus amdttm's limit"
if memory_ok; then
    # VRAM 64 GiB + min(GTT 64 GiB, amdttm 3074543 x 4096 = 12593328128,
    # RAM 25186656256) = 68719476736 + 12593328128 = 81312804864 (75.7 GiB)
    expect .gpu_memory.usable_bytes 81312804864
    expect .gpu_memory.limited_by ttm
    expect .gpu_memory.ttm_bytes 12593328128
    t_end
fi

t_begin "debian-carveout: findings"
has carveout-large
has ttm-mismatch
has gttsize-deprecated
has kernel-old
lacks iommu-on gtt-default param-unknown gtt-no-headroom nomodeset no-gpu kfd-missing
doctor_agrees "$T"
t_end

t_begin "debian-carveout: fixes use update-grub and amdttm.pages_limit"
fix=$(fix_of ttm-mismatch)
assert_contains "$fix" "/etc/default/grub && sudo update-grub"
assert_contains "$fix" "amdttm.pages_limit="
assert_not_contains "$fix" "grubby"
assert_contains "$(fix_of gttsize-deprecated)" "update-grub"
t_end

t_begin "debian-carveout: the inspect table"
host_run "$T" inspect
assert_rc 0
assert_contains "$out" "strix-halo gfx1151, integrated"
assert_contains "$out" "the GPU can use 75.7 GiB (limited by ttm; VRAM 64.0 GiB, GTT 64.0 GiB, TTM limit 11.7 GiB)"
assert_contains "$out" "RAM 23.5 GiB"
t_end

t_begin "debian-carveout with an unlisted PCI id: gfx1151 still means integrated"
# A gfx1151 part exists only as an APU: the family from the KFD target must
# decide before the memory-size heuristic (which calls a 64 GiB carve-out a
# dGPU).
V=$(tree strix-halo-debian-carveout)
echo 0x15ff >"$V/sys/devices/pci0000:00/0000:00:08.1/0000:01:00.0/device"
inspect "$V"
expect '.gpus[0].gfx' gfx1151
expect '.gpus[0].family' strix-halo
expect '.gpus[0].integrated' true
has carveout-large
has ttm-mismatch
t_end

# ---------------------------------------------------------------------------
# (d) rx7900xtx: ROCm issue 3949, discrete gfx1100 behind a PCIe switch.
T=$(tree rx7900xtx)

t_begin "rx7900xtx: the GPU"
inspect "$T"
expect .os.id ubuntu
expect .kernel.release 6.8.0-47-generic
expect .memory.total_bytes 33178972160
expect '.gpus | length' 1
expect '.gpus[0].pci_slot' 0000:03:00.0
expect '.gpus[0].vendor_id' 0x1002
expect '.gpus[0].device_id' 0x744c
expect '.gpus[0].driver' amdgpu
expect '.gpus[0].render_node' /dev/dri/renderD128
expect '.gpus[0].vram_bytes' 25753026560
expect '.gpus[0].gtt_bytes' 16589484032
expect '.gpus[0].gfx_target_version' 110000
expect '.gpus[0].simd_count' 192
expect '.gpus[0].gfx' gfx1100
expect '.gpus[0].family' amd-dgpu
expect '.gpus[0].integrated' false
expect '.gpus[0].board_info' true
expect '.gpus[0].vram_vendor' samsung
t_end

t_begin "rx7900xtx: usable GPU memory is its VRAM"
# discrete: VRAM only, 25753026560 (24.0 GiB)
expect .gpu_memory.usable_bytes 25753026560
expect .gpu_memory.limited_by vram
t_end

t_begin "rx7900xtx: no APU or Strix Halo finding"
lacks gtt-default carveout-large iommu-on kernel-old ttm-mismatch gtt-no-headroom \
    gttsize-deprecated no-gpu kfd-missing param-unknown
doctor_agrees "$T"
t_end

t_begin "rx7900xtx: the inspect table"
host_run "$T" inspect
assert_rc 0
assert_contains "$out" "1002:744c amd-dgpu gfx1100, discrete, driver amdgpu"
assert_contains "$out" "the GPU can use 24.0 GiB (limited by vram)"
t_end

t_begin "unlisted AMD id, 2 GiB VRAM: board_info or a VRAM vendor make it discrete"
# Not in the PCI table, so only the dGPU markers and the sizes decide:
# VRAM 2 GiB with GTT 15.4 GiB looks like an APU unless a marker says not.
V=$(tree rx7900xtx)
D="$V/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:03:00.0"
echo 0x7422 >"$D/device"
echo 2147483648 >"$D/mem_info_vram_total"
rm "$D/mem_info_vram_vendor"
inspect "$V"
expect '.gpus[0].board_info' true
expect '.gpus[0].integrated' false
expect '.gpus[0].family' amd-dgpu
rm "$D/board_info"
echo hynix >"$D/mem_info_vram_vendor"
inspect "$V"
expect '.gpus[0].board_info' false
expect '.gpus[0].integrated' false
rm "$D/mem_info_vram_vendor"
inspect "$V"
expect '.gpus[0].integrated' true
expect '.gpus[0].family' amd-apu
t_end

# ---------------------------------------------------------------------------
# (e) nvidia-only: EndeavourOS audit report, RTX 5060 Ti.
T=$(tree nvidia-only)

t_begin "nvidia-only: OS without VERSION_ID, Arch-style command line"
inspect "$T"
expect .os.id endeavouros
expect .os.version_id null
expect .os.pretty_name EndeavourOS
expect .kernel.release 7.0.10-arch1-1
expect '.kernel.params.initrd' '\09a044e993f7415a92dd2833d9afb1d2\7.0.10-arch1-1\initrd'
expect '.kernel.params.nvme_load' YES
expect '.kernel.params.rootflags' subvol=/@
expect '.kernel.params.nowatchdog' ""
expect '.kernel.params["systemd.machine_id"]' 09a044e993f7415a92dd2833d9afb1d2
expect '.kernel.ttm_pages_limit' null
expect '.kernel.ttm_module' null
t_end

t_begin "nvidia-only: the GPU"
expect '.gpus | length' 1
expect '.gpus[0].vendor_id' 0x10de
expect '.gpus[0].device_id' 0x2d04
expect '.gpus[0].pci_slot' 0000:01:00.0
expect '.gpus[0].driver' nvidia
expect '.gpus[0].render_node' /dev/dri/renderD128
expect '.gpus[0].family' nvidia
expect '.gpus[0].integrated' false
expect '.gpus[0].gfx' null
expect '.gpus[0].vram_bytes' null
expect '.gpus[0].gtt_bytes' null
expect '.gpus[0].board_info' null
expect '.rocm.kfd.present' false
t_end

t_begin "nvidia-only: no memory size in sysfs, no AMD finding"
# NVIDIA exposes no mem_info_* files: nothing to compute from.
expect .gpu_memory.usable_bytes null
expect .gpu_memory.limited_by null
lacks no-gpu iommu-on kernel-old gtt-default carveout-large ttm-mismatch kfd-missing \
    kfd-no-access param-unknown nomodeset gttsize-deprecated
doctor_agrees "$T"
t_end

# CDI: the capture did not record /etc/cdi; the tree has none, then gets the
# spec nvidia-ctk would write (tests/fixtures/cdi/README.md).
export HALOBOX_STORE="$TMP/store"
CDI_M="tinycdi-$$"
"$HALOBOX" models synth --preset tiny --name "$CDI_M" -q >/dev/null 2>&1

t_begin "nvidia-only without a CDI spec: nvidia-no-cdi, and the plan says the GPU stays outside"
expect '.containers.cdi_devices' "[]"
has nvidia-no-cdi
expect '[.findings[] | select(.id == "nvidia-no-cdi") | .severity] | join(" ")' warn
assert_eq "$(fix_of nvidia-no-cdi)" "install nvidia-container-toolkit (your distribution's package, or NVIDIA's repository), then sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml" "nvidia-no-cdi fix (EndeavourOS: no distro family)"
host_run "$T" serve "$CDI_M" --recipe vulkan-radv --dry-run
assert_rc 0
assert_contains " $out " " --device=/dev/dri "
assert_not_contains "$out" "nvidia.com/gpu"
assert_contains "$err" "the GPU will not be visible in the container"
assert_contains "$err" "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml"
t_end

t_begin "nvidia-only with nvidia-ctk's spec in /etc/cdi: the devices, no finding, --device=nvidia.com/gpu=all"
V=$(tree nvidia-only)
mkdir -p "$V/etc/cdi"
cp "$TOP/tests/fixtures/cdi/nvidia.yaml" "$V/etc/cdi/nvidia.yaml"
# Not a spec, and a broken one: skipped, never fatal.
printf 'kind: x.y/z\ndevices:\n- name: a\n' >"$V/etc/cdi/README.txt"
printf '\001\377{{{ devices: [' >"$V/etc/cdi/broken.json"
inspect "$V"
expect '.containers.cdi_devices | join(" ")' \
    "nvidia.com/gpu=0 nvidia.com/gpu=GPU-00000000-1111-2222-3333-444444444444 nvidia.com/gpu=all"
lacks nvidia-no-cdi
doctor_agrees "$V"
host_run "$V" inspect
assert_contains "$out" "nvidia.com/gpu=0, nvidia.com/gpu=GPU-00000000-1111-2222-3333-444444444444, nvidia.com/gpu=all"
host_run "$V" serve "$CDI_M" --recipe vulkan-radv --dry-run -q
assert_rc 0
assert_contains " $out " " --device=/dev/dri --device=nvidia.com/gpu=all "
host_run "$V" serve "$CDI_M" --recipe vulkan-radv --generate quadlet
assert_contains "$out" "AddDevice=nvidia.com/gpu=all"
host_run "$V" serve "$CDI_M" --recipe vulkan-radv --generate kube
assert_contains "$out" '"nvidia.com/gpu=all": 1'
# In /var/run/cdi (where nvidia-cdi-refresh writes it) the same.
V2=$(tree nvidia-only)
mkdir -p "$V2/var/run/cdi"
cp "$TOP/tests/fixtures/cdi/nvidia.yaml" "$V2/var/run/cdi/nvidia.yaml"
inspect "$V2"
expect '.containers.cdi_devices | length' 3
lacks nvidia-no-cdi
t_end

t_begin "a saved report without cdi_devices: unknown, no nvidia-no-cdi"
run "$HALOBOX" doctor --json --facts "$TOP/tests/fixtures/facts/endeavouros-rtx5060ti-nvidia.facts.json"
assert_rc 0
assert_eq "$(jqv "$out" '.containers.cdi_devices')" null "cdi_devices"
assert_eq "$(jqv "$out" '[.findings[] | select(.id == "nvidia-no-cdi")] | length')" 0 "nvidia-no-cdi"
t_end

t_begin "strix-halo-tuned: an AMD host without CDI has no nvidia-no-cdi"
inspect "$(tree strix-halo-tuned)"
expect '.containers.cdi_devices' "[]"
lacks nvidia-no-cdi
t_end

# ---------------------------------------------------------------------------
# (f) no-gpu: /sys/class without a drm class.
T=$(tree no-gpu)

t_begin "no-gpu: no GPU is a known answer, not an unknown one"
inspect "$T"
expect .os.id debian
expect .os.version_id 12
expect .kernel.release 6.1.0-40-amd64
expect .memory.total_bytes $((8131776 * 1024))
expect '.gpus | type' array
expect '.gpus | length' 0
expect .gpu_memory.usable_bytes null
expect .gpu_memory.gpu null
lacks iommu-on kernel-old gtt-default kfd-missing carveout-large
# Only with no runtime GPU either (this machine's HIP is not hidden).
if [ "$(jqv "$J" '(.rocm.devices // []) | length')" = 0 ]; then
    has no-gpu
    expect .recommendation.backend cpu
fi
doctor_agrees "$T"
t_end

t_begin "no-gpu: the inspect table"
host_run "$T" inspect
assert_rc 0
assert_contains "$out" "Debian GNU/Linux 12 (bookworm), kernel 6.1.0-40-amd64"
assert_contains "$out" "0 found"
assert_contains "$out" "GPU memory unknown"
t_end

t_begin "no-gpu with a platform framebuffer (simpledrm): still no GPU"
V=$(tree no-gpu)
mkdir -p "$V/sys/devices/platform/simple-framebuffer.0/drm/card0" "$V/sys/class/drm"
echo 226:0 >"$V/sys/devices/platform/simple-framebuffer.0/drm/card0/dev"
ln -s ../../../simple-framebuffer.0 "$V/sys/devices/platform/simple-framebuffer.0/drm/card0/device"
ln -s ../../devices/platform/simple-framebuffer.0/drm/card0 "$V/sys/class/drm/card0"
inspect "$V"
expect '.gpus | length' 0
t_end
