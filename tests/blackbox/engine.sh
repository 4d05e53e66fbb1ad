# Shared by the black-box tests that run the real engine in podman (sourced,
# not a test file itself).
#
# podman_setup: writes the containers.conf this machine needs (runc, ulimits
# it may set; real hosts need none, and the launcher never writes one),
# makes the Debian sid base when it is missing, and sets PODMAN_OK to "yes"
# or to the reason podman cannot be used here (tests then t_notrun with it).
# The Debian mirror for builds: HALOBOX_TEST_MIRROR, else this Debian host's
# own mirror (machines without other network), else the recipes' pinned
# snapshot (machines with network, such as GitHub's runners).
#
# ensure_image RECIPE: the image for a recipe, built when missing; prints its
# tag, or fails with the reason in $IMAGE_ERR.

PODMAN_OK=""
MIRROR_ARGS=()
podman_setup() {
    command -v podman >/dev/null 2>&1 || { PODMAN_OK="podman is not installed"; return; }
    {
        echo '[containers]'
        echo 'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]'
        if command -v runc >/dev/null 2>&1; then
            echo '[engine]'
            echo 'runtime = "runc"'
        fi
    } >"$TMP/containers.conf"
    export CONTAINERS_CONF="$TMP/containers.conf"
    local info m
    info=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>&1) ||
        { PODMAN_OK="podman does not work here: $(printf '%s' "$info" | head -c 300)"; return; }
    if [ -n "${HALOBOX_TEST_MIRROR:-}" ]; then
        MIRROR_ARGS=(--mirror "$HALOBOX_TEST_MIRROR")
    elif grep -qx 'ID=debian' /etc/os-release 2>/dev/null &&
        m=$("$TOP/scripts/make-base" --print-mirror 2>/dev/null); then
        MIRROR_ARGS=(--mirror "$m")
    fi
    if ! podman image exists localhost/debian:sid; then
        local log
        log=$( (cd "$TOP" && make --no-print-directory base) 2>&1) ||
            { PODMAN_OK="make base failed: $(printf '%s' "$log" | tail -n 3)"; return; }
    fi
    podman run --rm localhost/debian:sid true 2>"$TMP/run.err" ||
        { PODMAN_OK="podman cannot run a container here: $(head -c 300 "$TMP/run.err")"; return; }
    PODMAN_OK=yes
}

IMAGE_ERR=""
ensure_image() {
    local tag
    tag=$(jq -r '"localhost/halobox/" + .name + ":" + .engine.version' "$TOP/recipes/$1.json")
    if ! podman image exists "$tag"; then
        local log
        log=$("$HALOBOX" build "$1" "${MIRROR_ARGS[@]}" 2>&1) ||
            { IMAGE_ERR="building $1 failed: $(printf '%s' "$log" | tail -n 3)"; return 1; }
    fi
    printf '%s\n' "$tag"
}
