# Benchmark results through the CLI: import-log of real llama-bench output
# (this machine's engine, the community's logs) and constructed older
# layouts, then ls, show and compare as text, JSON and markdown; bad input
# and usage errors. No podman: `halobox bench MODEL` is not here yet.

export HALOBOX_BENCH_DIR="$TMP/bench"
export HALOBOX_STORE="$TMP/store"
FIX="$TOP/tests/fixtures/llama-bench"

# import FILE [ARGS...]: imports, sets $run_id from the "as run ID" line.
import() {
    run "$HALOBOX" bench import-log "$@"
    run_id=$(printf '%s\n' "$out" | sed -n 's/^imported [0-9]* results from .* as run \(.*\)$/\1/p')
}

t_begin "bench import-log: the community's markdown logs, one run each"
import "$FIX/kyuz0-fw1-vulkan_radv.log"
assert_rc 0
assert_clean_stderr
assert_contains "$out" "imported 2 results from $FIX/kyuz0-fw1-vulkan_radv.log as run "
radv=$run_id
import "$FIX/kyuz0-fw1-vulkan_amdvlk.log" --gpu-family strix-halo
assert_rc 0
amdvlk=$run_id
import "$FIX/kyuz0-fw1-rocm_7.2.3.log" --label rocm-7.2.3
assert_rc 0
rocm=$run_id
[ -n "$radv" ] && [ -n "$amdvlk" ] && [ -n "$rocm" ] || t_fail "no run ids: '$radv' '$amdvlk' '$rocm'"
[ -f "$HALOBOX_BENCH_DIR/$radv.jsonl" ] || t_fail "no run file for $radv"
t_end

t_begin "bench import-log: this engine's JSON, JSONL and markdown, and older layouts"
synth=$("$HALOBOX" models synth --preset tiny -o "$TMP/tiny.gguf" 2>&1) || t_fail "synth: $synth"
import "$FIX/debian-b11669-vulkan-lavapipe.json" --model "$TMP/tiny.gguf"
assert_rc 0
assert_contains "$out" "imported 4 results"
lavapipe=$run_id
for f in debian-b11669-vulkan-lavapipe.jsonl debian-b11669-vulkan-lavapipe.log \
    constructed-2025-pre-depth.json constructed-2026-02-direct-io.jsonl; do
    import "$FIX/$f"
    assert_rc 0
    assert_clean_stderr
done
old_layout=$(ls "$HALOBOX_BENCH_DIR" | wc -l)
assert_eq "$old_layout" 8 "run files"
t_end

t_begin "bench ls: every run, oldest first, as text and JSON"
run "$HALOBOX" bench ls
assert_rc 0
assert_clean_stderr
assert_eq "$(printf '%s\n' "$out" | head -1 | tr -s ' ')" "RUN CREATED STATUS RESULTS CONFIGURATION MODEL" "header"
assert_eq "$(printf '%s\n' "$out" | wc -l)" 9 "lines"
assert_contains "$out" "$radv"
assert_contains "$out" "kyuz0-fw1-vulkan_radv"
assert_contains "$out" "deepseek2 30B.A3B Q8_0"
run "$HALOBOX" bench ls --json
assert_rc 0
assert_eq "$(jqv "$out" 'length')" 8 "runs"
assert_eq "$(jqv "$out" '.[0].id')" "$radv" "oldest first"
assert_eq "$(jqv "$out" 'map(.status) | unique | join(",")')" complete
assert_eq "$(jqv "$out" 'map(.results) | join(",")')" "2,2,2,4,4,4,2,2"
assert_eq "$(jqv "$out" '.[2].label')" rocm-7.2.3
assert_eq "$(jqv "$out" '.[0].source + " " + .[0].source_file')" "import-log kyuz0-fw1-vulkan_radv.log"
t_end

t_begin "bench show: provenance from the log; what it cannot tell is null"
run "$HALOBOX" bench show "$radv"
assert_rc 0
assert_clean_stderr
assert_contains "$out" "status    complete"
assert_contains "$out" "source    import-log kyuz0-fw1-vulkan_radv.log"
assert_contains "$out" "gpu strix-halo (AMD Radeon 8060S Graphics (RADV GFX1151))"
assert_contains "$out" "vulkan radv"
assert_contains "$out" "build 0253fb21f (9187), backend Vulkan"
assert_contains "$out" "1092.07 ± 1.21"
assert_contains "$out" "41.17 ± 0.01"
run "$HALOBOX" bench show "$radv" --json
assert_rc 0
assert_eq "$(jqv "$out" '.schema')" halobox.bench/1
assert_eq "$(jqv "$out" '.results | length')" 2
assert_eq "$(jqv "$out" '.results[0].test.name')" pp512
assert_eq "$(jqv "$out" '.results[0].test.flash_attn')" on
assert_eq "$(jqv "$out" '.results[0].test.load_mode')" none
assert_eq "$(jqv "$out" '.results[0].test.n_gpu_layers')" 99
assert_eq "$(jqv "$out" '.results[0].tokens_per_second.mean')" 1092.07
assert_eq "$(jqv "$out" '.results[0].tokens_per_second.stddev')" 1.21
assert_eq "$(jqv "$out" '.results[1].test.kind')" tg
assert_eq "$(jqv "$out" '.results[0].engine.model_size')" 35111357645
assert_eq "$(jqv "$out" '.results[0].image.engine_version')" b9187
assert_eq "$(jqv "$out" '.results[0].image.recipe')" null
assert_eq "$(jqv "$out" '.host.gpu_family + " " + .host.vulkan_driver')" "strix-halo radv"
assert_eq "$(jqv "$out" '[.host.kernel, .host.mesa_version, .host.rocm_version, .host.podman_version, .host.usable_memory_bytes] | map(. == null) | all')" true
assert_eq "$(jqv "$out" '.results[1].host.gpu_family')" strix-halo
# The ROCm log names its gfx target: strix-halo without being told.
run "$HALOBOX" bench show "$rocm" --json
assert_eq "$(jqv "$out" '.host.gpu_family + " " + .results[0].engine.gfx')" "strix-halo gfx1151"
run "$HALOBOX" bench show "$radv" --markdown
assert_rc 0
assert_contains "$out" "## Run $radv"
assert_contains "$out" "- status: complete"
assert_contains "$out" "| configuration | pp512 | tg128 |"
t_end

t_begin "bench show: the model given at import, with its sha256 and active weights"
run "$HALOBOX" bench show "$lavapipe" --json
assert_rc 0
assert_eq "$(jqv "$out" '.model.sha256')" "$(sha256sum "$TMP/tiny.gguf" | cut -d' ' -f1)"
assert_eq "$(jqv "$out" '.model.architecture + " " + .model.type')" "llama Q8_0"
# tiny: 7808000 bytes of tensors, of which token_embd (8192 x 256 Q8_0 =
# 2097152 / 32 x 34 = 2228224 bytes) is read one row per token.
assert_eq "$(jqv "$out" '.model.active_bytes')" $((7808000 - 2228224))
assert_eq "$(jqv "$out" '.results[0].model.active_bytes')" 5579776
assert_eq "$(jqv "$out" '.results | map(.test.name) | join(",")')" "pp64,tg16,pp64 @ d256,tg16 @ d256"
assert_eq "$(jqv "$out" '.results[0].test.flash_attn')" auto
assert_eq "$(jqv "$out" '.results[0].tokens_per_second.samples | join(",")')" "370.724,357.381"
t_end

t_begin "bench compare: three builds of one host, ratios to a baseline"
run "$HALOBOX" bench compare "$radv" "$amdvlk" "$rocm"
assert_rc 0
assert_clean_stderr
assert_eq "$(printf '%s\n' "$out" | head -1 | tr -s ' ')" "configuration pp512 tg128" "header"
assert_contains "$out" "kyuz0-fw1-vulkan_radv backend=Vulkan"
# 543.44 / 1092.07 = 0.498, 39.66 / 41.17 = 0.963; 913.36 / 1092.07 = 0.836
assert_contains "$out" "543.44 ± 1.10 (0.50x)"
assert_contains "$out" "39.66 ± 0.02 (0.96x)"
assert_contains "$out" "913.36 ± 47.37 (0.84x)"
assert_contains "$out" "35.50 ± 0.00 (0.86x)"
assert_contains "$out" "baseline: kyuz0-fw1-vulkan_radv backend=Vulkan"
assert_contains "$out" "active weights unknown"
run "$HALOBOX" bench compare --last 8 --baseline rocm-7.2.3 --json
assert_rc 0
assert_eq "$(jqv "$out" '.baseline')" "rocm-7.2.3 model=deepseek2 30B.A3B Q8_0 backend=ROCm fa=on lm=none ngl=99"
assert_eq "$(jqv "$out" '.rows[0].results.pp512.ratio * 1000 | round')" 1196 # 1092.07 / 913.36
assert_eq "$(jqv "$out" '.rows[0].peak_bandwidth_gbps')" 256
t_end

t_begin "bench compare: token generation as a share of the bandwidth limit"
run "$HALOBOX" bench compare "$lavapipe" --bandwidth 100 --json
assert_rc 0
assert_eq "$(jqv "$out" '.columns | map(.test) | join(",")')" "pp64,tg16,pp64 @ d256,tg16 @ d256"
assert_eq "$(jqv "$out" '.rows[0].active_weight_bytes')" 5579776
# 5579776 bytes x 32.974918 t/s / 100 GB/s
assert_eq "$(jqv "$out" '.rows[0].results.tg16.bandwidth_share * 1e9 | round')" \
    "$(awk 'BEGIN { printf "%.0f", 5579776 * 32.974918 / 100e9 * 1e9 }')"
assert_eq "$(jqv "$out" '.rows[0].results.pp64.bandwidth_share')" null
assert_eq "$(jqv "$out" '.rows[0].peak_bandwidth_source')" --bandwidth
run "$HALOBOX" bench compare "$radv" --model "$TMP/tiny.gguf" --markdown
assert_rc 0
assert_contains "$out" "| configuration | pp512 | tg128 |"
assert_contains "$out" "| --- | ---: | ---: |"
# 5579776 x 41.17 / 256e9 = 0.09 %: the Strix Halo peak from the log's gfx1151
assert_contains "$out" "41.17 ± 0.01 (0.1% bw)"
assert_contains "$out" "peak 256.0 GB/s (strix-halo: LPDDR5X-8000, 256-bit"
t_end

t_begin "bench: an interrupted run keeps its finished results, marked incomplete"
src="$HALOBOX_BENCH_DIR/$lavapipe.jsonl"
cut="$HALOBOX_BENCH_DIR/20990101T000000.000Z-dead.jsonl"
{
    head -n 3 "$src" | sed '1s/"id":"[^"]*"/"id":"20990101T000000.000Z-dead"/; 1s/"status":"complete"/"status":"running"/'
    printf '{"type":"result","test":{"name":"pp6'
} >"$cut"
run "$HALOBOX" bench show 20990101 --json
assert_rc 0
assert_eq "$(jqv "$out" '.status + " " + (.truncated | tostring)')" "incomplete true"
assert_eq "$(jqv "$out" '.results | length')" 2
run "$HALOBOX" bench ls
assert_contains "$(printf '%s\n' "$out" | grep 20990101)" incomplete
t_end

t_begin "bench: malformed logs are refused with one line naming the place, nothing kept"
before=$(ls "$HALOBOX_BENCH_DIR" | wc -l)
sed 's/"avg_ts": 40.362800/"avg_ts": "fast"/' "$FIX/debian-b11669-vulkan-lavapipe.json" >"$TMP/bad.json"
run "$HALOBOX" bench import-log "$TMP/bad.json"
assert_rc 3
assert_one_line_error
assert_contains "$err" "$TMP/bad.json: result 4: avg_ts: expected a number"
sed 's/41.17 ± 0.01/fast/' "$FIX/kyuz0-fw1-vulkan_radv.log" >"$TMP/bad.log"
run "$HALOBOX" bench import-log "$TMP/bad.log"
assert_rc 3
assert_one_line_error
assert_contains "$err" "$TMP/bad.log: line 6: t/s: expected 'MEAN ± STDDEV', got 'fast'"
printf 'nothing to see\n' >"$TMP/empty.log"
run "$HALOBOX" bench import-log "$TMP/empty.log"
assert_rc 3
assert_one_line_error
assert_contains "$err" "no llama-bench results"
head -c 300 "$TMP/tiny.gguf" >"$TMP/binary.log"
run "$HALOBOX" bench import-log "$TMP/binary.log"
assert_rc 3
assert_one_line_error
run "$HALOBOX" bench import-log "$TMP/missing.log"
assert_rc 3
assert_one_line_error
assert_contains "$err" "$TMP/missing.log: No such file or directory"
head -c 2000 "$FIX/debian-b11669-vulkan-lavapipe.json" >"$TMP/cut.json"
run "$HALOBOX" bench import-log "$TMP/cut.json"
assert_rc 3
assert_one_line_error
assert_contains "$err" "not valid JSON"
assert_eq "$(ls "$HALOBOX_BENCH_DIR" | wc -l)" "$before" "run files"
t_end

t_begin "bench: unknown, ambiguous and corrupt runs are errors (exit 3)"
run "$HALOBOX" bench show nope
assert_rc 3
assert_one_line_error
assert_contains "$err" "no run 'nope'"
run "$HALOBOX" bench show 2
assert_rc 3
assert_one_line_error
assert_contains "$err" "run '2' is ambiguous"
run "$HALOBOX" bench compare "$radv" --baseline nothing
assert_rc 3
assert_one_line_error
assert_contains "$err" "baseline 'nothing' is neither"
bad="$HALOBOX_BENCH_DIR/20990202T000000.000Z-beef.jsonl"
{ head -n 1 "$src"; echo '{"type":"result",'; tail -n 1 "$src"; } >"$bad"
run "$HALOBOX" bench show 20990202
assert_rc 3
assert_one_line_error
assert_contains "$err" "run 20990202T000000.000Z-beef: line 2: not valid JSON"
run "$HALOBOX" bench ls
assert_rc 0
assert_contains "$err" "warning: skipped run 20990202T000000.000Z-beef: line 2: not valid JSON"
assert_contains "$out" "$radv"
rm -f "$bad"
t_end

t_begin "bench: usage errors (exit 2), help, and bench MODEL not implemented yet"
for args in "" "ls extra" "show" "show a b" "compare" "compare $radv --last 2" \
    "compare --last 0" "compare --last x" "compare $radv --bandwidth -1" \
    "show $radv --json --markdown" "import-log" "ls --bogus" "compare --baseline"; do
    # shellcheck disable=SC2086
    run "$HALOBOX" bench $args
    [ "$rc" = 2 ] || t_fail "'bench $args': exit status $rc, expected 2"
    assert_clean_stderr
done
# a model the store does not have: one line, exit 3
HALOBOX_STORE="$TMP/empty-store" run "$HALOBOX" bench tiny -p 512
assert_rc 3
assert_one_line_error
assert_contains "$err" "no model named 'tiny'"
for verb in "" ls show compare import-log; do
    # shellcheck disable=SC2086
    run "$HALOBOX" bench $verb --help
    assert_rc 0
    assert_contains "$out" "usage: halobox bench"
done
run "$HALOBOX" help bench
assert_rc 0
assert_contains "$out" "import-log"
run "$HALOBOX" --help
assert_contains "$out" "bench"
run "$HALOBOX" completion bash
assert_contains "$out" "bench) COMPREPLY"
t_end

t_begin "bench ls: no runs yet is not an error"
HALOBOX_BENCH_DIR="$TMP/none" run "$HALOBOX" bench ls --json
assert_rc 0
assert_eq "$out" "[]" "empty list"
t_end
