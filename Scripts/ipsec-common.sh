# Shared by Scripts/ipsec-tunnel-test and Scripts/ipsec-libreswan-test (sourced, not run): two network namespaces
# joined by a veth pair, the test authority on loopback serving the peers' IPSECKEY records, strongSwan's charon in
# a namespace, and cleanup of everything started (by PID) and of the namespaces.
#
# The sourcing script sets before sourcing: NAME (for messages), BIN (holds ipseckey-verify, ipseckey-testbed),
# WORK (a fresh directory), and optionally IPSEC_DNS_ADDR (the test authority's loopback address).
NET="${TESTBED_NET:-127.53}"
DNS_ADDR="${IPSEC_DNS_ADDR:-$NET.77.1}"   # each script its own, so they can run side by side
DNS_PORT=53
TAG="ipsec$$"
NS_A="$TAG-a"; NS_B="$TAG-b"
A_OUT=198.51.100.1; B_OUT=198.51.100.2
A_IN=10.63.1.1; B_IN=10.63.2.1
PIDS=()

skip() { echo "$NAME: SKIP: $*" >&2; exit 77; }
fail() { echo "$NAME: FAIL: $*" >&2; dump_logs; exit 1; }
step() { echo "$NAME: $*" >&2; }

dump_logs() {
    local f
    for f in "$WORK"/*/charon.log "$WORK"/*/pluto.log "$WORK"/testbed*.log; do
        [[ -f "$f" ]] && { echo "--- $f (last 25 lines)" >&2; tail -25 "$f" >&2; }
    done
    return 0
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    if [[ -n "${KEEP_WORK:-}" ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}

# The namespaces and the veth pair: A_OUT/B_OUT on the veth, A_IN/B_IN on each side's loopback.
make_namespaces() {
    ip netns add "$NS_A" || skip "cannot create network namespaces"
    ip netns add "$NS_B"
    ip link add "$TAG-va" netns "$NS_A" type veth peer name "$TAG-vb" netns "$NS_B" || fail "cannot create the veth pair"
    ip -n "$NS_A" addr add "$A_OUT/24" dev "$TAG-va"; ip -n "$NS_B" addr add "$B_OUT/24" dev "$TAG-vb"
    ip -n "$NS_A" addr add "$A_IN/32" dev lo;         ip -n "$NS_B" addr add "$B_IN/32" dev lo
    local ns
    for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_A" link set "$TAG-va" up; ip -n "$NS_B" link set "$TAG-vb" up
    ip netns exec "$NS_A" ping -c 1 -W 2 "$B_OUT" >/dev/null || fail "veth pair does not carry traffic"
}

# start_testbed LOG [serve arguments...]: the test authority on DNS_ADDR:DNS_PORT, anchors in WORK/anchors.
start_testbed() {
    local log="$1"; shift
    rm -f "$WORK/anchors/testbed.env"
    "$BIN/ipseckey-testbed" serve --address "$DNS_ADDR" --port "$DNS_PORT" --anchor-dir "$WORK/anchors" \
        "$@" > "$WORK/$log" 2>&1 &
    TESTBED_PID=$!
    PIDS+=("$TESTBED_PID")
    for _ in $(seq 1 600); do
        [[ -s "$WORK/anchors/testbed.env" ]] && return 0
        kill -0 "$TESTBED_PID" 2>/dev/null || fail "testbed exited: $(cat "$WORK/$log")"
        sleep 0.1
    done
    fail "testbed did not start within 60 s"
}
stop_testbed() {
    kill -TERM "$TESTBED_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$TESTBED_PID" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$TESTBED_PID" 2>/dev/null || true
}

# write_strongswan_conf SIDE: charon's own configuration in WORK/SIDE (kernel-libipsec, vici socket, log file).
write_strongswan_conf() {
    local d="$WORK/$1"
    cat > "$d/strongswan.conf" <<CONF
charon {
    load = random nonce openssl pem pkcs1 pkcs8 pubkey x509 sha1 sha2 hmac aes gcm kdf curve25519 kernel-libipsec kernel-netlink socket-default vici
    install_routes = yes
    # One address family, one veth: nothing else to look at.
    interfaces_use = $TAG-va,$TAG-vb,ipsec0,lo
    filelog {
        log {
            path = $d/charon.log
            time_format = %T
            default = 1
            ike = 2
            cfg = 2
        }
    }
    plugins {
        vici { socket = unix://$d/charon.vici }
        kernel-libipsec { allow_peer_ts = no }
    }
}
charon-systemd {
    journal { default = -1 }
}
CONF
}

CHARON=/usr/sbin/charon-systemd
# start_charon SIDE NAMESPACE: charon with WORK/SIDE/strongswan.conf, until its vici socket exists.
start_charon() {
    local d="$WORK/$1"
    ip netns exec "$2" env STRONGSWAN_CONF="$d/strongswan.conf" "$CHARON" > "$d/charon.out" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do
        [[ -S "$d/charon.vici" ]] && return 0
        kill -0 "$pid" 2>/dev/null || fail "charon ($1) exited: $(cat "$d/charon.out")"
        sleep 0.1
    done
    fail "charon ($1) opened no vici socket"
}
# swan SIDE NAMESPACE COMMAND ARGS...: swanctl against that side's charon (the command first, then --uri).
swan() {
    local side="$1" ns="$2" command="$3"; shift 3
    ip netns exec "$ns" swanctl "$command" --uri "unix://$WORK/$side/charon.vici" "$@"
}

# The strongSwan tools a test needs, or skip.
need_strongswan() {
    local tool
    for tool in "$CHARON" swanctl pki ip ping; do
        command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (Scripts/deps)"
    done
    [[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ]] || skip "kernel-libipsec plugin missing (libcharon-extra-plugins)"
    [[ -c /dev/net/tun ]] || skip "no /dev/net/tun"
}
