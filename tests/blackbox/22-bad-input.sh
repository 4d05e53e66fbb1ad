# Bad input must never crash halobox, nor be taken for a value.
#  - Host files (through HALOBOX_SYSROOT, on copies of the strix-halo-tuned
#    fixture tree): empty, binary, truncated, huge, missing or unreadable
#    files give exit 0, valid JSON and the affected value null (unknown),
#    never 0, "" or junk, and a finding never rests on them.
#  - Facts files (--facts): anything malformed gives exit 3, nothing on
#    stdout and exactly one line on stderr naming the file (and the field).
#  - Usage errors give exit 2 and one line on stderr.

HOSTS="$TOP/tests/fixtures/hosts"
GPU_DIR="sys/devices/pci0000:00/0000:00:08.1/0000:c2:00.0"
KFD_NODE="sys/devices/virtual/kfd/kfd/topology/nodes/1"

fresh_tree() { # -> path of a new copy of strix-halo-tuned
    local dst="$TMP/trees/t.$RANDOM$RANDOM"
    mkdir -p "$TMP/trees"
    cp -a "$HOSTS/strix-halo-tuned" "$dst" && printf '%s' "$dst"
}

host_run() { # TREE ARGS...
    local root=$1
    shift
    run env -u HSA_OVERRIDE_GFX_VERSION HALOBOX_SYSROOT="$root" \
        VK_DRIVER_FILES=/nonexistent.json VK_ICD_FILENAMES=/nonexistent.json "$HALOBOX" "$@"
}

# json_valid TEXT WHAT: one JSON object, in UTF-8 (RFC 8259).
json_valid() {
    printf '%s' "$1" | jq -e . >/dev/null 2>&1 || {
        t_fail "$2: stdout is not JSON: $(printf '%s' "$1" | head -c 200)"
        return
    }
    if command -v iconv >/dev/null 2>&1; then
        printf '%s' "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 ||
            t_fail "$2: stdout is not valid UTF-8 JSON"
    fi
}

# survive TREE: doctor and inspect run cleanly; inspect's JSON is left in $J.
survive() {
    host_run "$1" doctor --json
    assert_clean_stderr
    case $rc in 0 | 1) ;; *) t_fail "doctor exited $rc: $(printf '%s' "$err" | head -c 300)" ;; esac
    json_valid "$out" doctor
    host_run "$1" inspect --json
    assert_rc 0
    assert_clean_stderr
    json_valid "$out" inspect
    J=$out
    # The text table must survive too.
    host_run "$1" inspect
    assert_rc 0
    assert_clean_stderr
}

expect() { # FILTER VALUE
    assert_eq "$(jqv "$J" "$1")" "$2" "$1"
}

lacks() { # ID...
    local id
    for id in "$@"; do
        [ "$(jqv "$J" "[.findings[] | select(.id == \"$id\")] | length")" = 0 ] ||
            t_fail "finding $id rests on a bad value: $(jqv "$J" ".findings[] | select(.id == \"$id\") | .message")"
    done
}

has() { # ID
    [ "$(jqv "$J" "[.findings[] | select(.id == \"$1\")] | length")" -ge 1 ] ||
        t_fail "finding $1 missing (found: $(jqv "$J" '[.findings[].id] | join(" ")'))"
}

# binary FILE: random bytes with NUL bytes in them.
binary() {
    { head -c 700 /dev/urandom; printf '\0\0'; head -c 300 /dev/urandom; printf '\0'; } >"$1"
}

mib_of() { # FILE CHAR: 1 MiB of CHAR
    head -c 1048576 /dev/zero | tr '\0' "$2" >"$1"
}

# ---- /proc/cmdline ---------------------------------------------------------

t_begin "bad host: /proc/cmdline empty -> command line unknown, no iommu-on"
# A kernel always ends /proc/cmdline with a newline; zero bytes is not a
# command line, so it proves nothing (e.g. that amd_iommu=off is missing).
T=$(fresh_tree)
: >"$T/proc/cmdline"
survive "$T"
expect .kernel.cmdline null
expect .kernel.params null
lacks iommu-on param-unknown
expect .gpus[0].family strix-halo
t_end

t_begin "bad host: /proc/cmdline binary -> command line unknown"
T=$(fresh_tree)
binary "$T/proc/cmdline"
survive "$T"
expect .kernel.cmdline null
expect .kernel.params null
lacks iommu-on
t_end

t_begin "bad host: /proc/cmdline truncated ('amd_iommu=of', no newline)"
# Readable text: the value is what it says, and it is not "off".
T=$(fresh_tree)
printf 'amd_iommu=of' >"$T/proc/cmdline"
survive "$T"
expect .kernel.cmdline amd_iommu=of
expect '.kernel.params | length' 1
expect .kernel.params.amd_iommu of
has param-unknown
has iommu-on
t_end

t_begin "bad host: /proc/cmdline of 1 MiB -> command line unknown"
T=$(fresh_tree)
mib_of "$T/proc/cmdline" a
survive "$T"
expect .kernel.cmdline null
expect .kernel.params null
lacks iommu-on param-unknown
t_end

# ---- mem_info_gtt_total ----------------------------------------------------

for kind in garbage empty 1MiB; do
    t_begin "bad host: mem_info_gtt_total $kind -> gtt_bytes unknown"
    T=$(fresh_tree)
    case $kind in
    garbage) echo garbage >"$T/$GPU_DIR/mem_info_gtt_total" ;;
    empty) : >"$T/$GPU_DIR/mem_info_gtt_total" ;;
    1MiB) mib_of "$T/$GPU_DIR/mem_info_gtt_total" 1 ;;
    esac
    survive "$T"
    expect '.gpus[0].gtt_bytes' null
    expect '.gpu_memory.gtt_bytes' null
    # The rest of the card is still read.
    expect '.gpus[0].vram_bytes' 536870912
    expect '.gpus[0].device_id' 0x1586
    # Without the GTT the TTM limit bounds the GPU: 512 MiB + 96 GiB.
    expect .gpu_memory.limited_by ttm
    expect .gpu_memory.usable_bytes 103616086016
    lacks ttm-mismatch
    t_end
done

# ---- KFD properties --------------------------------------------------------

t_begin "bad host: KFD properties binary -> gfx_target_version unknown"
T=$(fresh_tree)
binary "$T/$KFD_NODE/properties"
survive "$T"
expect '.gpus[0].gfx_target_version' null
expect '.gpus[0].simd_count' null
# gfx still follows from the PCI id.
expect '.gpus[0].gfx' gfx1151
t_end

t_begin "bad host: KFD properties with NUL bytes before valid lines -> not read"
# Binary junk is not a properties file even when kernel-like lines follow
# (the same rule as for sysfs values and /proc/cmdline).
T=$(fresh_tree)
{ printf 'junk\0junk\n'; cat "$HOSTS/strix-halo-tuned/$KFD_NODE/properties"; } >"$T/$KFD_NODE/properties"
survive "$T"
expect '.gpus[0].gfx_target_version' null
expect '.gpus[0].simd_count' null
expect '.gpus[0].gfx' gfx1151
t_end

# ---- /proc/meminfo -----------------------------------------------------------

t_begin "bad host: /proc/meminfo missing -> RAM unknown"
T=$(fresh_tree)
rm "$T/proc/meminfo"
survive "$T"
expect .memory.total_bytes null
expect .memory.available_bytes null
expect .gpu_memory.ram_bytes null
lacks gtt-default gtt-no-headroom
t_end

# ---- /etc/os-release ---------------------------------------------------------

t_begin "bad host: /etc/os-release is a directory -> OS unknown"
T=$(fresh_tree)
rm "$T/etc/os-release"
mkdir "$T/etc/os-release"
survive "$T"
expect .os.id null
expect .os.version_id null
expect .os.pretty_name null
t_end

t_begin "bad host: /etc/os-release unreadable (mode 000, run as nobody) -> OS unknown"
if ! command -v setpriv >/dev/null 2>&1; then
    t_notrun "setpriv is not installed"
elif ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HALOBOX" 2>/dev/null; then
    t_notrun "cannot run $HALOBOX as uid 65534 here (not root, or its directory is closed)"
else
    chmod 711 "$TMP"
    T=$(fresh_tree)
    chmod 755 "$TMP/trees"
    chmod -R a+rX "$T"
    chmod 000 "$T/etc/os-release"
    run setpriv --reuid=65534 --regid=65534 --clear-groups \
        env -u HSA_OVERRIDE_GFX_VERSION HOME=/nonexistent HALOBOX_SYSROOT="$T" \
        VK_DRIVER_FILES=/nonexistent.json "$HALOBOX" inspect --json
    assert_rc 0
    assert_clean_stderr
    json_valid "$out" inspect
    J=$out
    expect .user.uid 65534
    expect .os.id null
    expect .os.version_id null
    expect .os.pretty_name null
    # Everything else is still read.
    expect .kernel.release 7.1.3-100.fc43.x86_64
    expect '.gpus[0].family' strix-halo
    t_end
fi

# ---- /sys ------------------------------------------------------------------

t_begin "bad host: no /sys at all -> GPUs and TTM unknown, not 'no GPU'"
T=$(fresh_tree)
rm -rf "$T/sys"
survive "$T"
expect .gpus null
expect .kernel.ttm_pages_limit null
expect .kernel.ttm_module null
expect .gpu_memory.usable_bytes null
expect .containers.selinux null
lacks no-gpu gtt-default ttm-mismatch carveout-large
# The files outside /sys are still read.
expect .kernel.params.amd_iommu off
expect .memory.total_bytes $((131029824 * 1024))
t_end

# ---- facts files -------------------------------------------------------------

FX="$TMP/facts"
mkdir -p "$FX"
CAPTURE="$TOP/tests/fixtures/facts/rocm-issue-5595-gtt-ttm-mismatch.facts.json"

# bad_facts FILE [FIELD]: doctor and inspect refuse it with exit 3, say so in
# one line naming FILE (and FIELD), and print nothing on stdout.
bad_facts() {
    local cmd
    for cmd in doctor inspect; do
        run "$HALOBOX" "$cmd" --json --facts "$1"
        assert_rc 3
        assert_one_line_error
        assert_eq "$out" "" "$cmd stdout"
        assert_contains "$err" "$1"
        [ -z "${2:-}" ] || assert_contains "$err" "$2"
    done
    # Without --json too.
    run "$HALOBOX" doctor --facts "$1"
    assert_rc 3
    assert_eq "$out" "" "doctor (text) stdout"
}

t_begin "bad facts: not JSON"
echo 'this is not JSON' >"$FX/not-json.json"
bad_facts "$FX/not-json.json"
t_end

t_begin "bad facts: truncated JSON"
head -c 300 "$CAPTURE" >"$FX/truncated.json"
bad_facts "$FX/truncated.json"
t_end

t_begin "bad facts: a JSON array"
echo '[{"schema": "halobox.facts/1"}]' >"$FX/array.json"
bad_facts "$FX/array.json"
t_end

t_begin "bad facts: gpus is a string"
jq '.gpus = "x"' "$CAPTURE" >"$FX/gpus-string.json"
bad_facts "$FX/gpus-string.json" "gpus"
t_end

t_begin "bad facts: gpus[0].vram_bytes is \"lots\""
jq '.gpus[0].vram_bytes = "lots"' "$CAPTURE" >"$FX/vram-lots.json"
bad_facts "$FX/vram-lots.json" "gpus[0].vram_bytes"
t_end

t_begin "bad facts: kernel.params is 5"
jq '.kernel.params = 5' "$CAPTURE" >"$FX/params-5.json"
bad_facts "$FX/params-5.json" "kernel.params"
t_end

t_begin "bad facts: a negative byte count"
jq '.memory.total_bytes = -1' "$CAPTURE" >"$FX/negative.json"
bad_facts "$FX/negative.json" "memory.total_bytes"
t_end

t_begin "bad facts: a missing file"
bad_facts "$FX/no-such-file.json"
t_end

t_begin "bad facts: a directory"
mkdir -p "$FX/a-directory.json"
bad_facts "$FX/a-directory.json"
t_end

t_begin "bad facts: a 20 MB file"
{
    printf '{"schema": "halobox.facts/1", "os": {"id": "fedora"}'
    head -c 20000000 /dev/zero | tr '\0' ' '
    printf '}\n'
} >"$FX/huge.json"
bad_facts "$FX/huge.json"
t_end

t_begin "bad facts: JSON nested 100000 deep"
{
    printf '{"os": '
    head -c 100000 /dev/zero | tr '\0' '['
    head -c 100000 /dev/zero | tr '\0' ']'
    printf '}\n'
} >"$FX/deep.json"
bad_facts "$FX/deep.json"
t_end

# ---- usage -------------------------------------------------------------------

usage_error() { # ARGS...
    run "$HALOBOX" "$@"
    assert_rc 2
    assert_one_line_error
    assert_eq "$out" "" "stdout"
}

t_begin "usage: an unknown option"
usage_error inspect --no-such-option
usage_error doctor --no-such-option
t_end

t_begin "usage: --workload nonsense"
usage_error doctor --workload nonsense
usage_error inspect --json --workload nonsense
t_end

t_begin "usage: an extra argument"
usage_error doctor extra
usage_error inspect --json extra
t_end

t_begin "usage: an unknown command"
usage_error no-such-command
t_end

t_begin "usage: --facts without its file"
usage_error doctor --facts
t_end
