# `halobox images pull` against a real registry: Distribution's registry
# (Debian's docker-registry) on 127.0.0.1, fed with images built here the
# way the images workflow pushes them (REPO:RECIPE-ENGINEVERSION). The pull
# side uses its own podman storage (CONTAINERS_STORAGE_CONF), so it starts
# with no halobox image at all, as a new host does, and the images built by
# the other tests are left alone.

. "$TOP/tests/blackbox/engine.sh"

REGISTRY_BIN=$(command -v docker-registry || command -v registry || true)

# A port nobody listens on (bound, then closed).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

REG_PID=""
start_registry() { # PORT
    mkdir -p "$TMP/registry"
    cat >"$TMP/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $TMP/registry/data
http:
  addr: 127.0.0.1:$1
EOF
    "$REGISTRY_BIN" serve "$TMP/registry/config.yml" >"$TMP/registry/log" 2>&1 &
    REG_PID=$!
    local i
    for i in $(seq 1 50); do
        curl -fs "http://127.0.0.1:$1/v2/" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

stop_registry() {
    [ -n "$REG_PID" ] || return 0
    kill "$REG_PID" 2>/dev/null
    wait "$REG_PID" 2>/dev/null
    REG_PID=""
}

# A fresh, empty podman storage for the pulling host.
new_storage() { # NAME
    local d="$TMP/storage-$1"
    mkdir -p "$d"
    printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/graph"\nrunroot = "%s/run"\n' "$d" "$d" \
        >"$d/storage.conf"
    printf '%s\n' "$d/storage.conf"
}

podman_setup
why=""
if [ "$PODMAN_OK" != yes ]; then
    why=$PODMAN_OK
elif [ -z "$REGISTRY_BIN" ]; then
    why="no registry program (Debian: docker-registry; Fedora: docker-distribution; scripts/install-deps --test)"
elif ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
    why="python3 and curl are needed"
elif ! CPU=$(ensure_image cpu) || ! VK=$(ensure_image vulkan-radv); then
    why=$IMAGE_ERR
fi

PORT=""
if [ -z "$why" ]; then
    PORT=$(free_port)
    if start_registry "$PORT"; then
        REPO="127.0.0.1:$PORT/halobox"
        # The registry speaks plain HTTP on loopback: podman is told so
        # through its own configuration, as a user of a local mirror would.
        printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$PORT" \
            >"$TMP/registries.conf"
        export CONTAINERS_REGISTRIES_CONF="$TMP/registries.conf"
        VERSION=${CPU##*:}
        podman push -q "$CPU" "$REPO:cpu-$VERSION" >/dev/null 2>"$TMP/push.err" ||
            why="podman push to the test registry failed: $(head -c 300 "$TMP/push.err")"
    else
        why="the registry did not start: $(head -c 300 "$TMP/registry/log")"
    fi
fi

t_begin "images pull: without a registry it says how to name one (exit 2); bad names"
run env -u HALOBOX_REGISTRY "$HALOBOX" images pull cpu
assert_rc 2
assert_one_line_error
assert_contains "$err" "no registry: give --from REPO or set HALOBOX_REGISTRY"
for repo in "ghcr.io/Owner/halobox" "ghcr.io/owner/halobox:cpu" "halobox" "ghcr.io//x" "/x/y"; do
    run "$HALOBOX" images pull cpu --from "$repo"
    [ "$rc" = 2 ] || t_fail "--from '$repo': exit status $rc, expected 2"
    assert_one_line_error
done
run "$HALOBOX" images pull nosuch --from ghcr.io/owner/halobox
assert_rc 3
assert_contains "$err" "no recipe 'nosuch'"
run "$HALOBOX" images pull --from ghcr.io/owner/halobox
assert_rc 2
run "$HALOBOX" images pull cpu --all --from ghcr.io/owner/halobox
assert_rc 2
t_end

t_begin "images pull --dry-run: the podman commands, shell-quoted, for every recipe"
run env HALOBOX_REGISTRY=ghcr.io/owner/halobox HALOBOX_PODMAN=/bin/true "$HALOBOX" images pull --all --dry-run
assert_rc 0
for r in cpu rocm-debian rocm-gfx1151 vulkan-radv vulkan-upstream; do
    v=$(jq -r .engine.version "$TOP/recipes/$r.json")
    assert_contains "$out" "/bin/true pull ghcr.io/owner/halobox:$r-$v"
    assert_contains "$out" "/bin/true tag ghcr.io/owner/halobox:$r-$v localhost/halobox/$r:$v"
done
assert_eq "$(printf '%s\n' "$out" | wc -l)" 15 "lines"
t_end

t_begin "images pull: a new host gets the cpu image from the registry, tagged as build tags it"
if [ -n "$why" ]; then
    t_notrun "$why"
else
    export CONTAINERS_STORAGE_CONF
    CONTAINERS_STORAGE_CONF=$(new_storage fresh)
    [ -z "$(podman images -q)" ] || t_fail "the fresh storage is not empty"
    run "$HALOBOX" images pull cpu --from "$REPO"
    assert_rc 0
    assert_eq "$(printf '%s\n' "$out" | tail -n 1 | cut -d' ' -f1-2)" "pulled $CPU"
    assert_contains "$err" "pulling $REPO:cpu-$VERSION for recipe cpu"
    assert_contains "$err" "Copying blob" # podman's progress, on stderr
    # The same image as the one pushed, under its halobox name only.
    assert_eq "$(podman image inspect --format '{{.Id}}' "$CPU")" \
        "$(env -u CONTAINERS_STORAGE_CONF podman image inspect --format '{{.Id}}' "$CPU")" "image id"
    assert_eq "$(podman images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" "$CPU " "names"
    run "$HALOBOX" images --json
    assert_eq "$(printf '%s' "$out" | jq -r '.[] | [.recipe, .tag, .stale] | join(" ")')" \
        "cpu $CPU false" "images --json"
    # Pulled again with the registry gone: the image is current, nothing
    # is fetched.
    stop_registry
    run "$HALOBOX" images pull cpu --from "$REPO"
    assert_rc 0
    assert_eq "$(printf '%s\n' "$out" | tail -n 1 | cut -d' ' -f1-2)" "up-to-date $CPU"
    # --force does go to the registry, which is not there: exit 4, one line
    # of ours after podman's own message, the image still here.
    run "$HALOBOX" images pull cpu --from "$REPO" --force
    assert_rc 4
    assert_contains "$(printf '%s\n' "$err" | tail -n 1)" "halobox: podman pull $REPO:cpu-$VERSION failed"
    podman image exists "$CPU" || t_fail "the image went away"
    start_registry "$PORT" || t_fail "registry restart"
fi
t_end

t_begin "images pull: the pulled image runs the engine (a real completion)"
if [ -n "$why" ]; then
    t_notrun "$why"
else
    export HALOBOX_STORE="$TMP/store"
    "$HALOBOX" models synth --preset tiny --name tiny51 -q >/dev/null 2>&1 || t_fail "synth"
    run "$HALOBOX" run tiny51 "Hello" --recipe cpu --quiet -- -n 8 --seed 1
    assert_rc 0
    [ -n "$out" ] || t_fail "no completion printed"
    assert_eq "$(podman ps -a -q | wc -l)" 0 "containers left"
fi
t_end

t_begin "run --pull: a host without the image pulls it, then answers the prompt"
if [ -n "$why" ]; then
    t_notrun "$why"
else
    CONTAINERS_STORAGE_CONF=$(new_storage runpull)
    run env HALOBOX_REGISTRY="$REPO" "$HALOBOX" run tiny51 "Hello" --recipe cpu --pull -- -n 8 --seed 1
    assert_rc 0
    assert_contains "$err" "pulling $CPU (--pull)"
    assert_contains "$err" "pulled $CPU"
    [ -n "$out" ] || t_fail "no completion printed"
    podman image exists "$CPU" || t_fail "not pulled"
    # Without --pull or --build, the error names both ways.
    CONTAINERS_STORAGE_CONF=$(new_storage runnone)
    run env HALOBOX_REGISTRY="$REPO" "$HALOBOX" run tiny51 "Hello" --recipe cpu -q
    assert_rc 4
    assert_one_line_error
    assert_contains "$err" "or take it prebuilt with 'halobox images pull cpu' (or add --pull)"
fi
t_end

t_begin "images pull: an image that claims another recipe is removed again (exit 3)"
if [ -n "$why" ]; then
    t_notrun "$why"
else
    # The Vulkan image pushed under the cpu tag, as a mix-up or a tampered
    # registry would serve it.
    env -u CONTAINERS_STORAGE_CONF podman push -q "$VK" "$REPO:cpu-$VERSION" >/dev/null \
        2>"$TMP/push.err" || t_fail "push: $(head -c 300 "$TMP/push.err")"
    CONTAINERS_STORAGE_CONF=$(new_storage wrong)
    run "$HALOBOX" images pull cpu --from "$REPO"
    assert_rc 3
    assert_contains "$(printf '%s\n' "$err" | tail -n 1)" \
        "halobox: $REPO:cpu-$VERSION is not the image of recipe cpu: halobox.recipe is 'vulkan-radv', not 'cpu', halobox.backend is 'vulkan', not 'cpu'; removed it"
    assert_eq "$(podman images -q | wc -l)" 0 "images left"
    # run --pull with that image on offer: refused, nothing started.
    run env HALOBOX_REGISTRY="$REPO" "$HALOBOX" run tiny51 "Hello" --recipe cpu --pull
    assert_rc 4
    assert_contains "$err" "is not the image of recipe cpu"
    assert_contains "$(printf '%s\n' "$err" | tail -n 1)" "halobox: pulling the image of recipe 'cpu' failed"
    assert_eq "$(podman ps -a -q | wc -l)" 0 "containers"
    # A tag the registry does not have: podman's error, then ours, exit 4.
    run "$HALOBOX" images pull vulkan-upstream --from "$REPO"
    assert_rc 4
    assert_contains "$err" "podman pull $REPO:vulkan-upstream-"
    assert_eq "$(podman images -q | wc -l)" 0 "images left"
fi
t_end

unset CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF
stop_registry
