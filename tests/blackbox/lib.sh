# Shared helpers for the black-box tests: each tests/blackbox/*.sh file is
# sourced by tests/run-all in a subshell with HALOBOX (the binary under test),
# TOP (the repository), and a fresh empty TMP directory per file.
# A test is:   t_begin "what it checks"; ...assertions...; t_end
# A test that cannot run here:   t_notrun "why"   (counted, never silent)

t_name=""
t_failed=0

t_begin() {
    t_name="$1"
    t_failed=0
}

t_fail() {
    printf 'FAIL %s: %s\n' "$t_name" "$*" >&2
    t_failed=1
}

t_end() {
    if [ "$t_failed" = 0 ]; then
        printf 'ok - %s\n' "$t_name"
        echo pass >>"$RESULTS"
    else
        printf 'not ok - %s\n' "$t_name"
        echo fail >>"$RESULTS"
    fi
}

t_notrun() {
    printf 'not run - %s: %s\n' "$t_name" "$*"
    echo notrun >>"$RESULTS"
}

# run CMD...: runs it, keeping stdout in $out, stderr in $err, status in $rc.
run() {
    out=$("$@" 2>"$TMP/stderr") && rc=0 || rc=$?
    err=$(cat "$TMP/stderr")
}

assert_rc() {
    [ "$rc" = "$1" ] || t_fail "exit status $rc, expected $1 (stderr: $(printf '%s' "$err" | head -c 400))"
}

assert_contains() { # haystack needle
    case "$1" in *"$2"*) ;; *) t_fail "expected to find '$2' in: $(printf '%s' "$1" | head -c 600)" ;; esac
}

assert_not_contains() {
    case "$1" in *"$2"*) t_fail "did not expect '$2' in: $(printf '%s' "$1" | head -c 600)" ;; *) ;; esac
}

assert_eq() { # actual expected [what]
    [ "$1" = "$2" ] || t_fail "${3:-value}: got '$1', expected '$2'"
}

# jqv JSON FILTER: one jq value, raw.
jqv() {
    printf '%s' "$1" | jq -r "$2"
}

# One line on stderr, no sanitizer report, no crash.
assert_one_line_error() {
    assert_not_contains "$err" "Sanitizer"
    assert_not_contains "$err" "runtime error"
    [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || t_fail "expected one line on stderr, got: $err"
}

assert_clean_stderr() {
    assert_not_contains "$err" "Sanitizer"
    assert_not_contains "$err" "runtime error"
}
