# `models fit` against the real engine: for the tiny, tiny-moe,
# llama-3.1-8b and qwen3-30b-a3b presets at two context sizes each, the
# total halobox computes (weights + KV cache + compute reserve) must be
# within 10 % of what llama-server itself says it allocates (its memory
# breakdown: model, context and compute buffers on every device and the
# host). llama-server projects this in a dry run before it loads the
# weights; the test stops it there, so the 18 GB model is never read.
# Also: llama-bench loads and runs the synthetic llama and qwen3moe models
# on lavapipe.

. "$TOP/tests/blackbox/engine.sh"
podman_setup

t_begin "engine: llama-bench runs the synthetic llama and qwen3moe models (Vulkan, lavapipe)"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! VK=$(ensure_image vulkan-radv); then
    t_notrun "$IMAGE_ERR"
else
    mkdir -p "$TMP/small"
    "$HALOBOX" models synth --preset tiny -o "$TMP/small/tiny.gguf" -q
    "$HALOBOX" models synth --preset tiny-moe -o "$TMP/small/moe.gguf" -q
    for m in tiny moe; do
        run podman run --rm -e GGML_VK_VISIBLE_DEVICES=0 -v "$TMP/small:/models:ro" "$VK" \
            llama-bench -m "/models/$m.gguf" -p 64 -n 8 -r 1 -o json
        assert_rc 0
        assert_eq "$(jqv "$out" '.[0].backends')" Vulkan "$m backend"
        assert_eq "$(jqv "$out" '[.[] | .avg_ts > 0] | all')" true "$m speeds"
    done
    assert_contains "$(jqv "$out" '.[0].model_type')" qwen3moe
    t_end
fi

# The dry-run projection, inside the container: one line per model and
# context with the MiB that llama-server's memory breakdown lists.
cat >"$TMP/project.sh" <<'SH'
#!/bin/sh
while read -r m c; do
    llama-server -m "/models/$m" -c "$c" -ngl 999 -fa on --host 127.0.0.1 --port 8080 -v \
        >/tmp/log 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 1200 ] && ! grep -q 'projected to use' /tmp/log; do sleep 0.1; i=$((i + 1)); done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    echo "== $m $c"
    grep 'common_memory_breakdown_print: |   - ' /tmp/log
done
SH
chmod +x "$TMP/project.sh"

t_begin "models fit is within 10 % of llama-server's own allocation, 4 presets x 2 contexts"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! VK=$(ensure_image vulkan-radv); then
    t_notrun "$IMAGE_ERR"
else
    mkdir -p "$TMP/models"
    for p in tiny tiny-moe llama-3.1-8b qwen3-30b-a3b; do
        "$HALOBOX" models synth --preset "$p" -o "$TMP/models/$p.gguf" -q ||
            t_fail "synth $p failed"
    done
    cat >"$TMP/models/cases" <<'CASES'
tiny.gguf 512
tiny.gguf 4096
tiny-moe.gguf 512
tiny-moe.gguf 4096
llama-3.1-8b.gguf 8192
llama-3.1-8b.gguf 32768
qwen3-30b-a3b.gguf 8192
qwen3-30b-a3b.gguf 40960
CASES
    cp "$TMP/project.sh" "$TMP/models/project.sh"
    podman run --rm -e GGML_VK_VISIBLE_DEVICES=0 -v "$TMP/models:/models:ro" "$VK" \
        sh -c '/models/project.sh </models/cases' >"$TMP/projection.txt" 2>&1 ||
        t_fail "the projection run failed: $(tail -n 3 "$TMP/projection.txt")"
    cases=0
    while read -r m c; do
        # "(4624 = 3992 + 512 + 120)" on a device row, "317 = 281 + 0 + 36"
        # on the host rows: the first number is what that row holds.
        engine=$(awk -v key="== $m $c" '
            $0 == key { on = 1; next }
            /^== / { on = 0 }
            on && /breakdown_print/ {
                line = $0
                if (match(line, /\( *[0-9]+ =/)) { s = substr(line, RSTART + 1); }
                else { n = split(line, parts, "|"); s = parts[3]; }
                gsub(/^ +/, "", s); split(s, w, " "); total += w[1]
            }
            END { print total + 0 }' "$TMP/projection.txt")
        ours=$("$HALOBOX" models fit "$TMP/models/$m" --ctx "$c" --json | jq '.total_bytes / 1048576')
        [ "$engine" -gt 0 ] 2>/dev/null || { t_fail "$m ctx $c: no projection from llama-server"; continue; }
        ok=$(awk -v a="$ours" -v b="$engine" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; print (d <= 0.10) ? "yes" : "no"; printf "%+.1f%%", 100 * (a - b) / b > "/dev/stderr" }' 2>"$TMP/diff")
        printf '# %s ctx %s: llama-server %s MiB, halobox %.0f MiB (%s)\n' "$m" "$c" "$engine" "$ours" "$(cat "$TMP/diff")"
        [ "$ok" = yes ] || t_fail "$m ctx $c: halobox says $ours MiB, llama-server $engine MiB"
        cases=$((cases + 1))
    done <"$TMP/models/cases"
    assert_eq "$cases" 8 "cases compared"
    rm -f "$TMP"/models/*.gguf
    t_end
fi
