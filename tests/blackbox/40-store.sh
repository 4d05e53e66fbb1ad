# The model store with real files: add, ls, inspect, rm, their errors, and
# two processes adding at once. Models come from `models synth` (real GGUF
# files that llama.cpp loads; see 45-engine.sh for that part).

export HALOBOX_STORE="$TMP/store"
"$HALOBOX" models synth --preset tiny --seed 1 -o "$TMP/tiny.gguf" >/dev/null
"$HALOBOX" models synth --preset tiny-moe --seed 2 -o "$TMP/moe.gguf" >/dev/null
tiny_sha=$(sha256sum "$TMP/tiny.gguf" | cut -d' ' -f1)

t_begin "models add: the blob is named by its sha256, the reference and link exist"
run "$HALOBOX" models add "$TMP/tiny.gguf"
assert_rc 0
[ -f "$HALOBOX_STORE/blobs/sha256/$tiny_sha" ] || t_fail "no blob $tiny_sha"
[ -f "$HALOBOX_STORE/refs/tiny.json" ] || t_fail "no reference"
assert_eq "$(readlink "$HALOBOX_STORE/models/tiny/tiny.gguf")" "../../blobs/sha256/$tiny_sha" "link"
cmp -s "$HALOBOX_STORE/models/tiny/tiny.gguf" "$TMP/tiny.gguf" || t_fail "stored bytes differ"
[ -f "$HALOBOX_STORE/README.md" ] || t_fail "the store has no README"
t_end

t_begin "models add --sha256: a wrong hash is refused and nothing is stored"
run "$HALOBOX" models add "$TMP/moe.gguf" --name moe \
    --sha256 0000000000000000000000000000000000000000000000000000000000000000
assert_rc 3
assert_one_line_error
assert_contains "$err" "not the expected"
[ ! -e "$HALOBOX_STORE/refs/moe.json" ] || t_fail "reference written"
assert_eq "$(ls "$HALOBOX_STORE/blobs/sha256" | wc -l)" 1 "blob count"
assert_eq "$(ls "$HALOBOX_STORE/tmp" | wc -l)" 0 "files left in tmp"
t_end

t_begin "models ls --json: name, size, architecture, parameters, type, experts, context"
"$HALOBOX" models add "$TMP/moe.gguf" --name moe >/dev/null
run "$HALOBOX" models ls --json
assert_rc 0
assert_eq "$(jqv "$out" 'map(.name) | join(",")')" "moe,tiny" "names"
assert_eq "$(jqv "$out" '.[1].size_bytes')" "$(stat -c %s "$TMP/tiny.gguf")" "size"
assert_eq "$(jqv "$out" '.[1].summary.architecture')" llama
assert_eq "$(jqv "$out" '.[0].summary.architecture')" qwen3moe
assert_eq "$(jqv "$out" '.[0].summary.experts > 1 and .[0].summary.experts_used >= 1')" true
assert_eq "$(jqv "$out" '.[1].summary.file_type')" Q8_0
assert_eq "$(jqv "$out" '.[1].summary.parameters > 1000000')" true
assert_eq "$(jqv "$out" '.[1].summary.context_length')" 4096
run "$HALOBOX" models ls
assert_contains "$out" "qwen3moe"
assert_contains "$out" "tiny"
t_end

t_begin "models inspect: metadata by name and by path agree"
run "$HALOBOX" models inspect tiny --json
assert_rc 0
by_name=$(jqv "$out" '.metadata | tojson')
assert_eq "$(jqv "$out" '.metadata["general.architecture"]')" llama
assert_eq "$(jqv "$out" '.metadata["tokenizer.ggml.tokens"].type')" "array[str]"
assert_eq "$(jqv "$out" '.sha256')" "$tiny_sha"
run "$HALOBOX" models inspect "$TMP/tiny.gguf" --json
assert_eq "$(jqv "$out" '.metadata | tojson')" "$by_name" "metadata by path"
t_end

t_begin "models inspect: an unknown name suggests close ones"
run "$HALOBOX" models inspect tinny
assert_rc 3
assert_one_line_error
assert_contains "$err" "did you mean 'tiny'"
t_end

t_begin "models add: a file that is not GGUF, or is cut short, never enters the store"
head -c 100000 "$TMP/tiny.gguf" >"$TMP/cut.gguf"
printf 'not a model at all\n' >"$TMP/text.gguf"
for f in cut text; do
    run "$HALOBOX" models add "$TMP/$f.gguf"
    assert_rc 3
    assert_one_line_error
    assert_contains "$err" "$TMP/$f.gguf"
    [ ! -e "$HALOBOX_STORE/refs/$f.json" ] || t_fail "$f: reference written"
done
assert_eq "$(ls "$HALOBOX_STORE/blobs/sha256" | wc -l)" 2 "blob count"
t_end

t_begin "models add: the same name for different bytes needs --replace"
run "$HALOBOX" models add "$TMP/moe.gguf" --name tiny
assert_rc 3
assert_contains "$err" "already named 'tiny'"
run "$HALOBOX" models add "$TMP/tiny.gguf"
assert_rc 0
t_end

t_begin "two processes adding the same model at once: one blob, one reference"
"$HALOBOX" models synth --preset tiny --seed 7 -o "$TMP/seven.gguf" >/dev/null
cp "$TMP/seven.gguf" "$TMP/seven-copy.gguf"
"$HALOBOX" models add "$TMP/seven.gguf" --name seven >"$TMP/a.out" 2>&1 &
a=$!
"$HALOBOX" models add "$TMP/seven-copy.gguf" --name seven >"$TMP/b.out" 2>&1 &
b=$!
wait $a || t_fail "first add failed: $(cat "$TMP/a.out")"
wait $b || t_fail "second add failed: $(cat "$TMP/b.out")"
seven_sha=$(sha256sum "$TMP/seven.gguf" | cut -d' ' -f1)
[ -f "$HALOBOX_STORE/blobs/sha256/$seven_sha" ] || t_fail "blob missing"
assert_eq "$(jq -r '.files[0].sha256' "$HALOBOX_STORE/refs/seven.json")" "$seven_sha" "reference"
assert_eq "$(ls "$HALOBOX_STORE/tmp" | wc -l)" 0 "files left in tmp"
t_end

t_begin "models rm: the reference goes, a blob goes when nothing uses it"
"$HALOBOX" models add "$TMP/tiny.gguf" --name tiny-again >/dev/null
run "$HALOBOX" models rm tiny
assert_rc 0
[ -f "$HALOBOX_STORE/blobs/sha256/$tiny_sha" ] || t_fail "blob removed while tiny-again uses it"
[ ! -e "$HALOBOX_STORE/models/tiny" ] || t_fail "models/tiny left"
run "$HALOBOX" models rm tiny-again
[ ! -e "$HALOBOX_STORE/blobs/sha256/$tiny_sha" ] || t_fail "unused blob kept"
run "$HALOBOX" models rm tiny-again
assert_rc 3
assert_one_line_error
t_end

t_begin "split models: a shard without its split metadata is refused, store unchanged"
mkdir -p "$TMP/split"
"$HALOBOX" models synth --preset tiny --seed 9 -o "$TMP/split/big-00001-of-00003.gguf" >/dev/null
before=$(ls "$HALOBOX_STORE/blobs/sha256" | sort)
run "$HALOBOX" models add "$TMP/split/big-00001-of-00003.gguf"
assert_rc 3
assert_one_line_error
assert_contains "$err" "big-00001-of-00003.gguf"
assert_eq "$(ls "$HALOBOX_STORE/blobs/sha256" | sort)" "$before" "blobs"
[ ! -e "$HALOBOX_STORE/refs/big.json" ] || t_fail "reference written"
t_end
