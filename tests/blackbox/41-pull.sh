# models pull against a real HTTP server on 127.0.0.1 (tests/helpers/
# http_server.py): a whole download, the hf:// mapping, an interrupted
# transfer that resumes, a server that ignores Range, and wrong hashes that
# leave nothing in the store.

export HALOBOX_STORE="$TMP/store"
mkdir -p "$TMP/www"
"$HALOBOX" models synth --preset tiny --seed 3 -o "$TMP/www/tiny.gguf" >/dev/null
"$HALOBOX" models synth --preset tiny-moe --seed 4 -o "$TMP/www/moe.gguf" >/dev/null
printf 'this is not a model\n' >"$TMP/www/junk.gguf"
tiny_sha=$(sha256sum "$TMP/www/tiny.gguf" | cut -d' ' -f1)
moe_sha=$(sha256sum "$TMP/www/moe.gguf" | cut -d' ' -f1)
size=$(stat -c %s "$TMP/www/tiny.gguf")

python3 "$TOP/tests/helpers/http_server.py" "$TMP/www" "$TMP/port" --lifetime=120 \
    2>>"$TMP/server.log" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
base="http://127.0.0.1:$(cat "$TMP/port")"

store_is_empty() {
    assert_eq "$(ls "$HALOBOX_STORE/blobs/sha256" 2>/dev/null | wc -l)" 0 "blobs"
    assert_eq "$(ls "$HALOBOX_STORE/refs" 2>/dev/null | wc -l)" 0 "references"
}

t_begin "pull: an interrupted transfer keeps its .partial and resumes with Range"
echo 3000000 >"$TMP/www/.drop_after"
run "$HALOBOX" models pull "$base/tiny.gguf" --name tiny --quiet
[ "$rc" != 0 ] || t_fail "a cut transfer succeeded"
assert_one_line_error
assert_contains "$err" "pull again"
partial=$(ls "$HALOBOX_STORE"/tmp/*.partial 2>/dev/null | head -1)
[ -n "$partial" ] || t_fail "no .partial kept"
assert_eq "$(stat -c %s "$partial")" 3000000 "partial size"
store_is_empty
: >"$TMP/server.log"
run "$HALOBOX" models pull "$base/tiny.gguf" --name tiny --quiet
[ "$rc" != 0 ] || t_fail "second cut transfer succeeded"
assert_eq "$(stat -c %s "$partial")" 6000000 "partial size after the second try"
grep -q '" 206 ' "$TMP/server.log" || t_fail "the second try was not a Range request"
t_end

t_begin "pull: the resumed download completes with the right bytes, nothing left in tmp"
rm "$TMP/www/.drop_after"
run "$HALOBOX" models pull "$base/tiny.gguf" --name tiny --sha256 "$tiny_sha" --quiet
assert_rc 0
cmp -s "$HALOBOX_STORE/models/tiny/tiny.gguf" "$TMP/www/tiny.gguf" || t_fail "bytes differ"
assert_eq "$(jq -r .source "$HALOBOX_STORE/refs/tiny.json")" "$base/tiny.gguf" "source"
assert_eq "$(ls "$HALOBOX_STORE/tmp" | wc -l)" 0 "files left in tmp"
t_end

t_begin "pull: the same URL again is a no-op"
run "$HALOBOX" models pull "$base/tiny.gguf" --name tiny --quiet
assert_rc 0
t_end

t_begin "pull: hf://ORG/REPO/FILE maps to the resolve URL (HF_ENDPOINT)"
rm -rf "$HALOBOX_STORE"
HF_ENDPOINT="$base" run "$HALOBOX" models pull hf://someorg/somerepo/moe.gguf --quiet
assert_rc 0
assert_eq "$(jq -r '.files[0].sha256' "$HALOBOX_STORE/refs/moe.json")" "$moe_sha" "sha256"
grep -q 'GET /someorg/somerepo/resolve/main/moe.gguf' "$TMP/server.log" ||
    t_fail "no request for the resolve URL"
t_end

t_begin "pull: X-Linked-Etag that matches is accepted, one that does not is refused"
rm -rf "$HALOBOX_STORE"
run "$HALOBOX" models pull "$base/tiny.gguf?etag=$tiny_sha" --name good --quiet
assert_rc 0
rm -rf "$HALOBOX_STORE"
run "$HALOBOX" models pull "$base/tiny.gguf?etag=$moe_sha" --name bad --quiet
assert_rc 3
assert_one_line_error
assert_contains "$err" "X-Linked-Etag"
store_is_empty
assert_eq "$(ls "$HALOBOX_STORE/tmp" | wc -l)" 0 "files left in tmp"
t_end

t_begin "pull: a wrong --sha256 is refused and leaves nothing"
rm -rf "$HALOBOX_STORE"
run "$HALOBOX" models pull "$base/tiny.gguf" --sha256 "$moe_sha" --quiet
assert_rc 3
assert_one_line_error
store_is_empty
assert_eq "$(ls "$HALOBOX_STORE/tmp" | wc -l)" 0 "files left in tmp"
t_end

t_begin "pull: a server that ignores Range still gives the right file"
rm -rf "$HALOBOX_STORE"
echo 2000000 >"$TMP/www/.drop_after"
run "$HALOBOX" models pull "$base/tiny.gguf?no_range=1" --name nr --quiet
[ "$rc" != 0 ] || t_fail "a cut transfer succeeded"
rm "$TMP/www/.drop_after"
run "$HALOBOX" models pull "$base/tiny.gguf?no_range=1" --name nr --sha256 "$tiny_sha" --quiet
assert_rc 0
cmp -s "$HALOBOX_STORE/models/nr/tiny.gguf" "$TMP/www/tiny.gguf" || t_fail "bytes differ"
t_end

t_begin "pull: a download that is not GGUF is refused, a 404 is a clear error"
rm -rf "$HALOBOX_STORE"
run "$HALOBOX" models pull "$base/junk.gguf" --quiet
assert_rc 3
assert_one_line_error
assert_contains "$err" "not a GGUF model"
store_is_empty
run "$HALOBOX" models pull "$base/missing.gguf" --quiet
[ "$rc" != 0 ] || t_fail "a 404 succeeded"
assert_one_line_error
assert_contains "$err" "404"
run "$HALOBOX" models pull "ftp://example.invalid/x.gguf" --quiet
assert_rc 2
t_end

t_begin "pull: two processes pulling the same URL at once (same and other names)"
rm -rf "$HALOBOX_STORE"
"$HALOBOX" models pull "$base/moe.gguf" --name m1 --quiet >"$TMP/p1" 2>&1 &
p1=$!
"$HALOBOX" models pull "$base/moe.gguf" --name m1 --quiet >"$TMP/p2" 2>&1 &
p2=$!
"$HALOBOX" models pull "$base/moe.gguf" --name m2 --quiet >"$TMP/p3" 2>&1 &
p3=$!
wait $p1 || t_fail "first pull: $(cat "$TMP/p1")"
wait $p2 || t_fail "second pull: $(cat "$TMP/p2")"
wait $p3 || t_fail "third pull: $(cat "$TMP/p3")"
assert_eq "$(ls "$HALOBOX_STORE/blobs/sha256")" "$moe_sha" "the one blob"
assert_eq "$(sha256sum "$HALOBOX_STORE/blobs/sha256/$moe_sha" | cut -d' ' -f1)" "$moe_sha" "its bytes"
assert_eq "$(jq -r '.files[0].sha256' "$HALOBOX_STORE/refs/m2.json")" "$moe_sha" "m2"
assert_eq "$(ls "$HALOBOX_STORE/tmp" | wc -l)" 0 "files left in tmp"
t_end

kill $server 2>/dev/null
