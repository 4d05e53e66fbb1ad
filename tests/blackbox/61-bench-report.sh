# bench report: the HTML page of real results (this machine's engine's
# llama-bench JSON and JSONL, the community's logs; see
# tests/fixtures/llama-bench/README.md), its text checked, then rendered in
# headless Chromium and the screenshot checked for both charts with axes and
# legend (tests/helpers/report_pixels.py), including that the check fails on
# pages without them. Errors leave no partial file. No podman.

export HALOBOX_BENCH_DIR="$TMP/bench"
export HALOBOX_STORE="$TMP/store"
FIX="$TOP/tests/fixtures/llama-bench"
# report_svg.h: the axis colour, the first four series colours.
AXIS='#333333'
C1='#1f77b4' C2='#d62728' C3='#2ca02c' C4='#ff7f0e'

# import FILE [ARGS...]: imports, sets $run_id.
import() {
    run "$HALOBOX" bench import-log "$@"
    run_id=$(printf '%s\n' "$out" | sed -n 's/^imported [0-9]* results from .* as run \(.*\)$/\1/p')
    [ "$rc" = 0 ] && [ -n "$run_id" ] || t_fail "import $1: $rc $err"
}

t_begin "bench report: four configurations at two depths, escaped, with provenance"
synth=$("$HALOBOX" models synth --preset tiny -o "$TMP/tiny.gguf" 2>&1) || t_fail "synth: $synth"
tiny_sha=$(sha256sum "$TMP/tiny.gguf" | cut -d' ' -f1)
import "$FIX/debian-b11669-vulkan-lavapipe.json" --model "$TMP/tiny.gguf" --label 'lavapipe <json> & "co"'
json=$run_id
import "$FIX/debian-b11669-vulkan-lavapipe.jsonl" --label lavapipe-jsonl
jsonl=$run_id
import "$FIX/kyuz0-fw1-vulkan_radv.log"
radv=$run_id
import "$FIX/kyuz0-fw1-rocm_7.2.3.log"
rocm=$run_id
run "$HALOBOX" bench report "$json" "$jsonl" "$radv" "$rocm" -o "$TMP/report.html"
assert_rc 0
assert_clean_stderr
assert_eq "$out" "wrote $TMP/report.html: 4 runs, 4 configurations, 12 results"
page=$(cat "$TMP/report.html")
assert_contains "$page" "<!DOCTYPE html>"
assert_eq "$(grep -c '^<svg ' "$TMP/report.html")" 3 "charts"
assert_contains "$page" "Prefill tests (pp64, pp512) against context depth"
assert_contains "$page" "Decode tests (tg16, tg128) against context depth"
assert_contains "$page" ">256</text>"
assert_contains "$page" "lavapipe &lt;json&gt; &amp; &quot;co&quot;"
assert_not_contains "$page" "<json>"
# Self-contained: no script, nothing to fetch.
assert_not_contains "$page" "<script"
assert_not_contains "$page" "src="
assert_not_contains "$page" "href="
assert_eq "$(grep -o 'http[s]*://[^"]*' "$TMP/report.html" | sort -u)" "http://www.w3.org/2000/svg" "addresses"
# The values and their provenance, from the fixtures.
assert_contains "$page" "1092.07 &plusmn; 1.21"
assert_contains "$page" "364.05 &plusmn; 9.44"
assert_contains "$page" "<td class=\"na\">n/a</td>"
assert_contains "$page" "sha256: <code>$tiny_sha</code>"
assert_contains "$page" "llama-bench build: 0253fb21f (9187), backend ROCm"
assert_contains "$page" "GPU: strix-halo &mdash; AMD Radeon 8060S Graphics (RADV GFX1151)"
assert_contains "$page" "GPU: llvmpipe (LLVM 22.1.8, 256 bits)"
assert_contains "$page" "source: import-log kyuz0-fw1-rocm_7.2.3.log"
assert_contains "$page" "first test: 2026-11-22T00:23:24Z"
t_end

t_begin "bench report --last N and -o -: the same bytes as naming the runs"
run "$HALOBOX" bench report --last 2 -o -
assert_rc 0
printf '%s\n' "$out" >"$TMP/last.html"
"$HALOBOX" bench report "$radv" "$rocm" -o "$TMP/named.html" >/dev/null
cmp -s "$TMP/last.html" "$TMP/named.html" || t_fail "--last 2 differs from naming the two newest runs"
"$HALOBOX" bench report "$radv" "$rocm" -o "$TMP/again.html" >/dev/null
cmp -s "$TMP/named.html" "$TMP/again.html" || t_fail "two renderings of the same runs differ"
t_end

t_begin "bench report: one depth only says there is no line and still draws the bars"
page=$(cat "$TMP/named.html")
assert_eq "$(grep -c '^<svg ' "$TMP/named.html")" 1 "charts"
assert_eq "$(grep -c 'class="nochart"' "$TMP/named.html")" 2 "sentences"
assert_contains "$page" "Every prefill (pp) result here is at one context depth (0 tokens): there is no line against depth to draw."
assert_not_contains "$page" "<polyline"
assert_contains "$page" ">pp512</text>"
assert_contains "$page" ">tg128</text>"
t_end

t_begin "bench report: a run cut short is flagged, its finished results shown"
# The run file as a killed writer leaves it: its last line half written.
src="$HALOBOX_BENCH_DIR/$jsonl.jsonl"
n=$(wc -l <"$src")
{
    head -n $((n - 1)) "$src"
    tail -n 1 "$src" | head -c 100
} >"$TMP/cut.jsonl"
run "$HALOBOX" bench report "$TMP/cut.jsonl" -o "$TMP/cut.html"
assert_rc 0
page=$(cat "$TMP/cut.html")
assert_contains "$page" "is incomplete: it was interrupted"
assert_contains "$page" "ends in a line cut short, which was left out"
assert_contains "$out" "$((n - 2)) results"
t_end

t_begin "bench report: usage and input errors, no partial file"
for args in "$radv" "--last 2 $radv -o x.html" "-o x.html" "--last 0 -o x.html" "$radv -o" "$radv -o x --bogus"; do
    # shellcheck disable=SC2086
    run "$HALOBOX" bench report $args
    [ "$rc" = 2 ] || t_fail "'bench report $args': exit status $rc, expected 2 ($err)"
    assert_one_line_error
done
run "$HALOBOX" bench report "$radv"
assert_contains "$err" "where to? -o FILE (or -o - for stdout)"
echo old >"$TMP/keep.html"
run "$HALOBOX" bench report "$radv" nosuchrun -o "$TMP/keep.html"
assert_rc 3
assert_one_line_error
assert_contains "$err" "nosuchrun"
printf '{"schema": "halobox.bench/1", "type": "run"\nnot json\n' >"$TMP/bad.jsonl"
run "$HALOBOX" bench report "$TMP/bad.jsonl" -o "$TMP/keep.html"
assert_rc 3
assert_one_line_error
assert_eq "$(cat "$TMP/keep.html")" old "the file named by -o after errors"
mkdir "$TMP/adir"
run "$HALOBOX" bench report "$radv" -o "$TMP/adir"
assert_rc 4
assert_one_line_error
assert_contains "$err" "cannot write the report '$TMP/adir'"
[ -d "$TMP/adir" ] || t_fail "-o DIR: the directory is gone"
run "$HALOBOX" bench report "$radv" -o "$TMP/nodir/r.html"
assert_rc 4
assert_one_line_error
left=$(find "$TMP" -maxdepth 1 -name '*.tmp.*')
[ -z "$left" ] || t_fail "temporary files left: $left"
run "$HALOBOX" bench report --help
assert_rc 0
assert_contains "$out" "usage: halobox bench report RUN...|--last N -o FILE"
t_end

# ---- in a browser ---------------------------------------------------------------

chromium=""
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && { chromium=$c; break; }
done
pil=""
for p in python3 /usr/bin/python3; do
    "$p" -c 'import PIL' >/dev/null 2>&1 && { pil=$p; break; }
done

# shot HTML PNG: a 1200x1800 screenshot of the page. The sandbox needs user
# namespaces that root in a container does not get: --no-sandbox, for this
# test page only.
shot() {
    nosandbox=""
    [ "$(id -u)" = 0 ] && nosandbox=--no-sandbox
    # shellcheck disable=SC2086
    HOME="$TMP/chromium-home" timeout 120 "$chromium" --headless $nosandbox --disable-gpu \
        --hide-scrollbars --force-device-scale-factor=1 --no-first-run \
        --user-data-dir="$TMP/chromium-profile" --window-size=1200,1800 \
        --screenshot="$2" "file://$1" >"$TMP/chromium.log" 2>&1 && [ -s "$2" ]
}

browser=""
if [ -z "$chromium" ]; then
    browser="no chromium (Debian's chromium package: scripts/install-deps --test)"
elif [ -z "$pil" ]; then
    browser="no python3 with PIL (python3-pil: scripts/install-deps --test)"
else
    printf '<!DOCTYPE html><p>smoke</p>\n' >"$TMP/smoke.html"
    shot "$TMP/smoke.html" "$TMP/smoke.png" ||
        browser="$chromium cannot take a screenshot here: $(tail -n 1 "$TMP/chromium.log")"
fi

t_begin "bench report in headless Chromium: both line charts and the bars, with axes and legend"
if [ -n "$browser" ]; then
    t_notrun "$browser"
else
    shot "$TMP/report.html" "$TMP/report.png" || t_fail "no screenshot: $(tail -n 3 "$TMP/chromium.log")"
    run "$pil" "$TOP/tests/helpers/report_pixels.py" "$TMP/report.png" 3 "$AXIS" "$C1" "$C2" "$C3" "$C4"
    assert_rc 0
    assert_contains "$out" "3 chart(s) with axes"
    [ "$rc" = 0 ] || printf '%s\n' "$out" >&2
    # Kept for a look when asked for: the picture of what was checked.
    [ -z "${REPORT_PNG:-}" ] || cp "$TMP/report.png" "$REPORT_PNG"
fi
t_end

t_begin "the screenshot check fails on pages without those charts"
if [ -n "$browser" ]; then
    t_notrun "$browser"
else
    # The same page without its SVG: tables and text only.
    sed '/^<svg /,/^<\/svg>/d' "$TMP/report.html" >"$TMP/nosvg.html"
    assert_eq "$(grep -c '<svg' "$TMP/nosvg.html")" 0 "svg left"
    shot "$TMP/nosvg.html" "$TMP/nosvg.png" || t_fail "no screenshot of the page without charts"
    run "$pil" "$TOP/tests/helpers/report_pixels.py" "$TMP/nosvg.png" 3 "$AXIS" "$C1" "$C2" "$C3" "$C4"
    assert_rc 1
    assert_contains "$out" "0 chart(s) with axes"
    # One depth: the bars only, so three charts are not there; the bars'
    # own chart passes with its two configurations' colours.
    shot "$TMP/named.html" "$TMP/named.png" || t_fail "no screenshot of the one-depth page"
    run "$pil" "$TOP/tests/helpers/report_pixels.py" "$TMP/named.png" 3 "$AXIS" "$C1" "$C2"
    assert_rc 1
    assert_contains "$out" "1 chart(s) with axes"
    run "$pil" "$TOP/tests/helpers/report_pixels.py" "$TMP/named.png" 1 "$AXIS" "$C1" "$C2"
    assert_rc 0
    # A series colour that is not drawn is caught.
    run "$pil" "$TOP/tests/helpers/report_pixels.py" "$TMP/named.png" 1 "$AXIS" "$C1" "$C2" "$C3"
    assert_rc 1
    assert_contains "$out" "series #2ca02c is not drawn"
fi
t_end
