# GGUF files from the peer implementations, read by halobox:
#  - files written by llama.cpp's own Python writer (Debian sid's
#    python3-gguf, in a test-only container): every metadata value type,
#    arrays, three alignments, F32/F16/Q8_0 tensors; `models inspect` must
#    read back exactly what it wrote;
#  - a real split model made by llama-gguf-split (in the vulkan-radv image):
#    read as one model, added with all its shards, and loaded by llama-bench
#    from the store, the way `run` will mount it.

. "$TOP/tests/blackbox/engine.sh"
podman_setup
PEER=localhost/halobox-test/gguf-py:1

t_begin "python3-gguf's files: every value type, array and alignment reads back exactly"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! podman image exists "$PEER" &&
    ! podman build -q -t "$PEER" --build-arg MIRROR="${MIRROR_ARGS[1]:-http://deb.debian.org/debian}" \
        -f - "$TMP" >"$TMP/build.log" 2>&1 <<'CF'; then
FROM localhost/debian:sid
ARG MIRROR
RUN printf 'deb %s sid main\n' "$MIRROR" >/etc/apt/sources.list && rm -f /etc/apt/sources.list.d/* && \
    apt-get -o Acquire::Check-Valid-Until=false update -qq && \
    apt-get install -y -qq --no-install-recommends python3-gguf >/dev/null && rm -rf /var/lib/apt/lists/*
CF
    t_notrun "the python3-gguf image did not build: $(tail -n 3 "$TMP/build.log")"
else
    mkdir -p "$TMP/peer"
    cp "$TOP/tests/helpers/gguf_peer_writer.py" "$TMP/peer/"
    podman run --rm -v "$TMP/peer:/w" "$PEER" python3 /w/gguf_peer_writer.py /w >"$TMP/expected.json" 2>"$TMP/py.err" ||
        t_fail "the peer writer failed: $(tail -n 3 "$TMP/py.err")"
    for f in peer-default peer-align64 peer-align4096; do
        run "$HALOBOX" models inspect "$TMP/peer/$f.gguf" --json
        assert_rc 0
        # every key the peer wrote, with its value
        diff=$(jq -n --argjson got "$out" --slurpfile exp "$TMP/expected.json" --arg f "$f.gguf" '
            $exp[0][$f].metadata | to_entries
            | map(select($got.metadata[.key] != .value)) | map(.key)')
        assert_eq "$diff" "[]" "$f: keys that differ"
        assert_eq "$(jqv "$out" '.metadata["t.arr_str"].type + " " + (.metadata["t.arr_str"].count | tostring)')" \
            "array[str] 3" "$f: string array"
        assert_eq "$(jqv "$out" '.summary.parameters')" \
            "$(jq -r --arg f "$f.gguf" '.[$f].n_params' "$TMP/expected.json")" "$f: parameters"
        assert_eq "$(jqv "$out" '.summary.tensors')" 3 "$f: tensors"
        assert_eq "$(jqv "$out" '[.summary.types | keys[]] | join(",")')" "F16,F32,Q8_0" "$f: types"
    done
    assert_eq "$(jqv "$out" '.alignment')" 4096 "alignment 4096"
    t_end
fi

t_begin "a real split model (llama-gguf-split): one model, all shards stored, llama-bench loads it"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! VK=$(ensure_image vulkan-radv); then
    t_notrun "$IMAGE_ERR"
else
    export HALOBOX_STORE="$TMP/store"
    mkdir -p "$TMP/split"
    "$HALOBOX" models synth --preset tiny -o "$TMP/split/whole.gguf" -q
    podman run --rm -v "$TMP/split:/w" "$VK" \
        llama-gguf-split --split --split-max-tensors 15 /w/whole.gguf /w/tiny >"$TMP/split.log" 2>&1 ||
        t_fail "llama-gguf-split failed: $(tail -n 3 "$TMP/split.log")"
    shards=$(ls "$TMP/split" | grep -c -- '-of-')
    [ "$shards" -ge 3 ] || t_fail "expected at least 3 shards, got $shards"
    run "$HALOBOX" models inspect "$TMP/split/tiny-00002-of-0000$shards.gguf" --json
    assert_rc 0
    assert_eq "$(jqv "$out" '.summary.shards')" "$shards" "shards"
    whole=$("$HALOBOX" models inspect "$TMP/split/whole.gguf" --json)
    assert_eq "$(jqv "$out" '.summary.parameters')" "$(jqv "$whole" '.summary.parameters')" "parameters"
    assert_eq "$(jqv "$out" '.summary.tensors')" "$(jqv "$whole" '.summary.tensors')" "tensors"
    run "$HALOBOX" models add "$TMP/split/tiny-00001-of-0000$shards.gguf" --name split
    assert_rc 0
    assert_eq "$(jq '.files | length' "$HALOBOX_STORE/refs/split.json")" "$shards" "files in the reference"
    run podman run --rm -e GGML_VK_VISIBLE_DEVICES=0 -v "$HALOBOX_STORE:/models:ro" "$VK" \
        llama-bench -m "/models/models/split/tiny-00001-of-0000$shards.gguf" -p 32 -n 4 -r 1 -o json
    assert_rc 0
    assert_eq "$(jqv "$out" '.[0].backends')" Vulkan "backend"
    assert_eq "$(jqv "$out" '.[0].model_n_params')" "$(jqv "$whole" '.summary.parameters')" "params seen by llama.cpp"
    t_end
fi
