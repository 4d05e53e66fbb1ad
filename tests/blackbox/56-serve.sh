# run, serve, ps, stop and logs with real podman and the real engine (the
# cpu image, and the vulkan-radv image on lavapipe), a synthetic model with a
# real tokenizer, every server on 127.0.0.1. Then the faults: an unknown
# model, a model that does not fit, podman missing, the image missing, a
# port in use, the engine failing while it loads, Ctrl-C while waiting;
# after each, no container of this test is left. Containers are found by
# this test's own model name, so other halobox containers on the machine
# are never touched.

. "$TOP/tests/blackbox/engine.sh"
podman_setup

export HALOBOX_STORE="$TMP/store"
M="tiny56-$$"
"$HALOBOX" models synth --preset tiny --name "$M" -q >/dev/null 2>&1
STORE_REAL=$(cd "$TMP/store" && pwd -P)

# This test's containers, running or not.
left() {
    podman ps -a --filter "label=halobox.model=$M" --format '{{.Names}}' 2>/dev/null
}
cleanup() {
    local c
    for c in $(left); do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
}
assert_none_left() {
    local l
    l=$(left)
    [ -z "$l" ] || t_fail "containers left behind: $l"
    cleanup
}
# POST JSON to the server; prints the response.
post() { # URL PATH JSON
    curl -s --noproxy '*' --max-time 120 -H 'Content-Type: application/json' -d "$3" "$1$2"
}

# ---- without podman ----------------------------------------------------------

t_begin "serve --dry-run: least privilege, store read-only, 127.0.0.1, shell-quoted"
run "$HALOBOX" serve "$M" --dry-run -q --port 8123
assert_rc 0
assert_clean_stderr
assert_eq "$err" "" "stderr with --quiet"
for w in --cap-drop=all --security-opt=no-new-privileges "--volume=$STORE_REAL:/models:ro" \
    --publish=127.0.0.1:8123:8123 --pull=never "--label=halobox.model=$M" --label=halobox.port=8123 \
    llama-server -fa; do
    assert_contains " $out " " $w "
done
assert_not_contains "$out" "--privileged"
# The line is a shell command: its words are podman's argv.
eval "set -- $out"
assert_eq "$1 $2" "podman run" "argv[0..1]"
run "$HALOBOX" run "$M" "it's a \"test\"" --dry-run -q --recipe vulkan-radv --env GGML_VK_VISIBLE_DEVICES=0 -- -n 4
assert_rc 0
eval "set -- $out"
found=no
while [ $# -gt 1 ]; do
    [ "$1" = -p ] && [ "$2" = "it's a \"test\"" ] && found=yes
    shift
done
assert_eq "$found" yes "the prompt as one argument"
assert_contains "$out" "--env=GGML_VK_VISIBLE_DEVICES=0"
assert_contains "$out" "--rm"
assert_contains "$out" "localhost/halobox/vulkan-radv:"
assert_contains "$out" " llama-completion "
assert_contains "$out" " -n 4"
t_end

t_begin "serve --dry-run: the recipe and its reasons on stderr, --host is noted"
run "$HALOBOX" serve "$M" --dry-run --host 0.0.0.0
assert_rc 0
assert_contains "$out" "--publish=0.0.0.0:8080:8080"
assert_contains "$err" "with recipe "
assert_contains "$err" "chose "
assert_contains "$err" "no authentication"
t_end

t_begin "an unknown model: exit 3 and the close names"
run "$HALOBOX" serve "tiny56" --dry-run
assert_rc 3
assert_one_line_error
assert_contains "$err" "no model named 'tiny56'"
assert_contains "$err" "did you mean '$M'"
run "$HALOBOX" run "$TMP/nope.gguf" hi
assert_rc 2
assert_contains "$err" "halobox models add"
t_end

# A host whose only GPU has 16 MiB: the 8 MB model plus its cache cannot fit.
cat >"$TMP/small-gpu.facts.json" <<'JSON'
{"schema": "halobox.facts/1",
 "memory": {"total_bytes": 17179869184, "page_size": 4096},
 "gpus": [{"vendor_id": "0x1002", "device_id": "0x744c", "driver": "amdgpu", "integrated": false,
           "vram_bytes": 16777216, "render_node": "/dev/dri/renderD128", "render_access": true}],
 "vulkan": {"devices": [{"name": "AMD Radeon RX 7900 XTX (RADV NAVI31)", "vendor_id": "0x1002",
                         "device_id": "0x744c", "type": "discrete", "driver": "radv"}]}}
JSON
sed 's/16777216/25165824/' "$TMP/small-gpu.facts.json" >"$TMP/24m-gpu.facts.json"

t_begin "a model that does not fit: exit 1 with the fix, --force plans it anyway"
run "$HALOBOX" serve "$M" --facts "$TMP/small-gpu.facts.json"
assert_rc 1
assert_one_line_error
assert_contains "$err" "'$M' does not fit"
assert_contains "$err" "smaller quantisation"
assert_contains "$err" "--force"
run "$HALOBOX" serve "$M" --facts "$TMP/24m-gpu.facts.json" --ctx 4096 -q
assert_rc 1
assert_contains "$err" "use --ctx 1792, --kv-type q8_0"
run "$HALOBOX" serve "$M" --facts "$TMP/24m-gpu.facts.json" --dry-run
assert_rc 0
assert_contains "$out" " -c 1792 "
assert_contains "$err" "the largest that fits"
run "$HALOBOX" serve "$M" --facts "$TMP/small-gpu.facts.json" --force --dry-run -q
assert_rc 0
assert_contains "$out" "--device=/dev/dri"
t_end

t_begin "podman missing: a clear error, nothing started"
run env HALOBOX_PODMAN=/nonexistent/podman "$HALOBOX" serve "$M" -q
assert_rc 4
assert_one_line_error
assert_contains "$err" "podman not found"
assert_contains "$err" "/nonexistent/podman"
run env PATH=/nonexistent "$HALOBOX" run "$M" hi -q
assert_rc 4
assert_one_line_error
assert_contains "$err" "podman not found in PATH"
t_end

t_begin "usage errors"
run "$HALOBOX" serve
assert_rc 2
run "$HALOBOX" serve "$M" --port 70000
assert_rc 2
assert_contains "$err" "--port takes"
run "$HALOBOX" serve "$M" --host example.org
assert_rc 2
run "$HALOBOX" serve "$M" --generate compose
assert_rc 2
run "$HALOBOX" run "$M" --env 1BAD=x
assert_rc 2
run "$HALOBOX" run "$M" </dev/null
assert_rc 2
assert_contains "$err" "give a PROMPT"
t_end

# ---- with podman -------------------------------------------------------------

t_begin "the image missing: says how to build it"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
else
    # The recipes as they are, but the cpu image at a tag nobody built.
    mkdir -p "$TMP/r"
    cp -r "$TOP/recipes" "$TOP/containers" "$TOP/engine" "$TOP/patches" "$TMP/r/"
    sed -i 's/"version": "b[0-9]*"/"version": "b0-missing"/' "$TMP/r/recipes/cpu.json"
    run env HALOBOX_RECIPES_DIR="$TMP/r/recipes" "$HALOBOX" serve "$M" -q --recipe cpu
    assert_rc 4
    assert_one_line_error
    assert_contains "$err" "localhost/halobox/cpu:b0-missing is not built"
    assert_contains "$err" "halobox build cpu"
    assert_none_left
    t_end
fi

t_begin "the image missing with --build: built from the recipe, then run"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    # The same recipes copy: its cpu image is missing, --build makes it
    # (podman's layer cache makes this quick once the real cpu image exists),
    # labelled from the copy, and the prompt is answered from it.
    missing=localhost/halobox/cpu:b0-missing
    podman rmi -f "$missing" >/dev/null 2>&1
    mirror_env=()
    [ ${#MIRROR_ARGS[@]} -eq 2 ] && mirror_env=(HALOBOX_MIRROR="${MIRROR_ARGS[1]}")
    run env HALOBOX_RECIPES_DIR="$TMP/r/recipes" "${mirror_env[@]}" "$HALOBOX" run "$M" "Hello" \
        --recipe cpu --build -- -n 8 --seed 1
    assert_rc 0
    assert_contains "$err" "building $missing (--build)"
    # Random weights: the tokens may be white space, but there are some
    # (the seed of the run test below, which does not sample end-of-text).
    [ -n "$out" ] || t_fail "no completion printed"
    label=$(podman image inspect --format '{{index .Labels "halobox.engine.version"}}' "$missing" 2>&1)
    [ "$label" = b0-missing ] || t_fail "built image labelled '$label', not b0-missing"
    # Built once: the next --build finds it and starts at once.
    run env HALOBOX_RECIPES_DIR="$TMP/r/recipes" "$HALOBOX" run "$M" "Hello" -q --recipe cpu \
        --build -- -n 2 --seed 1
    assert_rc 0
    assert_not_contains "$err" "building"
    podman rmi -f "$missing" >/dev/null 2>&1
    assert_none_left
    t_end
fi

t_begin "serve (cpu): detached on an auto port, completions, chat, ps, logs, port in use, stop"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    run "$HALOBOX" serve "$M" --port auto --detach --recipe cpu
    assert_rc 0
    url=$out
    case $url in http://127.0.0.1:[0-9]*/v1) ;; *) t_fail "not a base URL: $url" ;; esac
    port=${url#http://127.0.0.1:}
    port=${port%/v1}
    name="halobox-$M-$port"
    r=$(post "$url" /completions '{"prompt": "Hello", "max_tokens": 8}')
    assert_eq "$(jqv "$r" '.usage.completion_tokens > 0')" true "completion tokens"
    assert_eq "$(jqv "$r" '.choices[0].text | length > 0')" true "completion text"
    r=$(post "$url" /chat/completions '{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8}')
    assert_eq "$(jqv "$r" '.usage.completion_tokens > 0')" true "chat tokens"
    assert_eq "$(jqv "$r" '.choices[0].message.role')" assistant "chat role"
    r=$(curl -s --noproxy '*' "$url/models")
    assert_eq "$(jqv "$r" '.data[0].id')" "$M" "the model's alias"
    # Published on loopback only.
    ss -ltn | grep -q "127.0.0.1:$port " || t_fail "port $port is not on 127.0.0.1: $(ss -ltn | grep ":$port ")"
    ss -ltn | grep -q "0.0.0.0:$port " && t_fail "port $port is open on all addresses"
    run "$HALOBOX" ps --json
    assert_rc 0
    mine=$(printf '%s' "$out" | jq -c --arg m "$M" '[.[] | select(.model == $m)]')
    assert_eq "$(jqv "$mine" 'length')" 1 "ps entries"
    assert_eq "$(jqv "$mine" '.[0].name')" "$name" "ps name"
    assert_eq "$(jqv "$mine" '.[0].url')" "$url" "ps url"
    assert_eq "$(jqv "$mine" '.[0].state')" running "ps state"
    assert_eq "$(jqv "$mine" '.[0].recipe')" cpu "ps recipe"
    run "$HALOBOX" ps
    assert_contains "$out" "$name"
    run "$HALOBOX" logs "$name"
    assert_rc 0
    assert_contains "$out$err" "listening on"
    # The same port again: a clear error, and the first server unharmed.
    run "$HALOBOX" serve "$M" --port "$port" --detach --recipe cpu --name "other-$M" -q
    assert_rc 4
    assert_one_line_error
    assert_contains "$err" "port $port on 127.0.0.1 is in use"
    assert_contains "$err" "--port auto"
    assert_eq "$(curl -s --noproxy '*' "http://127.0.0.1:$port/health")" '{"status":"ok"}' "health"
    # The same name again: refused, and the container with it untouched.
    run "$HALOBOX" serve "$M" --port auto --detach --recipe cpu --name "$name" -q
    assert_rc 4
    assert_one_line_error
    assert_contains "$err" "a container named '$name' already exists"
    assert_eq "$(curl -s --noproxy '*' "http://127.0.0.1:$port/health")" '{"status":"ok"}' "health"
    run "$HALOBOX" stop "$name"
    assert_rc 0
    assert_eq "$out" "stopped $name" "stop output"
    assert_eq "$(left)" "" "containers after stop"
    run "$HALOBOX" stop "$name"
    assert_rc 3
    assert_contains "$err" "no halobox container '$name'"
    assert_none_left
    t_end
fi

t_begin "serve (vulkan-radv on lavapipe) with --env, and run MODEL PROMPT on both images"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image vulkan-radv >/dev/null || ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    run "$HALOBOX" serve "$M" --port auto --detach --recipe vulkan-radv --env GGML_VK_VISIBLE_DEVICES=0 -q
    assert_rc 0
    url=$out
    r=$(post "$url" /completions '{"prompt": "Hello", "max_tokens": 8}')
    assert_eq "$(jqv "$r" '.usage.completion_tokens')" 8 "vulkan completion tokens"
    r=$(post "$url" /chat/completions '{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8}')
    assert_eq "$(jqv "$r" '.usage.completion_tokens > 0')" true "vulkan chat tokens"
    name=$(podman ps --filter "label=halobox.model=$M" --format '{{.Names}}')
    env_in=$(podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$name")
    assert_contains "$env_in" "GGML_VK_VISIBLE_DEVICES=0"
    run "$HALOBOX" stop "$name"
    assert_rc 0
    assert_none_left
    for recipe in cpu vulkan-radv; do
        # a fixed sampling seed: random weights may otherwise pick end-of-text first
        run "$HALOBOX" run "$M" "Hello" -q --recipe "$recipe" --env GGML_VK_VISIBLE_DEVICES=0 -- -n 8 --seed 1
        assert_rc 0
        assert_clean_stderr
        [ -n "$(printf '%s' "$out" | tr -d '[:space:]')" ] || t_fail "run on $recipe printed no text"
        assert_none_left
    done
    t_end
fi

t_begin "the engine failing while it loads: exit status, its log, container removed"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    run "$HALOBOX" serve "$M" --port auto --detach --recipe cpu -q -- --bogus-flag
    assert_rc 4
    assert_contains "$err" "the engine exited with status 1 while loading '$M' (container removed)"
    assert_contains "$err" "--bogus-flag"
    assert_none_left
    run "$HALOBOX" run "$M" "Hello" --recipe cpu -q -- --bogus-flag
    assert_rc 4
    assert_contains "$err" "the engine exited with status 1"
    assert_contains "$err" "--bogus-flag"
    assert_none_left
    t_end
fi

t_begin "Ctrl-C while waiting for the model: stopped, removed, exit 130"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image vulkan-radv >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    # lavapipe compiles its shaders for seconds before the model is ready.
    "$HALOBOX" serve "$M" --port auto --detach --recipe vulkan-radv \
        --env GGML_VK_VISIBLE_DEVICES=0 >"$TMP/int.out" 2>"$TMP/int.err" &
    pid=$!
    i=0
    while [ $i -lt 300 ] && [ -z "$(podman ps --filter "label=halobox.model=$M" --format '{{.Names}}')" ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -INT "$pid"
    wait "$pid" && rc=0 || rc=$?
    assert_eq "$rc" 130 "exit status after SIGINT"
    assert_contains "$(cat "$TMP/int.err")" "interrupted"
    assert_eq "$(cat "$TMP/int.out")" "" "stdout (no URL)"
    assert_none_left
    t_end
fi

t_begin "serve in the foreground: ready, then Ctrl-C stops and removes it"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    "$HALOBOX" serve "$M" --port auto --recipe cpu -q >"$TMP/fg.out" 2>"$TMP/fg.err" &
    pid=$!
    i=0
    while [ $i -lt 600 ] && ! grep -q '/v1' "$TMP/fg.out"; do sleep 0.1; i=$((i + 1)); done
    url=$(cat "$TMP/fg.out")
    assert_eq "$(curl -s --noproxy '*' "${url%/v1}/health")" '{"status":"ok"}' "health"
    kill -INT "$pid"
    wait "$pid" && rc=0 || rc=$?
    assert_eq "$rc" 0 "exit status after Ctrl-C in the foreground"
    assert_none_left
    t_end
fi

t_begin "serve --generate quadlet: the same plan as a Quadlet unit"
run "$HALOBOX" serve "$M" --recipe vulkan-radv --env GGML_VK_VISIBLE_DEVICES=0 --port 8124 --generate quadlet -q
assert_rc 0
unit=$out
run "$HALOBOX" serve "$M" --recipe vulkan-radv --env GGML_VK_VISIBLE_DEVICES=0 --port 8124 --dry-run -q
dry=$out
for line in "[Container]" "ContainerName=halobox-$M-8124" "DropCapability=all" "NoNewPrivileges=true" \
    "Volume=$STORE_REAL:/models:ro" "PublishPort=127.0.0.1:8124:8124" "Environment=GGML_VK_VISIBLE_DEVICES=0" \
    "Label=halobox.model=$M" "WantedBy=default.target"; do
    printf '%s\n' "$unit" | grep -qxF -- "$line" || t_fail "no line '$line' in the unit"
done
printf '%s\n' "$unit" | grep -qx 'Image=localhost/halobox/vulkan-radv:b[0-9]*' || t_fail "no Image= line"
# Exec= holds the engine argv of the dry run, word for word.
exec_line=$(printf '%s\n' "$unit" | sed -n 's/^Exec=//p')
assert_contains "$dry" " $exec_line"
assert_not_contains "$unit" "--privileged"
t_end

# podman 4.3 here has no Quadlet generator: Debian sid's podman (5.x) in a
# test-only image reads the unit with `quadlet -dryrun`, as systemd would at
# daemon-reload, and prints the service it makes of it.
QUADLET=localhost/halobox-test/quadlet:1
t_begin "serve --generate quadlet: podman's own Quadlet generator accepts the unit"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! podman image exists "$QUADLET" &&
    ! podman build -q -t "$QUADLET" --build-arg MIRROR="${MIRROR_ARGS[1]:-http://deb.debian.org/debian}" \
        -f - "$TMP" >"$TMP/build.log" 2>&1 <<'CF'; then
FROM localhost/debian:sid
ARG MIRROR
RUN printf 'deb %s sid main\n' "$MIRROR" >/etc/apt/sources.list && rm -f /etc/apt/sources.list.d/* && \
    apt-get -o Acquire::Check-Valid-Until=false update -qq && \
    apt-get install -y -qq --no-install-recommends podman >/dev/null && rm -rf /var/lib/apt/lists/*
CF
    t_notrun "the Quadlet image did not build: $(tail -n 3 "$TMP/build.log")"
else
    mkdir -p "$TMP/units"
    printf '%s\n' "$unit" >"$TMP/units/halobox-$M-8124.container"
    podman run --rm -v "$TMP/units:/units:ro" -e QUADLET_UNIT_DIRS=/units "$QUADLET" \
        /usr/libexec/podman/quadlet -dryrun >"$TMP/q.out" 2>"$TMP/q.err" ||
        t_fail "quadlet rejected the unit: $(tail -n 3 "$TMP/q.err")"
    grep -i -E 'unsupported|error|warn' "$TMP/q.err" && t_fail "quadlet complained: $(cat "$TMP/q.err")"
    start=$(sed -n 's/^ExecStart=//p' "$TMP/q.out")
    for want in "--name halobox-$M-8124" "--cap-drop all" "--security-opt=no-new-privileges" \
        "-v $STORE_REAL:/models:ro" "--publish 127.0.0.1:8124:8124" "--env GGML_VK_VISIBLE_DEVICES=0" \
        "--label halobox.model=$M" "--pull=never"; do
        assert_contains "$start" " $want "
    done
    # The service runs the image with the dry run's engine argv, word for word.
    image=$(printf '%s\n' "$unit" | sed -n 's/^Image=//p')
    assert_contains "$start" " $image $exec_line"
    assert_not_contains "$start" "--privileged"
    t_end
fi

t_begin "serve --generate kube: podman kube play runs it, kube down removes it"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    run "$HALOBOX" serve "$M" --recipe cpu --port auto --generate kube -q
    assert_rc 0
    printf '%s\n' "$out" >"$TMP/pod.yaml"
    port=$(sed -n 's/^ *hostPort: //p' "$TMP/pod.yaml")
    assert_contains "$out" 'hostIP: "127.0.0.1"'
    assert_contains "$out" "imagePullPolicy: Never"
    if podman kube play "$TMP/pod.yaml" >"$TMP/play.out" 2>&1; then
        i=0
        while [ $i -lt 300 ] && ! curl -sf --noproxy '*' "http://127.0.0.1:$port/health" >/dev/null; do
            sleep 0.1
            i=$((i + 1))
        done
        assert_eq "$(curl -s --noproxy '*' "http://127.0.0.1:$port/health")" '{"status":"ok"}' "kube health"
        r=$(post "http://127.0.0.1:$port/v1" /completions '{"prompt": "Hello", "max_tokens": 4}')
        assert_eq "$(jqv "$r" '.usage.completion_tokens')" 4 "kube completion tokens"
        run "$HALOBOX" ps --json
        n=$(printf '%s' "$out" | jq --arg m "$M" '[.[] | select(.model == $m)] | length')
        assert_eq "$n" 1 "ps sees the pod's container"
        caps=$(podman inspect --format '{{.HostConfig.CapDrop}}' "halobox-$M-$port-engine")
        assert_contains "$caps" "CAP_SYS_CHROOT"
        podman kube down "$TMP/pod.yaml" >/dev/null 2>&1 || t_fail "podman kube down failed"
    else
        t_fail "podman kube play failed: $(tail -n 3 "$TMP/play.out")"
        podman kube down "$TMP/pod.yaml" >/dev/null 2>&1
    fi
    assert_none_left
    t_end
fi

cleanup
