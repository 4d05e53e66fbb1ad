# halobox bench MODEL with real podman and the real engine: the cpu image
# and the vulkan-radv image on lavapipe, the tiny synthetic model; then the
# faults: an unknown recipe, an engine that crashes on one recipe (a podman
# wrapper that makes the vulkan-radv container exit 139, as on SIGSEGV) while the
# other recipe's results are kept. --dry-run needs no podman.

. "$TOP/tests/blackbox/engine.sh"
podman_setup

export HALOBOX_STORE="$TMP/store"
export HALOBOX_BENCH_DIR="$TMP/bench"
"$HALOBOX" models synth --preset tiny --name tiny -q >/dev/null 2>&1
SHA=$(jq -r ".files[0].sha256" "$TMP/store/refs/tiny.json" 2>/dev/null)

# bench_run ARGS...: runs bench, sets $run_id from the "run ID: STATUS" line.
bench_run() {
    run "$HALOBOX" bench "$@"
    run_id=$(printf '%s\n' "$out" | sed -n 's/^run \([^ ]*\): [a-z]*$/\1/p' | head -n 1)
}

t_begin "bench --dry-run: the podman command per recipe, llama-bench -o jsonl"
run "$HALOBOX" bench tiny --recipes cpu,vulkan-radv --dry-run -q -p 32 -n 4 --reps 1 --fa off
assert_rc 0
assert_eq "$err" "" "stderr with --quiet"
assert_eq "$(printf '%s\n' "$out" | wc -l)" 2 "lines (one per recipe)"
assert_contains "$out" "localhost/halobox/cpu:"
assert_contains "$out" "localhost/halobox/vulkan-radv:"
for w in llama-bench "-o jsonl" "-p 32" "-n 4" "-r 1" "-fa off"; do
    assert_contains "$out" " $w"
done
assert_not_contains "$out" "-o json "
[ -z "$(ls -A "$HALOBOX_BENCH_DIR" 2>/dev/null)" ] || t_fail "a dry run made a run file"
t_end

t_begin "bench: usage errors (exit 2)"
for args in "tiny --recipes nosuch" "tiny --recipes cpu --all-suitable" "tiny -p x" \
    "tiny --reps 0" "tiny --fa maybe" "tiny --env =x" "tiny other" "--bogus"; do
    # shellcheck disable=SC2086
    run "$HALOBOX" bench $args --dry-run
    [ "$rc" = 2 ] || t_fail "'bench $args': exit status $rc, expected 2 ($err)"
done
run "$HALOBOX" bench tiny --recipes nosuch --dry-run
assert_contains "$err" "no recipe named 'nosuch'"
run "$HALOBOX" bench tiny --help
assert_rc 0
assert_contains "$out" "usage: halobox bench MODEL"
t_end

t_begin "bench tiny on cpu and vulkan-radv (lavapipe): both kept, ls and show"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null || ! ensure_image vulkan-radv >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    bench_run tiny --recipes cpu,vulkan-radv --env GGML_VK_VISIBLE_DEVICES=0 -p 32 -n 4 --reps 1
    assert_rc 0
    assert_contains "$out" "run $run_id: complete"
    assert_contains "$out" "pp32"
    assert_contains "$out" "tg4"
    f="$HALOBOX_BENCH_DIR/$run_id.jsonl"
    [ -f "$f" ] || t_fail "no run file $f"
    for pair in cpu:CPU vulkan-radv:Vulkan; do
        n=$(jq -c "select(.type == \"result\" and .image.recipe == \"${pair%%:*}\" and
                   .engine.backends == \"${pair#*:}\" and .tokens_per_second.mean > 0)" "$f" 2>/dev/null | wc -l)
        [ "$n" = 2 ] || t_fail "recipe ${pair%%:*}: $n results with backend ${pair#*:} and avg_ts > 0"
    done
    shas=$(jq -r 'select(.type == "result") | .model.sha256' "$f" | sort -u)
    assert_eq "$shas" "$SHA" "the model's sha256"
    run "$HALOBOX" bench ls
    assert_rc 0
    assert_contains "$out" "$run_id"
    run "$HALOBOX" bench show "$run_id"
    assert_rc 0
    assert_contains "$out" "cpu complete"
    assert_contains "$out" "vulkan-radv complete"
    # The report's provenance is the run's: the images' digests and recipe
    # hashes as recorded, the model's sha256.
    run "$HALOBOX" bench report "$run_id" -o "$TMP/report.html"
    assert_rc 0
    page=$(cat "$TMP/report.html")
    for field in digest recipe_sha256; do
        for v in $(jq -r "select(.type == \"result\") | .image.$field" "$f" | sort -u); do
            assert_contains "$page" "<code>$v</code>"
        done
    done
    assert_contains "$page" "sha256: <code>$SHA</code>"
    assert_eq "$(grep -c '^<svg ' "$TMP/report.html")" 1 "charts (one depth: the bars only)"
    # llama-bench's stderr, kept beside the run, one section per recipe,
    # and carried by bench export.
    log="$HALOBOX_BENCH_DIR/$run_id.log"
    [ -f "$log" ] || t_fail "no engine log $log"
    assert_eq "$(grep '^== recipe ' "$log" 2>/dev/null | tr '\n' ' ')" "== recipe cpu == recipe vulkan-radv " "log sections"
    assert_contains "$(cat "$log" 2>/dev/null)" "ggml_vulkan: Found 1 Vulkan devices"
    run "$HALOBOX" bench export "$run_id" -o "$TMP/engine-run.tar.gz"
    assert_rc 0
    assert_contains "$out" "(1 with an engine log)"
    tar -xOzf "$TMP/engine-run.tar.gz" "engine-run/logs/$run_id.log" | cmp -s - "$log" ||
        t_fail "the bundle's log differs from the kept one"
    t_end
fi

t_begin "bench: an engine that crashes on one recipe is recorded as failed, the other kept"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null || ! ensure_image vulkan-radv >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    # A podman that runs the vulkan-radv container with a command that dies
    # with status 139, as a SIGSEGV would, instead of llama-bench (halobox
    # itself starts podman without a shell).
    real=$(command -v podman)
    cat >"$TMP/crashing-podman" <<EOF
#!/bin/bash
[ "\$1" = run ] || exec "$real" "\$@"
args=()
for a in "\$@"; do
    case "\$a" in
    localhost/halobox/vulkan-radv:*) args+=("\$a" sh -c 'exit 139'); exec "$real" "\${args[@]}" ;;
    *) args+=("\$a") ;;
    esac
done
exec "$real" "\$@"
EOF
    chmod +x "$TMP/crashing-podman"
    HALOBOX_PODMAN="$TMP/crashing-podman" bench_run tiny --recipes vulkan-radv,cpu -p 32 -n 4 --reps 1 -q
    assert_rc 4
    assert_contains "$out" "run $run_id: failed"
    assert_contains "$err" "recipe vulkan-radv failed: the engine exited with status 139"
    f="$HALOBOX_BENCH_DIR/$run_id.jsonl"
    n=$(jq -c 'select(.type == "result" and .image.recipe == "cpu" and .tokens_per_second.mean > 0)' "$f" | wc -l)
    assert_eq "$n" 2 "cpu results kept"
    run "$HALOBOX" bench show "$run_id"
    assert_contains "$out" "vulkan-radv failed: the engine exited with status 139"
    assert_contains "$out" "cpu complete"
    run "$HALOBOX" bench ls
    assert_contains "$out" "vulkan-radv:failed,cpu"
    run "$HALOBOX" bench report "$run_id" -o "$TMP/failed.html"
    assert_rc 0
    assert_contains "$(cat "$TMP/failed.html")" "recipe <b>vulkan-radv</b> failed: the engine exited with status 139"
    t_end
fi

t_begin "bench interrupted by SIGINT after its first result: results kept, run incomplete, no container"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    before=$(ls "$HALOBOX_BENCH_DIR" 2>/dev/null | wc -l)
    # Three tests: pp32 ends at once, tg4096 takes seconds, then pp64. The
    # signal goes to halobox alone (not podman's process group), as from
    # kill; halobox stops the container itself.
    "$HALOBOX" bench tiny --recipes cpu -p 32,64 -n 4096 --reps 2 >"$TMP/int.out" 2>"$TMP/int.err" &
    pid=$!
    rf=""
    for _ in $(seq 1 600); do
        if [ "$(ls "$HALOBOX_BENCH_DIR" 2>/dev/null | wc -l)" -gt "$before" ]; then
            rf=$(ls -t "$HALOBOX_BENCH_DIR"/*.jsonl | head -n 1)
            grep -q '"type":"result"' "$rf" 2>/dev/null && break
        fi
        sleep 0.1
    done
    running=$(podman ps --filter "name=halobox-bench-tiny-$pid-0" --format '{{.Names}}')
    assert_eq "$running" "halobox-bench-tiny-$pid-0" "the container while it runs"
    kill -INT "$pid"
    wait "$pid" && rc=0 || rc=$?
    out=$(cat "$TMP/int.out")
    err=$(cat "$TMP/int.err")
    assert_rc 130
    assert_contains "$err" "interrupted: stopping halobox-bench-tiny-$pid-0"
    run_id=$(basename "$rf" .jsonl)
    assert_contains "$out" "run $run_id: incomplete"
    assert_eq "$(head -n 1 "$rf" | jq -r '"\(.status) \(.recipes[0].status)"')" \
        "incomplete incomplete" "the run's and the recipe's status"
    tests=$(jq -r 'select(.type == "result") | .test.name' "$rf" | tr '\n' ' ')
    case "$tests" in
    "pp32 " | "pp32 pp64 ") ;;
    *) t_fail "kept results: '$tests', expected pp32 (and maybe pp64), not the interrupted tg4096" ;;
    esac
    assert_eq "$(jq -r 'select(.type == "result") | .tokens_per_second.samples | length' "$rf" | head -n 1)" 2 "samples of the kept result"
    run "$HALOBOX" bench ls
    assert_contains "$out" "$run_id"
    assert_contains "$out" "incomplete"
    run "$HALOBOX" bench show "$run_id"
    assert_rc 0
    assert_contains "$out" "pp32"
    left=$(podman ps -a --filter "name=halobox-bench-tiny-$pid-" --format '{{.Names}}')
    assert_eq "$left" "" "containers left"
    t_end
fi
