# Real host captures, judged from their facts files: every
# tests/fixtures/facts/<capture>.facts.json is run through
# `doctor --json --facts` and `inspect --json --facts`, and the verdict is
# checked against <capture>.expected.json (copied verbatim from the shared
# host-data collection; tests/fixtures/facts/README.md cites each source):
#   must_find       every id there is among the findings
#   must_not_find   no id there is among the findings
#   usable_gpu_memory_gib [lo, hi]   gpu_memory.usable_bytes / 2^30 inside
#                   (null: the capture cannot tell; only the run is checked)
#   backend         recommendation.backend (null: cannot tell, not checked)
#   family          inspect's gpus[0].family (null: not checked)
# and doctor's exit status is 1 exactly when a finding has severity error.

FACTS_DIR="$TOP/tests/fixtures/facts"
GIB=1073741824

# json_ok TEXT: true when TEXT is one JSON object.
json_ok() {
    printf '%s' "$1" | jq -e 'type == "object"' >/dev/null 2>&1
}

n_captures=0
for facts in "$FACTS_DIR"/*.facts.json; do
    [ -e "$facts" ] || continue
    name=$(basename "$facts" .facts.json)
    expected="$FACTS_DIR/$name.expected.json"
    n_captures=$((n_captures + 1))

    run "$HALOBOX" doctor --json --facts "$facts"
    doc_out=$out doc_err=$err doc_rc=$rc

    t_begin "$name: doctor --json runs, exit 1 exactly when a finding is an error"
    [ -r "$expected" ] || t_fail "no $expected beside $facts"
    out=$doc_out err=$doc_err rc=$doc_rc
    assert_clean_stderr
    if json_ok "$doc_out"; then
        errors=$(jqv "$doc_out" '[.findings[] | select(.severity == "error")] | length')
        if [ "$errors" -gt 0 ]; then assert_rc 1; else assert_rc 0; fi
        for key in gpu_memory findings recommendation; do
            [ "$(jqv "$doc_out" "has(\"$key\")")" = true ] || t_fail "no \"$key\" in doctor --json"
        done
        # Every finding has the four keys, a known severity and a message.
        bad=$(jqv "$doc_out" '[.findings[] | select((.id | type) != "string"
            or ([.severity] | inside(["ok","info","warn","error"]) | not)
            or (.message | type) != "string" or (.message | length) == 0
            or has("fix") == false) | .id] | join(" ")')
        [ -z "$bad" ] || t_fail "malformed findings: $bad"
    else
        t_fail "doctor --json printed no JSON object (exit $doc_rc): $(printf '%s' "$doc_out$doc_err" | head -c 300)"
    fi
    t_end

    have_json=false
    json_ok "$doc_out" && [ -r "$expected" ] && have_json=true

    t_begin "$name: every must_find id is found"
    if $have_json; then
        missing=$(printf '%s' "$doc_out" | jq -r --slurpfile e "$expected" \
            '($e[0].must_find // []) - [.findings[].id] | join(" ")')
        [ -z "$missing" ] || t_fail "missing: $missing (found: $(jqv "$doc_out" '[.findings[].id] | join(" ")'))"
    else
        t_fail "no doctor verdict to check"
    fi
    t_end

    t_begin "$name: no must_not_find id is found"
    if $have_json; then
        extra=$(printf '%s' "$doc_out" | jq -r --slurpfile e "$expected" \
            '[.findings[].id] as $have
             | [($e[0].must_not_find // [])[] | select(. as $x | $have | any(. == $x))]
             | unique | join(" ")')
        [ -z "$extra" ] || t_fail "found although ruled out: $extra"
    else
        t_fail "no doctor verdict to check"
    fi
    t_end

    t_begin "$name: usable GPU memory inside the expected range"
    if $have_json; then
        range=$(jq -r '.usable_gpu_memory_gib | if . == null then "null" else "\(.[0]) \(.[1])" end' "$expected")
        usable=$(jqv "$doc_out" '.gpu_memory.usable_bytes')
        if [ "$range" = null ]; then
            # The capture cannot tell: the value may be anything or null,
            # but it must be a byte count when it is given.
            case $usable in null | [0-9]*) ;; *) t_fail "usable_bytes is '$usable'" ;; esac
        else
            set -- $range
            verdict=$(printf '%s' "$doc_out" | jq -r --argjson lo "$1" --argjson hi "$2" \
                '.gpu_memory.usable_bytes as $u
                 | if ($u | type) != "number" then "not a number: \($u)"
                   elif ($u / '"$GIB"') >= $lo and ($u / '"$GIB"') <= $hi then "ok"
                   else "\($u / '"$GIB"') GiB" end')
            [ "$verdict" = ok ] || t_fail "usable_bytes $usable: $verdict, expected [$1, $2] GiB (limited_by $(jqv "$doc_out" .gpu_memory.limited_by))"
        fi
    else
        t_fail "no doctor verdict to check"
    fi
    t_end

    t_begin "$name: recommended backend"
    if $have_json; then
        want=$(jq -r '.backend' "$expected")
        got=$(jqv "$doc_out" '.recommendation.backend')
        [ "$want" = null ] || assert_eq "$got" "$want" "recommendation.backend"
        [ "$(jqv "$doc_out" '.recommendation | has("backend")')" = true ] ||
            t_fail "recommendation has no backend key"
    else
        t_fail "no doctor verdict to check"
    fi
    t_end

    t_begin "$name: inspect --json gives the GPU family"
    run "$HALOBOX" inspect --json --facts "$facts"
    assert_clean_stderr
    case $rc in 0) ;; *) t_fail "inspect exited $rc: $(printf '%s' "$err" | head -c 300)" ;; esac
    if json_ok "$out"; then
        assert_eq "$(jqv "$out" .schema)" "halobox.facts/1" "schema"
        want=$(jq -r '.family' "$expected" 2>/dev/null)
        [ -z "$want" ] || [ "$want" = null ] || assert_eq "$(jqv "$out" '.gpus[0].family')" "$want" "gpus[0].family"
        # inspect and doctor judge the same facts the same way.
        assert_eq "$(jqv "$out" '[.findings[].id] | join(" ")')" \
            "$(jqv "$doc_out" '[.findings[].id] | join(" ")')" "inspect vs doctor findings"
    else
        t_fail "inspect --json printed no JSON object"
    fi
    t_end
done

t_begin "facts captures: there are fixtures to check"
[ "$n_captures" -ge 10 ] || t_fail "only $n_captures captures under $FACTS_DIR"
t_end
