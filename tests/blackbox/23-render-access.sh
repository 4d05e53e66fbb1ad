# Device access: a copy of the strix-halo-tuned fixture tree whose
# /dev/dri/renderD128 and /dev/kfd are mode 0600, owned by root (plain files
# standing in for the device nodes; access() decides the same way). Run as
# an unprivileged user (uid 65534, no groups) through setpriv, doctor must
# report render-no-access (an error: exit 1) and kfd-no-access; run as root
# on the same tree, neither.

HOSTS="$TOP/tests/fixtures/hosts"

# why_not: prints why the unprivileged run cannot happen here, or nothing.
why_not() {
    if [ "$(id -u)" != 0 ]; then
        echo "needs root to create root-owned 0600 device files and switch to uid 65534"
    elif ! command -v setpriv >/dev/null 2>&1; then
        echo "setpriv is not installed"
    elif ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HALOBOX" 2>/dev/null; then
        echo "uid 65534 cannot run $HALOBOX (a directory on its path is closed)"
    fi
}
SKIP=$(why_not)

# A world-traversable copy: uid 65534 must reach the tree, not the devices.
chmod 711 "$TMP"
mkdir -p "$TMP/world"
chmod 755 "$TMP/world"
T="$TMP/world/strix-halo-tuned"
cp -a "$HOSTS/strix-halo-tuned" "$T"
chmod -R a+rX "$T"
if [ -z "$SKIP" ]; then
    chown 0:0 "$T/dev/dri/renderD128" "$T/dev/kfd"
fi
chmod 0600 "$T/dev/dri/renderD128" "$T/dev/kfd"

as_nobody() { # ARGS...
    run setpriv --reuid=65534 --regid=65534 --clear-groups \
        env -u HSA_OVERRIDE_GFX_VERSION HOME=/nonexistent HALOBOX_SYSROOT="$T" \
        VK_DRIVER_FILES=/nonexistent.json VK_ICD_FILENAMES=/nonexistent.json "$HALOBOX" "$@"
}

as_me() { # ARGS...
    run env -u HSA_OVERRIDE_GFX_VERSION HALOBOX_SYSROOT="$T" \
        VK_DRIVER_FILES=/nonexistent.json VK_ICD_FILENAMES=/nonexistent.json "$HALOBOX" "$@"
}

count() { # ID : how many findings with this id in $out
    jqv "$out" "[.findings[] | select(.id == \"$1\")] | length"
}

t_begin "render access: as uid 65534, doctor reports render-no-access (error, exit 1)"
if [ -n "$SKIP" ]; then
    t_notrun "$SKIP"
else
    as_nobody doctor --json
    assert_rc 1
    assert_clean_stderr
    assert_eq "$(count render-no-access)" 1 "render-no-access findings"
    assert_eq "$(jqv "$out" '.findings[] | select(.id == "render-no-access") | .severity')" error \
        "render-no-access severity"
    assert_contains "$(jqv "$out" '.findings[] | select(.id == "render-no-access") | .message')" \
        /dev/dri/renderD128
    assert_contains "$(jqv "$out" '.findings[] | select(.id == "render-no-access") | .fix')" render
    t_end
fi

t_begin "render access: as uid 65534, doctor reports kfd-no-access"
if [ -n "$SKIP" ]; then
    t_notrun "$SKIP"
else
    as_nobody doctor --json
    assert_eq "$(count kfd-no-access)" 1 "kfd-no-access findings"
    assert_eq "$(count kfd-missing)" 0 "kfd-missing findings"
    t_end
fi

t_begin "render access: as uid 65534, inspect shows the facts behind it"
if [ -n "$SKIP" ]; then
    t_notrun "$SKIP"
else
    as_nobody inspect --json
    assert_rc 0
    assert_clean_stderr
    assert_eq "$(jqv "$out" .user.uid)" 65534 "user.uid"
    assert_eq "$(jqv "$out" '.gpus[0].render_node')" /dev/dri/renderD128 "render_node"
    assert_eq "$(jqv "$out" '.gpus[0].render_access')" false "render_access"
    assert_eq "$(jqv "$out" .rocm.kfd.present)" true "kfd.present"
    assert_eq "$(jqv "$out" .rocm.kfd.access)" false "kfd.access"
    as_nobody inspect
    assert_rc 0
    assert_contains "$out" "/dev/dri/renderD128 (no access)"
    assert_contains "$out" "KFD present, no access"
    t_end
fi

t_begin "render access: as root, the same tree reports neither"
if [ "$(id -u)" != 0 ]; then
    t_notrun "not running as root"
else
    as_me doctor --json
    assert_clean_stderr
    assert_eq "$(count render-no-access)" 0 "render-no-access findings"
    assert_eq "$(count kfd-no-access)" 0 "kfd-no-access findings"
    if [ "$(jqv "$out" '[.findings[] | select(.severity == "error")] | length')" -gt 0 ]; then
        assert_rc 1
    else
        assert_rc 0
    fi
    as_me inspect --json
    assert_eq "$(jqv "$out" '.gpus[0].render_access')" true "render_access as root"
    assert_eq "$(jqv "$out" .rocm.kfd.access)" true "kfd.access as root"
    t_end
fi
