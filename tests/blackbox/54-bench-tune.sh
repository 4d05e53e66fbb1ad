# halobox bench tune with real podman and the real engine on the tiny
# synthetic model: a sweep in the cpu image (ubatch x flash attention x KV
# type), whose decision is stored and shown by serve --dry-run (and not with
# --no-tune); a short sweep on lavapipe (vulkan-radv) that prints its tuned
# choice and margin or that the default won; a stored winner applied by run
# and serve, ignored where it does not apply, a malformed store file; and a
# sweep stopped by SIGTERM that stores nothing and keeps its results in an
# incomplete run. --dry-run and usage errors need no podman.

. "$TOP/tests/blackbox/engine.sh"
podman_setup

export HALOBOX_STORE="$TMP/store"
export HALOBOX_BENCH_DIR="$TMP/bench"
export HALOBOX_TUNE_DIR="$TMP/tuned"
"$HALOBOX" models synth --preset tiny --name tiny -q >/dev/null 2>&1
SHA=$(jq -r ".files[0].sha256" "$TMP/store/refs/tiny.json" 2>/dev/null)

t_begin "bench tune: usage errors (exit 2), --help"
for args in "tiny --workload sprint" "tiny --reps 1" "tiny --kv-types f16,q5_1" "tiny --ubatch 0" \
    "tiny --workload long-prefill -n 8" "tiny --depth 4096" "tiny -p x" "tiny other" "" \
    "tiny --bogus" "tiny --env =x"; do
    # shellcheck disable=SC2086
    run "$HALOBOX" bench tune $args --dry-run
    [ "$rc" = 2 ] || t_fail "'bench tune $args': exit status $rc, expected 2 ($err)"
done
run "$HALOBOX" bench tune tiny --reps 1 --dry-run
assert_contains "$err" "--reps takes a number from 2"
run "$HALOBOX" bench tune tiny --recipes nosuch --dry-run
assert_rc 2
assert_contains "$err" "no recipe named 'nosuch'"
run "$HALOBOX" bench tune --help
assert_rc 0
assert_contains "$out" "usage: halobox bench tune MODEL"
assert_contains "$out" "N / (P/pp + N/tg)"
run "$HALOBOX" serve tiny --workload sprint --dry-run
assert_rc 2
t_end

t_begin "bench tune --dry-run: a leg per KV type, -fa off,on only with f16, 512 always swept"
run "$HALOBOX" bench tune tiny --recipes cpu --ubatch 128 --kv-types f16,q8_0 -p 32 -n 8 --reps 2 \
    --dry-run -q
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | wc -l)" 2 "lines (one per KV type)"
f16=$(printf '%s\n' "$out" | sed -n 1p)
q8=$(printf '%s\n' "$out" | sed -n 2p)
for w in "-fa off,on" "-ub 128,512" "-ctk f16 -ctv f16" "-p 32" "-n 8" "-r 2" "-o jsonl"; do
    assert_contains "$f16" " $w"
done
for w in "-fa on" "-ub 128,512" "-ctk q8_0 -ctv q8_0"; do
    assert_contains "$q8" " $w"
done
assert_not_contains "$q8" "-fa off"
# The default's KV type is always swept too.
run "$HALOBOX" bench tune tiny --recipes cpu --kv-types q4_0 --dry-run -q
assert_eq "$(printf '%s\n' "$out" | wc -l)" 2 "lines (f16 added)"
assert_contains "$out" " -ctk f16 -ctv f16"
assert_contains "$out" " -ctk q4_0 -ctv q4_0"
run "$HALOBOX" bench tune tiny --recipes cpu --workload long-prefill -p 64 --depth 256 --dry-run -q
assert_rc 0
assert_contains "$out" " -p 64 -n 0 -d 256 "
[ -z "$(ls -A "$HALOBOX_TUNE_DIR" 2>/dev/null)" ] || t_fail "a dry run stored settings"
[ -z "$(ls -A "$HALOBOX_BENCH_DIR" 2>/dev/null)" ] || t_fail "a dry run made a run file"
t_end

t_begin "bench tune tiny on cpu: a real sweep, its decision stored, serve --dry-run uses it"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    run "$HALOBOX" bench tune tiny --recipes cpu -p 32 -n 8 --reps 3 --ubatch 128,512 \
        --kv-types f16,q8_0 --json
    assert_rc 0
    assert_clean_stderr
    json="$out"
    # 2 ubatch x (f16 with fa off and on, q8_0 with fa on): 6 configurations,
    # each with its pp32 and tg8, each scored.
    assert_eq "$(jqv "$json" '.candidates | length')" 6 "candidates"
    assert_eq "$(jqv "$json" '[.candidates[] | select(.score > 0 and .pp_ts > 0 and .tg_ts > 0 and .samples == 3)] | length')" 6 "scored candidates"
    assert_eq "$(jqv "$json" '[.candidates[] | select(.kv_type == "q8_0" and .flash_attn == "off")] | length')" 0 "q8_0 without flash attention"
    assert_eq "$(jqv "$json" '.candidates[0] | "\(.default) \(.recipe) \(.ubatch) \(.flash_attn) \(.kv_type)"')" "true cpu 512 on f16" "the default, first"
    # The chat score of the default, from its own pp and tg: N / (P/pp + N/tg).
    ok=$(jqv "$json" '.candidates[0] | (8 / (32 / .pp_ts + 8 / .tg_ts)) as $s | (($s - .score) | fabs) < 0.01 * $s')
    assert_eq "$ok" true "the default's score is n/(p/pp + n/tg)"
    won=$(jqv "$json" '.decision.default_won')
    if [ "$won" = false ]; then
        # A winner: beyond the noise and by at least 1 %.
        ok=$(jqv "$json" '.decision | (.fastest_score - .default_score) > .noise_threshold and .margin >= 0.01')
        assert_eq "$ok" true "the winner's margin exceeds the noise"
    fi
    stored=$(jqv "$json" '.stored')
    case "$stored" in "$HALOBOX_TUNE_DIR/$SHA."*".chat.json") ;; *) t_fail "stored at '$stored'" ;; esac
    [ -f "$stored" ] || t_fail "no stored file $stored"
    assert_eq "$(jq -c '.settings' "$stored")" "$(jqv "$json" '.decision.settings | tojson')" "stored settings"
    assert_eq "$(jq -r '.default_won' "$stored")" "$won" "stored default_won"
    assert_eq "$(jq -r '.engine_version' "$stored")" "b11669" "stored engine version"
    run_id=$(jqv "$json" '.run')
    rf="$HALOBOX_BENCH_DIR/$run_id.jsonl"
    assert_eq "$(head -n 1 "$rf" | jq -r '"\(.source) \(.status)"')" "tune complete" "the sweep's run"
    assert_eq "$(jq -c 'select(.type == "result" and .tokens_per_second.mean > 0)' "$rf" | wc -l)" 12 "results in the run"

    ub=$(jq -r '.settings.ubatch' "$stored")
    fa=$(jq -r '.settings.flash_attn' "$stored")
    kv=$(jq -r '.settings.kv_type' "$stored")
    run "$HALOBOX" serve tiny --dry-run
    assert_rc 0
    if [ "$won" = true ]; then
        assert_contains "$err" "note: bench tune (chat, run $run_id): the defaults won on this host"
        assert_not_contains "$out" " -ub "
        assert_contains "$out" " -fa on "
        echo "    (decision: $(jqv "$json" '.decision.reason'))"
    else
        assert_contains "$out" " -ub $ub -fa $fa "
        [ "$kv" = f16 ] || assert_contains "$out" " --cache-type-k $kv --cache-type-v $kv"
        assert_contains "$err" "note: tuned: chat with recipe cpu, -ub $ub -fa $fa"
        assert_contains "$err" "bench tune run $run_id, +"
        echo "    (tuned: $(jqv "$json" '.decision.reason'))"
    fi
    run "$HALOBOX" serve tiny --dry-run --no-tune
    assert_rc 0
    assert_not_contains "$out" " -ub "
    assert_not_contains "$err" "bench tune"
    assert_not_contains "$err" "tuned"
    # Nothing was tuned for long-prefill.
    run "$HALOBOX" run tiny hello --dry-run --workload long-prefill
    assert_rc 0
    assert_not_contains "$out" " -ub "
    assert_not_contains "$err" "bench tune"
    t_end
fi

t_begin "a stored winner: run and serve use it; --no-tune, --kv-type, another engine, a bad file"
stored=$(ls "$HALOBOX_TUNE_DIR"/*.chat.json 2>/dev/null | head -n 1)
if [ -z "$stored" ]; then
    t_notrun "no stored settings (the cpu sweep did not run)"
else
    # The sweep's own file with its decision turned into a winner, so this
    # path is checked whatever the noisy machine measured above.
    jq '.default_won = false | .margin = 0.05 |
        .settings = {"recipe": "cpu", "ubatch": 256, "flash_attn": "on", "kv_type": "q8_0"}' \
        "$stored" >"$TMP/won.json"
    cp "$TMP/won.json" "$stored"
    run "$HALOBOX" serve tiny --dry-run
    assert_rc 0
    assert_contains "$out" " -ub 256 -fa on "
    assert_contains "$out" " --cache-type-k q8_0 --cache-type-v q8_0"
    assert_contains "$err" "KV cache q8_0"
    assert_contains "$err" "+5.0 % over the defaults (--no-tune ignores it)"
    run "$HALOBOX" run tiny hello --dry-run -q
    assert_rc 0
    assert_contains "$out" "llama-completion"
    assert_contains "$out" " -ub 256 -fa on "
    run "$HALOBOX" serve tiny --dry-run --no-tune -q
    assert_not_contains "$out" " -ub "
    assert_not_contains "$out" "q8_0"
    run "$HALOBOX" serve tiny --dry-run --kv-type f16
    assert_rc 0
    assert_not_contains "$out" " -ub "
    assert_contains "$err" "use a q8_0 KV cache, --kv-type asks for f16: not used"
    run "$HALOBOX" serve tiny --dry-run --kv-type q8_0 -q
    assert_contains "$out" " -ub 256 -fa on "
    run "$HALOBOX" serve tiny --dry-run --recipe vulkan-radv
    assert_not_contains "$out" " -ub "
    assert_contains "$err" "are for recipe cpu, not vulkan-radv: not used"
    jq '.engine_version = "b9999"' "$TMP/won.json" >"$stored"
    run "$HALOBOX" serve tiny --dry-run
    assert_rc 0
    assert_not_contains "$out" " -ub "
    assert_contains "$err" "measured with engine b9999"
    jq '.settings.flash_attn = "off"' "$TMP/won.json" >"$stored"
    run "$HALOBOX" serve tiny --dry-run
    assert_rc 3
    assert_one_line_error
    assert_contains "$err" "$stored"
    assert_contains "$err" "a quantised KV cache needs flash attention"
    assert_contains "$err" "--no-tune"
    printf '{"schema": ' >"$stored"
    run "$HALOBOX" run tiny hello --dry-run
    assert_rc 3
    assert_one_line_error
    run "$HALOBOX" run tiny hello --dry-run --no-tune -q
    assert_rc 0
    rm -f "$stored"
    t_end
fi

t_begin "bench tune on lavapipe (vulkan-radv): the tuned choice and its margin, or the default"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image vulkan-radv >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    # One container: flash attention off and on at ubatch 512 (lavapipe
    # compiles its shaders per context: a larger sweep takes minutes here).
    run "$HALOBOX" bench tune tiny --recipes vulkan-radv --env GGML_VK_VISIBLE_DEVICES=0 \
        -p 16 -n 4 --reps 2 --ubatch 512 --kv-types f16 -q
    assert_rc 0
    assert_contains "$out" "bench tune: chat, run "
    assert_contains "$out" "vulkan-radv       512  on   f16"
    assert_contains "$out" "vulkan-radv       512 off   f16"
    case "$out" in
    *"tuned: vulkan-radv -ub 512 -fa off: +"*"over the default"*"more than the noise allows"*) ;;
    *"decision: the default "*) ;;
    *) t_fail "neither a tuned choice with its margin nor the default: $out" ;;
    esac
    printf '%s\n' "$out" | grep -E '^(tuned|decision):' | sed 's/^/    /'
    rid=$(printf '%s\n' "$out" | sed -n 's/^bench tune: chat, run \(.*\)$/\1/p')
    n=$(jq -c 'select(.type == "result" and .engine.backends == "Vulkan")' \
        "$HALOBOX_BENCH_DIR/$rid.jsonl" 2>/dev/null | wc -l)
    assert_eq "$n" 4 "Vulkan results (pp16 and tg4, fa off and on)"
    t_end
fi

t_begin "bench tune stopped by SIGTERM: nothing stored, finished results kept, run incomplete"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
elif ! ensure_image cpu >/dev/null; then
    t_notrun "$IMAGE_ERR"
else
    rm -rf "$HALOBOX_TUNE_DIR"
    before=$(ls "$HALOBOX_BENCH_DIR" | wc -l)
    # pp32 ends at once; tg4096 takes seconds: the signal comes between.
    "$HALOBOX" bench tune tiny --recipes cpu -p 32 -n 4096 --reps 2 --ubatch 512 --kv-types f16 \
        >"$TMP/tune.out" 2>"$TMP/tune.err" &
    pid=$!
    rf=""
    for _ in $(seq 1 600); do
        rf=$(ls -t "$HALOBOX_BENCH_DIR"/*.jsonl 2>/dev/null | head -n 1)
        [ "$(ls "$HALOBOX_BENCH_DIR" | wc -l)" -gt "$before" ] &&
            grep -q '"type":"result"' "$rf" 2>/dev/null && break
        sleep 0.1
    done
    kill -TERM "$pid"
    wait "$pid" && rc=0 || rc=$?
    err=$(cat "$TMP/tune.err")
    assert_rc 130
    assert_contains "$err" "interrupted: nothing is tuned"
    assert_eq "$(head -n 1 "$rf" | jq -r .status)" incomplete "the run's status"
    n=$(jq -c 'select(.type == "result")' "$rf" | wc -l)
    [ "$n" -ge 1 ] && [ "$n" -lt 4 ] || t_fail "$n results kept, expected 1 to 3 of 4"
    [ -z "$(ls -A "$HALOBOX_TUNE_DIR" 2>/dev/null)" ] || t_fail "an interrupted sweep stored settings"
    left=$(podman ps -a --filter "name=halobox-bench-tiny-$pid-" --format '{{.Names}}')
    assert_eq "$left" "" "containers left"
    t_end
fi
