# Network namespaces as separate hosts on this one machine (sourced by
# tests/blackbox/59-rpc.sh and tests/bench/rpc, not a test itself):
# NS_M (main, .1), NS_W1 (.2) and NS_W2 (.3), each joined by a veth pair to
# a bridge in a fourth namespace NS_SW, so the root namespace gets no new
# interface or address. Names carry the caller's PID; the subnet is
# 10.77.N.0/24.
#
# podman runs in a namespace through nsenter --net (ip netns exec remounts
# /sys, where runc then finds no cgroup mount). A container is removed from
# inside its namespace: podman undoes its network (CNI, iptables) in the
# namespace it runs in.

NS_ID=$(($$ % 100000))
NS_SW="h${NS_ID}sw" NS_M="h${NS_ID}m" NS_W1="h${NS_ID}w1" NS_W2="h${NS_ID}w2"
NET="10.77.$(($$ % 250 + 1))"

# Why the namespaces cannot be used here, or "yes".
ns_usable() {
    if [ "$(id -u)" != 0 ]; then
        echo "network namespaces need root"
    elif ! command -v ip >/dev/null || ! command -v nsenter >/dev/null; then
        echo "ip (iproute2) and nsenter (util-linux) are needed"
    else
        echo yes
    fi
}

in_ns() { # NS CMD...
    local n=$1
    shift
    nsenter --net="/run/netns/$n" "$@"
}

ns_setup() {
    ip netns add "$NS_SW" && ip -n "$NS_SW" link add br0 type bridge &&
        ip -n "$NS_SW" link set br0 up || return 1
    local n i=1
    for n in "$NS_M" "$NS_W1" "$NS_W2"; do
        ip netns add "$n" || return 1
        ip link add "${n}a" type veth peer name "${n}b" || return 1
        ip link set "${n}a" netns "$NS_SW" && ip link set "${n}b" netns "$n" || return 1
        ip -n "$NS_SW" link set "${n}a" master br0 && ip -n "$NS_SW" link set "${n}a" up || return 1
        ip -n "$n" addr add "$NET.$i/24" dev "${n}b" && ip -n "$n" link set "${n}b" up &&
            ip -n "$n" link set lo up || return 1
        i=$((i + 1))
    done
}

# ns_teardown NAME...: the named containers removed from inside each
# namespace, then the namespaces (their veth ends go with them).
ns_teardown() {
    local c n
    for n in "$NS_M" "$NS_W1" "$NS_W2"; do
        [ -e "/run/netns/$n" ] || continue
        for c in "$@"; do
            in_ns "$n" podman rm -f -t 0 "$c" >/dev/null 2>&1
        done
    done
    for n in "$NS_M" "$NS_W1" "$NS_W2" "$NS_SW"; do
        ip netns del "$n" 2>/dev/null
    done
}
