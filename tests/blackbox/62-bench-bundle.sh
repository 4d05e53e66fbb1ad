# bench export and bench import: runs (real llama-bench output of this
# machine's engine and the community's logs, through import-log), with a real
# engine log beside one of them, exported to a bundle and imported into a
# fresh results store: the same `bench show` before and after. Then every
# way a bundle can be bad (made from the good one by
# tests/helpers/bundle_tamper.py): refused with one line and exit 3, and
# nothing written.

FIX="$TOP/tests/fixtures/llama-bench"
FACTS="$TOP/tests/fixtures/facts/kyuz0-framework-desktop-fw1.facts.json"
TAMPER="$TOP/tests/helpers/bundle_tamper.py"
export HALOBOX_BENCH_DIR="$TMP/home"

# import FILE [ARGS...]: import-log, sets $run_id.
import_log() {
    run "$HALOBOX" bench import-log "$@"
    run_id=$(printf '%s\n' "$out" | sed -n 's/^imported [0-9]* results from .* as run \(.*\)$/\1/p')
}

# The store's files, with their sums: what "nothing written" compares.
store_state() {
    if [ -d "$1" ]; then
        (cd "$1" && find . -mindepth 1 | sort && find . -type f -exec sha256sum {} + | sort)
    else
        echo "no store"
    fi
}

t_begin "bench export: the runs, the kept engine log and the facts in one tar.gz"
import_log "$FIX/kyuz0-fw1-vulkan_radv.log"
radv=$run_id
import_log "$FIX/debian-b11669-vulkan-lavapipe.json"
lavapipe=$run_id
import_log "$FIX/kyuz0-fw1-rocm_7.2.3.log" --label rocm-7.2.3
rocm=$run_id
# The engine's stderr of that lavapipe run, where bench MODEL keeps it.
cp "$FIX/debian-b11669-vulkan-lavapipe.json.stderr" "$HALOBOX_BENCH_DIR/$lavapipe.log"
run "$HALOBOX" bench export "$radv" "$lavapipe" -o "$TMP/report-1.tar.gz" --facts "$FACTS"
assert_rc 0
assert_clean_stderr
assert_eq "$out" "exported 2 runs (1 with an engine log) and the host facts to $TMP/report-1.tar.gz"
listing=$(tar -tvzf "$TMP/report-1.tar.gz" 2>&1)
assert_eq "$(printf '%s\n' "$listing" | awk '{print $6}' | tr '\n' ' ')" \
    "report-1/manifest.json report-1/facts.json report-1/logs/$lavapipe.log report-1/runs/$radv.jsonl report-1/runs/$lavapipe.jsonl " \
    "members in order"
assert_eq "$(printf '%s\n' "$listing" | awk '{print $1 " " $2}' | sort -u)" "-rw-r--r-- 0/0" "types, modes, owners"
mkdir "$TMP/x"
tar -xzf "$TMP/report-1.tar.gz" -C "$TMP/x"
m=$(cat "$TMP/x/report-1/manifest.json")
assert_eq "$(jqv "$m" '.schema + " " + .name + " " + .halobox_version')" "halobox.bundle/1 report-1 $("$HALOBOX" version | cut -d' ' -f2)"
assert_eq "$(jqv "$m" '.members | length')" 4
for i in 0 1 2 3; do
    p=$(jqv "$m" ".members[$i].path")
    assert_eq "$(jqv "$m" ".members[$i].sha256")" "$(sha256sum "$TMP/x/report-1/$p" | cut -d' ' -f1)" "sha256 of $p"
    assert_eq "$(jqv "$m" ".members[$i].size")" "$(stat -c %s "$TMP/x/report-1/$p")" "size of $p"
done
cmp -s "$TMP/x/report-1/runs/$radv.jsonl" "$HALOBOX_BENCH_DIR/$radv.jsonl" || t_fail "the run file is not as stored"
cmp -s "$TMP/x/report-1/logs/$lavapipe.log" "$FIX/debian-b11669-vulkan-lavapipe.json.stderr" || t_fail "the log is not as kept"
assert_eq "$(jq -r .schema "$TMP/x/report-1/facts.json")" halobox.facts/1
# --last N: the newest; without --facts, this host's facts.
run "$HALOBOX" bench export --last 1 -o "$TMP/newest.tgz"
assert_rc 0
assert_eq "$(tar -tzf "$TMP/newest.tgz" | tr '\n' ' ')" "newest/manifest.json newest/facts.json newest/runs/$rocm.jsonl "
assert_eq "$(tar -xOzf "$TMP/newest.tgz" newest/facts.json | jq -r .schema)" halobox.facts/1
t_end

t_begin "bench import: into a fresh store, the same runs as before"
before_show=$("$HALOBOX" bench show "$lavapipe")
before_json=$("$HALOBOX" bench show "$radv" --json)
before_cmp=$("$HALOBOX" bench compare "$radv" "$lavapipe")
export HALOBOX_BENCH_DIR="$TMP/away"
run "$HALOBOX" bench import "$TMP/report-1.tar.gz"
assert_rc 0
assert_clean_stderr
assert_eq "$out" "imported 2 runs from $TMP/report-1.tar.gz: $radv, $lavapipe"
assert_eq "$("$HALOBOX" bench show "$lavapipe")" "$before_show" "bench show"
assert_eq "$("$HALOBOX" bench show "$radv" --json)" "$before_json" "bench show --json"
assert_eq "$("$HALOBOX" bench compare "$radv" "$lavapipe")" "$before_cmp" "bench compare"
assert_eq "$("$HALOBOX" bench ls --json | jq -r 'map(.id) | join(" ")')" "$radv $lavapipe"
cmp -s "$HALOBOX_BENCH_DIR/$lavapipe.log" "$FIX/debian-b11669-vulkan-lavapipe.json.stderr" || t_fail "log not imported"
cmp -s "$HALOBOX_BENCH_DIR/$radv.facts.json" "$TMP/x/report-1/facts.json" || t_fail "facts not imported"
[ ! -e "$HALOBOX_BENCH_DIR/$radv.log" ] || t_fail "a log for a run that had none"
assert_eq "$(stat -c %a "$HALOBOX_BENCH_DIR/$radv.jsonl")" 644 "mode"
assert_eq "$(ls -A "$HALOBOX_BENCH_DIR" | grep -c '^\.')" 0 "temporary files left"
t_end

t_begin "bench import: runs already in the store are refused, named, nothing written"
state=$(store_state "$HALOBOX_BENCH_DIR")
run "$HALOBOX" bench import "$TMP/report-1.tar.gz"
assert_rc 3
assert_one_line_error
assert_eq "$err" "halobox: $TMP/report-1.tar.gz: runs $radv, $lavapipe already in $HALOBOX_BENCH_DIR: nothing imported"
assert_eq "$(store_state "$HALOBOX_BENCH_DIR")" "$state" "the store"
# One new run and one already here: still nothing of the bundle.
HALOBOX_BENCH_DIR="$TMP/home" "$HALOBOX" bench export "$rocm" "$radv" -o "$TMP/mixed.tar.gz" \
    --facts "$FACTS" >/dev/null || t_fail "export mixed"
run "$HALOBOX" bench import "$TMP/mixed.tar.gz"
assert_rc 3
assert_eq "$err" "halobox: $TMP/mixed.tar.gz: run $radv already in $HALOBOX_BENCH_DIR: nothing imported"
assert_eq "$(store_state "$HALOBOX_BENCH_DIR")" "$state" "the store"
t_end

t_begin "bench import: a bundle Python's tarfile wrote again is taken (the control)"
python3 "$TAMPER" "$TMP/report-1.tar.gz" "$TMP/repack.tar.gz" repack || t_fail "tamper repack"
HALOBOX_BENCH_DIR="$TMP/control" run "$HALOBOX" bench import "$TMP/repack.tar.gz"
assert_rc 0
assert_eq "$(HALOBOX_BENCH_DIR="$TMP/control" "$HALOBOX" bench show "$lavapipe")" "$before_show" "bench show"
# Changed, with the manifest made to match: taken too (the sums are the
# check, not the packer), and the change is what lands.
python3 "$TAMPER" "$TMP/report-1.tar.gz" "$TMP/rehashed.tar.gz" edit-rehashed || t_fail "tamper"
HALOBOX_BENCH_DIR="$TMP/control2" run "$HALOBOX" bench import "$TMP/rehashed.tar.gz"
assert_rc 0
assert_eq "$(HALOBOX_BENCH_DIR="$TMP/control2" "$HALOBOX" bench ls --json | jq -r '.[0].status')" failed
# The manifest last: the members before it wait for it and are checked.
python3 "$TAMPER" "$TMP/report-1.tar.gz" "$TMP/mlast.tar.gz" manifest-last || t_fail "tamper manifest-last"
HALOBOX_BENCH_DIR="$TMP/control4" run "$HALOBOX" bench import "$TMP/mlast.tar.gz"
assert_rc 0
assert_eq "$(HALOBOX_BENCH_DIR="$TMP/control4" "$HALOBOX" bench show "$lavapipe")" "$before_show" "bench show"
# Unpacked and packed again with GNU tar: directory order, directory
# entries, another owner and time. Taken as it is.
mkdir -p "$TMP/retar"
tar -xzf "$TMP/report-1.tar.gz" -C "$TMP/retar"
(cd "$TMP/retar" && tar --owner=1234 --group=1234 -czf "$TMP/retar.tar.gz" report-1) || t_fail "tar -czf"
HALOBOX_BENCH_DIR="$TMP/control5" run "$HALOBOX" bench import "$TMP/retar.tar.gz"
assert_rc 0
assert_clean_stderr
assert_eq "$(HALOBOX_BENCH_DIR="$TMP/control5" "$HALOBOX" bench compare "$radv" "$lavapipe")" "$before_cmp" "bench compare"
# A member changed after the manifest, the manifest last: still refused.
python3 "$TAMPER" "$TMP/report-1.tar.gz" "$TMP/edit-first.tar.gz" edit &&
    python3 "$TAMPER" "$TMP/edit-first.tar.gz" "$TMP/mlast-edit.tar.gz" manifest-last || t_fail "tamper edit"
assert_eq "$(tar -tzf "$TMP/mlast-edit.tar.gz" | tail -n 1)" report-1/manifest.json "last member"
HALOBOX_BENCH_DIR="$TMP/control6" run "$HALOBOX" bench import "$TMP/mlast-edit.tar.gz"
assert_rc 3
assert_contains "$err" "does not match its sha256 in the manifest"
[ ! -e "$TMP/control6" ] || t_fail "the store was made"
# Directory entries for the bundle's own directories, as tar -c adds them.
python3 "$TAMPER" "$TMP/report-1.tar.gz" "$TMP/dirs.tar.gz" dirs || t_fail "tamper dirs"
HALOBOX_BENCH_DIR="$TMP/control3" run "$HALOBOX" bench import "$TMP/dirs.tar.gz"
assert_rc 0
assert_clean_stderr
t_end

t_begin "bench import: a bad bundle is refused with one line, exit 3, nothing written"
fresh="$TMP/fresh"
export HALOBOX_BENCH_DIR="$fresh"
check_refused() { # FILE EXPECTED-ERROR
    run "$HALOBOX" bench import "$1"
    assert_rc 3
    assert_one_line_error
    assert_eq "$err" "halobox: $1: $2"
    [ ! -e "$fresh" ] || t_fail "$1: the store was made: $(ls -A "$fresh")"
    [ ! -e /tmp/halobox-evil.jsonl ] || t_fail "$1: wrote outside the store"
    [ ! -e "$TMP/evil.jsonl" ] || t_fail "$1: wrote outside the store"
}
first="report-1/runs/$radv.jsonl"
while IFS='|' read -r mode error; do
    python3 "$TAMPER" "$TMP/report-1.tar.gz" "$TMP/$mode.tar.gz" "$mode" || t_fail "tamper $mode"
    check_refused "$TMP/$mode.tar.gz" "$error"
done <<EOT
edit|member '$first' does not match its sha256 in the manifest
grow|member '$first' has $(($(stat -c %s "$TMP/x/$first") + 3)) bytes, the manifest says $(stat -c %s "$TMP/x/$first")
extra|member 'report-1/runs/extra.jsonl' is not in the manifest
traversal|member 'report-1/../../evil.jsonl' has a '..', '.' or empty path component
absolute|member '/tmp/halobox-evil.jsonl' has an absolute path
symlink|member '$first' is a symbolic link
hardlink|member '$first' is a hard link
device|member '$first' is a device
no-manifest|not a halobox bundle: no manifest.json
bad-schema|manifest.json is not of schema halobox.bundle/1
bad-dir|directory 'report-1/other/' is not in the layout
oversized|manifest member 'logs/$radv.log': size must be a whole number of bytes up to 16777216
oversized-lying|member 'report-1/logs/$radv.log' is larger than the cap of 16777216 bytes
bad-run|run $radv: line 1: not valid JSON
EOT
# Cut short, not compressed, not an archive, not there.
head -c $(($(stat -c %s "$TMP/report-1.tar.gz") - 100)) "$TMP/report-1.tar.gz" >"$TMP/cut.tar.gz"
run "$HALOBOX" bench import "$TMP/cut.tar.gz"
assert_rc 3
assert_one_line_error
assert_contains "$err" "halobox: $TMP/cut.tar.gz: damaged or cut short"
[ ! -e "$fresh" ] || t_fail "cut: the store was made"
gzip -dc "$TMP/report-1.tar.gz" >"$TMP/plain.tar"
check_refused "$TMP/plain.tar" "not a tar.gz bundle: not gzip-compressed"
cp "$FIX/kyuz0-fw1-vulkan_radv.log" "$TMP/log.tar.gz"
run "$HALOBOX" bench import "$TMP/log.tar.gz"
assert_rc 3
assert_one_line_error
assert_contains "$err" "halobox: $TMP/log.tar.gz: not a tar.gz bundle"
check_refused "$TMP/nosuch.tar.gz" "No such file or directory"
t_end

t_begin "bench import: a failure after staging leaves the store as it was"
# A store that holds one of the runs under another suffix only (a stray
# log): the bundle is refused before anything moves.
mkdir -p "$TMP/stray"
echo "old log" >"$TMP/stray/$lavapipe.log"
HALOBOX_BENCH_DIR="$TMP/stray" run "$HALOBOX" bench import "$TMP/report-1.tar.gz"
assert_rc 3
assert_eq "$err" "halobox: $TMP/report-1.tar.gz: run $lavapipe already in $TMP/stray: nothing imported"
assert_eq "$(ls -A "$TMP/stray")" "$lavapipe.log" "the store"
assert_eq "$(cat "$TMP/stray/$lavapipe.log")" "old log"
t_end

t_begin "bench export/import: usage and bad runs"
export HALOBOX_BENCH_DIR="$TMP/home"
for args in "export $radv" "export -o $TMP/x.tar.gz" "export $radv -o $TMP/x.zip" \
    "export $radv -o $TMP/.x.tar.gz" "export $radv --last 1 -o $TMP/y.tar.gz" \
    "import" "import a b" "import --bogus x" "export --last 0 -o $TMP/y.tar.gz"; do
    # shellcheck disable=SC2086
    run "$HALOBOX" bench $args
    [ "$rc" = 2 ] || t_fail "'bench $args': exit status $rc, expected 2 ($err)"
    assert_one_line_error
done
run "$HALOBOX" bench export nosuch -o "$TMP/y.tar.gz"
assert_rc 3
assert_one_line_error
assert_contains "$err" "no run 'nosuch'"
[ ! -e "$TMP/y.tar.gz" ] || t_fail "a bundle was written"
[ -z "$(ls "$TMP" | grep 'y.tar.gz.tmp')" ] || t_fail "a temporary file was left"
run "$HALOBOX" bench export "$radv" "$radv" -o "$TMP/y.tar.gz" --facts "$FACTS"
assert_rc 2
assert_contains "$err" "run $radv is named twice"
run "$HALOBOX" bench export "$radv" -o "$TMP/y.tar.gz" --facts "$TMP/nosuch.json"
assert_rc 3
assert_one_line_error
[ ! -e "$TMP/y.tar.gz" ] || t_fail "a bundle was written"
# --last N passes over a run file that does not load, and says so.
echo '{"not": "a run"}' >"$HALOBOX_BENCH_DIR/20991231T000000.000Z-ffff.jsonl"
run "$HALOBOX" bench export --last 1 -o "$TMP/z.tar.gz" --facts "$FACTS"
assert_rc 0
assert_contains "$err" "halobox: warning: skipped run 20991231T000000.000Z-ffff: line 1: not a halobox bench run"
assert_eq "$(tar -tzf "$TMP/z.tar.gz" | grep runs/)" "z/runs/$rocm.jsonl"
for v in export import; do
    run "$HALOBOX" bench "$v" --help
    assert_rc 0
    assert_contains "$out" "usage: halobox bench $v"
done
t_end
