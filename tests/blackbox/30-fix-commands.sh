# The fixes doctor prints for Debian and Ubuntu are sed commands on
# /etc/default/grub: run them (without sudo and update-grub) on a copy and
# check the kernel line they leave. A fix that does not do what it says is
# worse than none.

cat >"$TMP/facts.json" <<'JSON'
{"os": {"id": "ubuntu"},
 "kernel": {"release": "6.14.0-1014-oem",
  "cmdline": "BOOT_IMAGE=/boot/vmlinuz ro quiet splash amdgpu.gtt_size=122880 amd_iommu=pt amdgpu.gttsize=65536",
  "params": {"BOOT_IMAGE": "/boot/vmlinuz", "ro": "", "quiet": "", "splash": "",
   "amdgpu.gtt_size": "122880", "amd_iommu": "pt", "amdgpu.gttsize": "65536"},
  "ttm_pages_limit": 16313192},
 "memory": {"total_bytes": 133637668864, "page_size": 4096},
 "gpus": [{"vendor_id": "0x1002", "device_id": "0x1586", "vram_bytes": 1073741824,
   "gtt_bytes": 128849018880}]}
JSON

grub_default='GRUB_DEFAULT=0
GRUB_CMDLINE_LINUX_DEFAULT="quiet splash amdgpu.gtt_size=122880 amd_iommu=pt amdgpu.gttsize=65536"
GRUB_CMDLINE_LINUX=""'

# apply_fix ID: runs that finding's fix on a fresh copy, prints the copy.
apply_fix() {
    printf '%s\n' "$grub_default" >"$TMP/grub"
    local fix
    fix=$(jqv "$out" ".findings[] | select(.id == \"$1\") | .fix")
    case $fix in
    "sudo sed -i "*" /etc/default/grub && sudo update-grub, then reboot") ;;
    *) t_fail "$1: fix is not the Debian form: $fix"; return ;;
    esac
    fix=${fix#sudo }
    fix=${fix% /etc/default/grub && sudo update-grub, then reboot}
    eval "$fix \"\$TMP/grub\"" || t_fail "$1: the sed command failed"
    grep '^GRUB_CMDLINE_LINUX_DEFAULT=' "$TMP/grub"
}

t_begin "debian fixes: the doctor's findings for this line"
run "$HALOBOX" doctor --json --facts "$TMP/facts.json"
assert_rc 0
for id in param-unknown iommu-on gttsize-deprecated gtt-default ttm-mismatch; do
    assert_eq "$(jqv "$out" "[.findings[] | select(.id == \"$id\")] | length")" 1 "$id present"
done
t_end

t_begin "debian fix for param-unknown removes the ignored parameters only"
line=$(apply_fix param-unknown)
assert_not_contains "$line" "gtt_size"
assert_not_contains "$line" "amd_iommu=pt"
assert_contains "$line" '"quiet splash amdgpu.gttsize=65536"'
t_end

t_begin "debian fix for iommu-on replaces amd_iommu=pt by amd_iommu=off"
line=$(apply_fix iommu-on)
assert_contains "$line" "amd_iommu=off"
assert_not_contains "$line" "amd_iommu=pt"
[ "$(printf '%s' "$line" | grep -o 'amd_iommu=' | wc -l)" = 1 ] || t_fail "amd_iommu twice: $line"
t_end

t_begin "debian fix for gttsize-deprecated swaps amdgpu.gttsize for ttm.pages_limit"
line=$(apply_fix gttsize-deprecated)
assert_not_contains "$line" "amdgpu.gttsize"
# 65536 MiB = 16777216 pages of 4 KiB
assert_contains "$line" "ttm.pages_limit=16777216"
assert_contains "$line" "amdgpu.gtt_size=122880"
t_end

t_begin "debian fix for gtt-default sets the TTM limit to RAM less 4 GiB"
line=$(apply_fix gtt-default)
# RAM 133637668864 B = 124.46 GiB; less 4 GiB, whole GiB: 120 GiB = 31457280 pages
assert_contains "$line" "ttm.pages_limit=31457280"
t_end

t_begin "fedora form: grubby with the same arguments"
sed 's/"id": "ubuntu"/"id": "fedora"/' "$TMP/facts.json" >"$TMP/fedora.json"
run "$HALOBOX" doctor --json --facts "$TMP/fedora.json"
assert_eq "$(jqv "$out" '.findings[] | select(.id == "iommu-on") | .fix')" \
    "sudo grubby --update-kernel=ALL --remove-args='amd_iommu' --args='amd_iommu=off', then reboot"
t_end
