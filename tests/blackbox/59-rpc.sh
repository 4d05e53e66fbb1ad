# llama.cpp RPC across machines, on this one machine: three network
# namespaces joined by veth pairs to a fourth that holds a bridge (two
# worker hosts and a main host, each with its own 10.77.x address), the
# workers started with 'halobox rpc-worker' in the cpu image inside their
# namespace (tests/blackbox/netns.sh), a synthetic model served by the main host's llama-server split
# across both, and a real completion through it. Then the faults: a worker
# that does not answer, one that speaks another protocol version, a worker
# stopped while the server uses it. Before that, the launcher side without
# podman: usage, the wildcard refusal, dry runs.
# Containers are published on the namespace's own address, as they would
# be on a real host.

. "$TOP/tests/blackbox/engine.sh"

export HALOBOX_STORE="$TMP/store"
M="tiny59-$$"
"$HALOBOX" models synth --preset tiny --name "$M" -q >/dev/null 2>&1
TAG="hb59-$$"

# A port nobody listens on (bound, then closed).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + $$ % 20000))
}

# ---- without podman ----------------------------------------------------------

t_begin "rpc-worker: a wildcard address is refused (exit 2) unless --allow-any-address"
run "$HALOBOX" rpc-worker --listen 0.0.0.0:50052 --dry-run
assert_rc 2
assert_one_line_error
assert_contains "$err" "--allow-any-address"
assert_contains "$err" "no authentication"
run "$HALOBOX" rpc-worker --listen '[::]:50052' --dry-run
assert_rc 2
run "$HALOBOX" rpc-worker --listen 0.0.0.0:50052 --allow-any-address --dry-run --recipe cpu
assert_rc 0
assert_contains "$err" "every interface"
assert_contains "$out" "--publish=0.0.0.0:50052:50052"
t_end

t_begin "rpc-worker --dry-run: published on the given address only, least privilege, no store"
run "$HALOBOX" rpc-worker --listen 10.77.0.2:50099 --recipe cpu --dry-run --cache --name "$TAG-dry"
assert_rc 0
for w in --cap-drop=all --security-opt=no-new-privileges --publish=10.77.0.2:50099:50099 \
    --label=halobox.intent=rpc-worker "--name=$TAG-dry" localhost/halobox/cpu: ggml-rpc-server \
    LLAMA_CACHE=/cache; do
    assert_contains "$out" "$w"
done
assert_not_contains "$out" ":/models:ro"
assert_not_contains "$out" "--privileged"
assert_contains "$err" "no authentication"
t_end

t_begin "rpc-worker and cluster: usage errors are one line with exit 2"
for args in "rpc-worker" "rpc-worker --listen 10.0.0.1" "rpc-worker --listen host.lan:1" \
    "rpc-worker --listen 10.0.0.1:0" "cluster" "cluster status" "cluster frob" \
    "cluster status --rpc 10.0.0.1" "cluster status --rpc a:1,a:1" "cluster status --rpc x:1 --timeout 0" \
    "serve $M --rpc 10.0.0.1:1, --dry-run"; do
    # shellcheck disable=SC2086
    run "$HALOBOX" $args
    assert_rc 2
    assert_one_line_error
done
t_end

t_begin "cluster status: a worker that is not there is 'down' within the timeout, exit 1"
p=$(free_port)
start=$(date +%s)
run "$HALOBOX" cluster status --rpc "127.0.0.1:$p" --json --recipe cpu
assert_rc 1
assert_eq "$(jqv "$out" '.workers[0].state')" down
assert_eq "$(jqv "$out" '.ok')" false
assert_eq "$(jqv "$out" '.engine.protocol')" 8.0.0
assert_contains "$(jqv "$out" '.workers[0].error')" "cannot connect"
[ $(($(date +%s) - start)) -le 10 ] || t_fail "took $(($(date +%s) - start)) s"
t_end

# A stand-in for a worker of another engine version: it answers HELLO
# with protocol 7.0.0 the way ggml-rpc-server frames it. No real llama.cpp
# of another version is obtainable on this machine (the Debian mirror's
# trixie-backports, forky and sid all carry ggml 0.27.0; see the notes).
# It also stands in for a worker that accepts and never answers.
fake_worker() { # PORT MODE(old-version|silent)
    python3 - "$1" "$2" <<'PY' &
import socket, struct, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(8); s.settimeout(60)
end = time.time() + 60
while time.time() < end:
    try: c, _ = s.accept()
    except OSError: break
    if mode == "silent":
        time.sleep(30); c.close(); continue
    hdr = c.recv(9)
    if len(hdr) == 9 and hdr[0] == 14:
        n = struct.unpack("<Q", hdr[1:])[0]
        if n: c.recv(n)
        c.sendall(struct.pack("<Q", 28) + bytes([7, 0, 0, 0]) + bytes(24))
        c.recv(1)
    c.close()
PY
    FAKE_PID=$!
    local i
    for i in $(seq 1 50); do
        (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
}

t_begin "serve --rpc: a worker of another protocol version is refused before loading (exit 1)"
if ! command -v python3 >/dev/null; then
    t_notrun "python3 is needed for the stand-in worker"
else
    p=$(free_port)
    fake_worker "$p" old-version
    run "$HALOBOX" serve "$M" --rpc "127.0.0.1:$p" --recipe cpu --port auto --name "$TAG-mm"
    assert_rc 1
    assert_contains "$err" "127.0.0.1:$p speaks protocol 7.0.0"
    assert_contains "$err" "(b11669, recipe cpu) 8.0.0"
    run "$HALOBOX" cluster status --rpc "127.0.0.1:$p" --recipe cpu --json
    assert_rc 1
    assert_eq "$(jqv "$out" '.workers[0].state')" mismatch
    assert_eq "$(jqv "$out" '.workers[0].protocol')" 7.0.0
    # --dry-run: the plan for every node, the mismatch as a note.
    run "$HALOBOX" serve "$M" --rpc "127.0.0.1:$p" --recipe cpu --dry-run
    assert_rc 0
    assert_contains "$out" "--rpc 127.0.0.1:$p"
    assert_contains "$out" "# worker 1 on 127.0.0.1: halobox rpc-worker --listen 127.0.0.1:$p --recipe cpu"
    assert_contains "$out" "#   answers: RPC protocol 7.0.0"
    assert_contains "$err" "speaks protocol 7.0.0"
    kill "$FAKE_PID" 2>/dev/null
    wait "$FAKE_PID" 2>/dev/null
    ! podman ps -a --format '{{.Names}}' 2>/dev/null | grep -q "^$TAG-mm" || t_fail "a container was started"
fi
t_end

t_begin "a worker that accepts and never answers: an error within the timeout, not a hang"
if ! command -v python3 >/dev/null; then
    t_notrun "python3 is needed for the stand-in worker"
else
    p=$(free_port)
    fake_worker "$p" silent
    start=$(date +%s)
    run "$HALOBOX" cluster status --rpc "127.0.0.1:$p" --timeout 2 --recipe cpu
    assert_rc 1
    assert_contains "$out" "no answer within 2000 ms"
    [ $(($(date +%s) - start)) -le 6 ] || t_fail "took $(($(date +%s) - start)) s"
    kill "$FAKE_PID" 2>/dev/null
    wait "$FAKE_PID" 2>/dev/null
fi
t_end

t_begin "a worker name whose DNS server never answers: an error within the timeout, not a hang"
# A private mount and network namespace whose resolv.conf names a DNS
# server on its own loopback that reads queries and never replies (the
# resolver would wait 30 s for it); the name is in no hosts file.
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v python3 >/dev/null; then
    t_notrun "needs root, unshare (util-linux) and python3 for a private resolv.conf"
else
    printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:1\n' >"$TMP/resolv.conf"
    cat >"$TMP/silent-dns.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
sys.stdout.write("ready\n"); sys.stdout.flush()
s.settimeout(20)
try:
    while True:
        s.recvfrom(512)  # swallowed, never answered
except socket.timeout:
    pass
PY
    start=$(date +%s)
    run unshare --mount --net sh -c '
        ip link set lo up && mount --bind "$1" /etc/resolv.conf || exit 99
        python3 "$2" >"$3" & dns=$!
        for i in 1 2 3 4 5 6 7 8 9 10; do grep -q ready "$3" 2>/dev/null && break; sleep 0.2; done
        "$4" cluster status --rpc worker.halobox-test.invalid:50052 --timeout 2 --recipe cpu
        rc=$?; kill $dns 2>/dev/null; exit $rc' sh \
        "$TMP/resolv.conf" "$TMP/silent-dns.py" "$TMP/dns.ready" "$HALOBOX"
    took=$(($(date +%s) - start))
    if [ "$rc" = 99 ]; then
        t_notrun "cannot set up the private namespace here: $(printf '%s' "$err" | head -n 1)"
    else
        assert_rc 1
        assert_contains "$out" "cannot resolve 'worker.halobox-test.invalid': no answer within 2000 ms"
        [ "$took" -le 6 ] || t_fail "took $took s"
    fi
fi
t_end

t_begin "serve --rpc: a worker that is down stops it before anything starts (exit 4)"
p=$(free_port)
run "$HALOBOX" serve "$M" --rpc "127.0.0.1:$p" --recipe cpu --port auto --name "$TAG-down"
assert_rc 4
assert_one_line_error
assert_contains "$err" "RPC worker 127.0.0.1:$p does not answer"
assert_contains "$err" "halobox rpc-worker --listen 127.0.0.1:$p"
t_end

# ---- network namespaces, real workers ---------------------------------------

podman_setup
. "$TOP/tests/blackbox/netns.sh"
NS_OK=yes
if [ "$PODMAN_OK" != yes ]; then
    NS_OK="$PODMAN_OK"
elif [ "$(ns_usable)" != yes ]; then
    NS_OK=$(ns_usable)
elif ! ensure_image cpu >/dev/null; then
    NS_OK="$IMAGE_ERR"
fi
PORT_W=$((50100 + $$ % 800))
ns_cleanup() {
    local c
    ns_teardown "$TAG-main" "$TAG-w1" "$TAG-w2"
    for c in $(podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^$TAG-"); do
        podman rm -f -t 0 "$c" >/dev/null 2>&1
    done
}

t_begin "rpc-worker in two namespaces: each answers on its own address with its device and memory"
if [ "$NS_OK" = yes ]; then
    trap ns_cleanup EXIT
    ns_setup || NS_OK="cannot create the network namespaces"
fi
if [ "$NS_OK" != yes ]; then
    t_notrun "$NS_OK"
else
    run in_ns "$NS_W1" "$HALOBOX" rpc-worker --listen "$NET.2:$PORT_W" --recipe cpu --detach --name "$TAG-w1"
    assert_rc 0
    assert_contains "$out" "$NET.2:$PORT_W: RPC protocol 8.0.0, 1 device"
    assert_contains "$out" "GiB free of"
    assert_contains "$out" "device: CPU"
    run in_ns "$NS_W2" "$HALOBOX" rpc-worker --listen "$NET.3:$PORT_W" --recipe cpu --detach --name "$TAG-w2"
    assert_rc 0
    # A halobox container like a server: ps lists it.
    run "$HALOBOX" ps --json
    assert_rc 0
    assert_eq "$(jqv "$out" "[.[] | select(.name == \"$TAG-w1\")] | .[0].intent")" rpc-worker
    run "$HALOBOX" ps
    assert_contains "$out" "rpc $NET.2:$PORT_W"
    # Published on its namespace's address only: not on the main host's
    # loopback, not on the other worker's address.
    run in_ns "$NS_M" "$HALOBOX" cluster status --rpc "$NET.2:$PORT_W,$NET.3:$PORT_W" --json --recipe cpu
    assert_rc 0
    assert_eq "$(jqv "$out" '[.workers[].state] | join(",")')" "ok,ok"
    assert_eq "$(jqv "$out" '.workers[0].protocol')" 8.0.0
    [ "$(jqv "$out" '.workers[1].free_bytes')" -gt 0 ] || t_fail "no free memory reported"
    run in_ns "$NS_M" "$HALOBOX" cluster status --rpc "127.0.0.1:$PORT_W,$NET.1:$PORT_W" --timeout 2 --recipe cpu
    assert_rc 1
    assert_not_contains "$out" " ok "
fi
t_end

t_begin "serve --rpc across the namespaces: the model split over both workers, a real completion"
if [ "$NS_OK" != yes ]; then
    t_notrun "$NS_OK"
else
    RPCS="$NET.2:$PORT_W,$NET.3:$PORT_W"
    run in_ns "$NS_M" "$HALOBOX" serve "$M" --rpc "$RPCS" --recipe cpu --dry-run
    assert_rc 0
    assert_contains "$out" "--rpc $RPCS"
    assert_contains "$out" "# worker 2 on $NET.3: halobox rpc-worker --listen $NET.3:$PORT_W --recipe cpu"
    assert_contains "$out" "#   answers: RPC protocol 8.0.0, 1 device,"
    assert_contains "$err" "2 RPC workers with"
    # run: one completion on the main host, its layers on the workers.
    run in_ns "$NS_M" "$HALOBOX" run "$M" "hello" --rpc "$RPCS" --recipe cpu -q -- -n 4 --seed 1
    assert_rc 0
    [ -n "$out" ] || t_fail "run --rpc printed no completion"
    # In the foreground, as a user would: the URL on stdout, and when the
    # engine dies, the error on stderr.
    # -lv 4: llama.cpp logs where each buffer went.
    in_ns "$NS_M" "$HALOBOX" serve "$M" --rpc "$RPCS" --recipe cpu --port auto --name "$TAG-main" \
        --timeout 240 -- -lv 4 >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVE_PID=$!
    for _ in $(seq 1 480); do
        [ -s "$TMP/serve.out" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.5
    done
    url=$(head -n 1 "$TMP/serve.out")
    assert_contains "$url" "http://127.0.0.1:"
    if [ -n "$url" ]; then
        logs=$("$HALOBOX" logs "$TAG-main" 2>&1)
        # llama.cpp's own account of where the weights went: both workers.
        assert_contains "$logs" "[$NET.2:$PORT_W] model buffer size"
        assert_contains "$logs" "[$NET.3:$PORT_W] model buffer size"
        resp=$(in_ns "$NS_M" curl -s --noproxy '*' --max-time 120 -H 'Content-Type: application/json' \
            -d '{"prompt":"hello","n_predict":8,"temperature":0,"seed":1}' "${url%/v1}/v1/completions")
        assert_eq "$(jqv "$resp" '.usage.completion_tokens')" 8 "completion tokens"
        # ---- a worker stopped while the server uses it ----
        in_ns "$NS_W2" podman rm -f -t 0 "$TAG-w2" >/dev/null 2>&1
        start=$(date +%s)
        resp=$(in_ns "$NS_M" curl -s --noproxy '*' --max-time 60 -H 'Content-Type: application/json' \
            -d '{"prompt":"hello again","n_predict":8,"temperature":0}' "${url%/v1}/v1/completions")
        rc_curl=$?
        [ "$rc_curl" != 0 ] || [ -z "$(jqv "$resp" '.usage.completion_tokens // empty')" ] ||
            t_fail "a completion succeeded without its worker: $resp"
        # halobox serve sees the engine die and says so, within a bound.
        for _ in $(seq 1 120); do
            kill -0 "$SERVE_PID" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$SERVE_PID" 2>/dev/null; then
            t_fail "halobox serve still running $(($(date +%s) - start)) s after the worker stopped"
            kill "$SERVE_PID"
        fi
        wait "$SERVE_PID"
        assert_eq "$?" 4 "serve's exit status"
        serr=$(cat "$TMP/serve.err")
        assert_contains "$serr" "the engine serving '$M' exited"
        assert_contains "$serr" "RPC"
        [ $(($(date +%s) - start)) -le 70 ] || t_fail "the error took $(($(date +%s) - start)) s"
    fi
    kill "$SERVE_PID" 2>/dev/null
    wait "$SERVE_PID" 2>/dev/null
fi
t_end

t_begin "logs and stop handle a worker like a server"
if [ "$NS_OK" != yes ]; then
    t_notrun "$NS_OK"
else
    run "$HALOBOX" logs "$TAG-w1"
    assert_rc 0
    assert_contains "$out$err" "Starting RPC server"
    run in_ns "$NS_W1" "$HALOBOX" stop "$TAG-w1"
    assert_rc 0
    ! podman ps -a --format '{{.Names}}' | grep -qx "$TAG-w1" || t_fail "$TAG-w1 still there"
fi
t_end

if [ "$NS_OK" = yes ]; then
    ns_cleanup
    trap - EXIT
fi
