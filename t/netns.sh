# t/netns.sh - network namespaces for multi-host tests, one bridge joining
# them.  Sourced after t/lib.sh (and after sandbox).
#   ns_init TAG       skips the test unless root, iproute2 and `ip netns`
#                     work; makes the hub namespace holding bridge br0;
#                     installs the EXIT trap that removes every namespace
#                     (then runs t/lib.sh's _cleanup)
#   ns_host NAME IP   a namespace for host NAME, its lo up, joined to the
#                     bridge by a veth pair, eth0 = IP/24
#   ns_resolver NAME IP   /etc/netns/<ns>/resolv.conf naming IP
#   ns_exec NAME CMD...   run CMD inside NAME's namespace
#   ns_cleanup        kill every process of every namespace, delete them
# Names are TAG$$-NAME so parallel runs never meet; veth names stay under
# 15 bytes (c<pid>h<n> / c<pid>b<n>).  Every wait is bounded.
_ns_list=""
_ns_n=0
NS_TAG=""

ns_init() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"
	command -v ip >/dev/null 2>&1 || skip_all "no ip (iproute2)"
	NS_TAG=$1$$
	ip netns add "$NS_TAG-hub" 2>/dev/null || skip_all "ip netns add failed (no privilege?)"
	_ns_list="$NS_TAG-hub"
	trap 'rc0=$?; ns_cleanup; (exit $rc0); _cleanup' EXIT
	ip netns exec "$NS_TAG-hub" ip link set lo up &&
	    ip netns exec "$NS_TAG-hub" ip link add br0 type bridge &&
	    ip netns exec "$NS_TAG-hub" ip link set br0 up ||
	    skip_all "cannot make a bridge in a namespace"
}

ns_host() {
	_ns=$NS_TAG-$1
	_ns_n=$((_ns_n + 1))
	_vh=c$$h$_ns_n; _vb=c$$b$_ns_n
	ip netns add "$_ns" || return 1
	_ns_list="$_ns_list $_ns"
	ip link add "$_vh" type veth peer name "$_vb" || return 1
	ip link set "$_vh" netns "$_ns" || return 1
	ip link set "$_vb" netns "$NS_TAG-hub" || return 1
	ip netns exec "$NS_TAG-hub" ip link set "$_vb" master br0 up || return 1
	ip netns exec "$_ns" ip link set lo up || return 1
	ip netns exec "$_ns" ip link set "$_vh" name eth0 || return 1
	ip netns exec "$_ns" ip addr add "$2/24" dev eth0 || return 1
	ip netns exec "$_ns" ip link set eth0 up
}

ns_resolver() {
	mkdir -p "/etc/netns/$NS_TAG-$1" &&
	    printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$2" \
	    >"/etc/netns/$NS_TAG-$1/resolv.conf"
}

ns_exec() {
	_ns=$NS_TAG-$1; shift
	ip netns exec "$_ns" "$@"
}

# ns_pids NAME: the processes in the namespace (none when it is gone).
ns_pids() { ip netns pids "$NS_TAG-$1" 2>/dev/null; }

ns_cleanup() {
	for _n in $_ns_list; do
		ip netns pids "$_n" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	_i=0
	while [ $_i -lt 30 ]; do
		_left=""
		for _n in $_ns_list; do _left="$_left$(ip netns pids "$_n" 2>/dev/null)"; done
		[ -z "$_left" ] && break
		sleep 0.1; _i=$((_i + 1))
	done
	for _n in $_ns_list; do
		ip netns pids "$_n" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	for _n in $_ns_list; do
		ip netns del "$_n" 2>/dev/null
		rm -rf "/etc/netns/$_n"
	done
	_ns_list=""
}
