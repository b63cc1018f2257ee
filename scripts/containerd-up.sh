#!/usr/bin/env bash
# Bring up a throw-away containerd 1.6 (Debian's) with its CRI plugin, runc,
# cgroupfs cgroups and a bridge CNI network, all under one lab directory, plus
# two OCI images built locally from busybox-static (there is no registry):
#   localhost/pause:local    pod sandbox image ("sleep inf")
#   localhost/busybox:local  general image (busybox applets, /bin/sh entrypoint)
#
# Usage (as root):  scripts/containerd-up.sh
#   Progress goes to stderr; the LAST line of stdout is the CRI endpoint,
#   e.g. unix:///tmp/statelet-containerd/containerd.sock
# Env:
#   STATELET_CONTAINERD_DIR        lab dir (default /tmp/statelet-containerd)
#   STATELET_CONTAINERD_NO_APT=1   never call apt; fail if something is missing
#   STATELET_CONTAINERD_RESTART=1  restart even if a healthy instance is up
#   STATELET_CONTAINERD_SNAPSHOTTER  overlayfs|native (default: overlayfs if an overlay mount works)
#   STATELET_CONTAINERD_POD_CIDR   bridge range (default 10.98.0.0/16)
#   STATELET_CONTAINERD_BRIDGE     bridge name (default statelet0)
# Undo with scripts/containerd-down.sh (same STATELET_CONTAINERD_DIR).
#
# Running it again while the lab's containerd is up and answering reuses it
# (prints the same endpoint); a half-dead lab is torn down and rebuilt.
set -euo pipefail

LAB=${STATELET_CONTAINERD_DIR:-/tmp/statelet-containerd}
SNAP=${STATELET_CONTAINERD_SNAPSHOTTER:-auto}
POD_CIDR=${STATELET_CONTAINERD_POD_CIDR:-10.98.0.0/16}
BRIDGE=${STATELET_CONTAINERD_BRIDGE:-statelet0}
NETWORK=$BRIDGE
SOCK="$LAB/containerd.sock"
ENDPOINT="unix://$SOCK"
PAUSE_REF=localhost/pause:local
BUSYBOX_REF=localhost/busybox:local
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[containerd-up %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[containerd-up] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "containerd needs Linux (this is $(uname -s))"
[ "$(id -u)" = 0 ] || die "must run as root (containerd, runc and CNI need it); uid is $(id -u)"

# ---------------------------------------------------------------- 0. already up?
lab_pid_alive() {
  local pid
  [ -f "$LAB/containerd.pid" ] || return 1
  pid=$(cat "$LAB/containerd.pid")
  [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "containerd --config $LAB/config.toml"
}
images_present() {
  local l
  l=$(ctr --address "$SOCK" -n k8s.io images ls -q 2>/dev/null) || return 1
  grep -qx "$PAUSE_REF" <<<"$l" && grep -qx "$BUSYBOX_REF" <<<"$l"
}
if lab_pid_alive; then
  if [ "${STATELET_CONTAINERD_RESTART:-0}" != 1 ] && [ -S "$SOCK" ] && ctr --address "$SOCK" version >/dev/null 2>&1 && images_present; then
    log "reusing containerd pid $(cat "$LAB/containerd.pid") from $LAB"
    echo "$ENDPOINT"
    exit 0
  fi
  log "containerd from $LAB is up but unhealthy (or restart asked): tearing it down first"
  STATELET_CONTAINERD_DIR="$LAB" STATELET_CONTAINERD_BRIDGE="$BRIDGE" bash "$HERE/containerd-down.sh" >&2 || true
elif [ -e "$LAB" ]; then
  # leftovers of a lab whose containerd died (mounts, shims, bridge): clean first
  log "stale $LAB found: cleaning it first"
  STATELET_CONTAINERD_DIR="$LAB" STATELET_CONTAINERD_BRIDGE="$BRIDGE" bash "$HERE/containerd-down.sh" >&2 || true
fi

# ---------------------------------------------------------------- 1. packages
PKGS=(containerd runc containernetworking-plugins busybox-static iproute2 util-linux)
need=()
if command -v dpkg >/dev/null; then
  for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
else
  for b in containerd ctr runc busybox ip findmnt; do command -v "$b" >/dev/null || need+=("$b"); done
fi
if [ ${#need[@]} -gt 0 ]; then
  [ "${STATELET_CONTAINERD_NO_APT:-0}" != 1 ] || die "missing ${need[*]} and STATELET_CONTAINERD_NO_APT=1 forbids apt"
  command -v apt-get >/dev/null || die "missing ${need[*]} and apt-get is unavailable: install them (${PKGS[*]}) by hand"
  log "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 || die "apt-get install ${need[*]} failed"
fi
for b in containerd ctr runc busybox sha256sum tar ip findmnt setsid; do
  command -v "$b" >/dev/null || die "missing $b"
done
[ -x /usr/lib/cni/bridge ] || die "missing /usr/lib/cni/bridge (package containernetworking-plugins)"
BUSYBOX_BIN=$(command -v busybox)
# It is the only binary in the image, so it must be the static build.
if [ -x /bin/busybox ] && command -v file >/dev/null && ! file -L "$BUSYBOX_BIN" | grep -q 'statically linked'; then
  BUSYBOX_BIN=/bin/busybox
fi

mkdir -p "$LAB"/{root,state,runc,opt,images,cni/net.d,cni/ipam}
chmod 711 "$LAB"

# ---------------------------------------------------------------- 2. images
# One OCI image layout with two manifests sharing one uncompressed layer. The
# layer tar is reproducible (sorted, mtime 0, numeric owners) so its digest is
# stable across runs and machines with the same busybox.
build_images() {
  local w="$LAB/images/build" r a
  rm -rf "$w"; mkdir -p "$w/rootfs" "$w/oci/blobs/sha256"
  r="$w/rootfs"
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev,var/run,www}
  chmod 1777 "$r/tmp"
  install -m 0755 "$BUSYBOX_BIN" "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  printf 'ok\n' >"$r/www/index.html"

  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
      --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
      -C "$r" -cf "$w/layer.tar" .
  local layer_sha layer_size
  layer_sha=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
  layer_size=$(stat -c %s "$w/layer.tar")
  mv "$w/layer.tar" "$w/oci/blobs/sha256/$layer_sha"

  blob() { # stdin -> content-addressed blob; prints "sha size"
    local t="$w/blob.tmp" s
    cat >"$t"; s=$(sha256sum "$t" | cut -d' ' -f1)
    printf '%s %s\n' "$s" "$(stat -c %s "$t")"; mv "$t" "$w/oci/blobs/sha256/$s"
  }
  mkimage() { # ref entrypoint-json -> index descriptor json
    local ref=$1 ep=$2 cfg man
    cfg=$(printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"statelet containerd-up.sh"}],"created":"1970-01-01T00:00:00Z"}' "$ep" "$layer_sha" | blob)
    man=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "${cfg% *}" "${cfg#* }" "$layer_sha" "$layer_size" | blob)
    printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}' \
      "${man% *}" "${man#* }" "$ref" "${ref##*:}"
  }
  local d1 d2
  d1=$(mkimage "$PAUSE_REF" '["/bin/sleep","inf"]')
  d2=$(mkimage "$BUSYBOX_REF" '["/bin/sh"]')
  printf '{"imageLayoutVersion":"1.0.0"}' >"$w/oci/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' "$d1" "$d2" >"$w/oci/index.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$w/oci" -cf "$LAB/images/images.oci.tar" oci-layout index.json blobs
  rm -rf "$w"
  log "built $LAB/images/images.oci.tar (layer sha256:${layer_sha:0:12}, $layer_size bytes)"
}
build_images

# ---------------------------------------------------------------- 3. snapshotter
if [ "$SNAP" = auto ]; then
  t="$LAB/ovltest"; mkdir -p "$t"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null; then
    umount "$t/m"; SNAP=overlayfs
  else
    SNAP=native
  fi
  rm -rf "$t"
fi

# Without CAP_SYS_RESOURCE the kernel refuses a negative oom_score_adj, and
# every RunPodSandbox fails in runc ("can't get final child's PID from pipe:
# EOF") because the sandbox asks for -998. restrict_oom_score_adj clamps it.
RESTRICT_OOM=false
if ! sh -c 'echo -1 >/proc/self/oom_score_adj' 2>/dev/null; then RESTRICT_OOM=true; fi
log "snapshotter $SNAP, restrict_oom_score_adj $RESTRICT_OOM"

# ---------------------------------------------------------------- 4. config
cat >"$LAB/config.toml" <<EOF
version = 2
root = "$LAB/root"
state = "$LAB/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$SOCK"

[debug]
  level = "info"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$LAB/opt"

  [plugins."io.containerd.grpc.v1.cri"]
    # no registry: the sandbox image must be the imported one
    sandbox_image = "$PAUSE_REF"
    netns_mounts_under_state_dir = true
    restrict_oom_score_adj = $RESTRICT_OOM
    disable_apparmor = true
    enable_selinux = false
    systemd_cgroup = false
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"

    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$LAB/cni/net.d"
      max_conf_num = 1

    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "$SNAP"
      default_runtime_name = "runc"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"

        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$LAB/runc"
EOF

# bridge + host-local + loopback; no ipMasq, so no masquerading rules.
# portmap (hostPort -> the sandbox's port_mappings) only where iptables exists:
# its rules are removed with each sandbox, and without iptables it would fail them all.
PORTMAP=""
if command -v iptables >/dev/null 2>&1 && [ -x /usr/lib/cni/portmap ]; then
  PORTMAP=',
    { "type": "portmap", "capabilities": { "portMappings": true } }'
fi
# The network is named after the bridge: libcni caches results as
# /var/lib/cni/results/<network>-<id>-<ifname>, and containerd-down.sh
# removes only this lab's (another lab on its own bridge keeps its own).
# isGateway gives the bridge an address so the host reaches pod IPs directly.
cat >"$LAB/cni/net.d/10-statelet.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$LAB/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    { "type": "loopback" }$PORTMAP
  ]
}
EOF
cat /proc/sys/net/ipv4/ip_forward >"$LAB/ip_forward.orig"
printf '%s\n' "$BRIDGE" >"$LAB/bridge"
printf '%s\n' "$NETWORK" >"$LAB/network"
printf '%s\n' "$SNAP" >"$LAB/snapshotter"

# ---------------------------------------------------------------- 5. start
# The sh records its own PID and then execs containerd, so the PID file names
# containerd even when setsid has to fork (it does under job control).
rm -f "$LAB/containerd.pid"
t0=$(date +%s%N)
setsid sh -c 'echo $$ >"$1/containerd.pid"; exec containerd --config "$1/config.toml"' sh "$LAB" \
  </dev/null >"$LAB/containerd.log" 2>&1 &
for _ in $(seq 1 200); do [ -s "$LAB/containerd.pid" ] && break; sleep 0.01; done
[ -s "$LAB/containerd.pid" ] || die "containerd did not start (see $LAB/containerd.log)"
CTR=(ctr --address "$SOCK")
up=0
for _ in $(seq 1 300); do
  kill -0 "$(cat "$LAB/containerd.pid")" 2>/dev/null || { tail -30 "$LAB/containerd.log" >&2; die "containerd exited during start"; }
  if [ -S "$SOCK" ] && "${CTR[@]}" version >/dev/null 2>&1; then up=1; break; fi
  sleep 0.05
done
[ $up = 1 ] || die "containerd socket $SOCK never answered (see $LAB/containerd.log)"
"${CTR[@]}" plugins ls 2>/dev/null | awk '$1=="io.containerd.grpc.v1" && $2=="cri" && $NF=="ok"{f=1} END{exit !f}' \
  || { grep -i cri "$LAB/containerd.log" | tail -20 >&2; die "containerd's CRI plugin did not load"; }
for _ in $(seq 1 200); do
  grep -q 'Start streaming server' "$LAB/containerd.log" && break
  sleep 0.05
done
t1=$(date +%s%N)
log "containerd pid $(cat "$LAB/containerd.pid") up in $(( (t1 - t0) / 1000000 )) ms"

# ---------------------------------------------------------------- 6. import
# --snapshotter must match the CRI plugin's, or CRI sees the image but has no
# unpacked snapshot for it.
"${CTR[@]}" -n k8s.io images import --snapshotter "$SNAP" "$LAB/images/images.oci.tar" >/dev/null \
  || die "ctr images import failed"
images_present || die "images $PAUSE_REF / $BUSYBOX_REF not visible after import"
log "imported $PAUSE_REF and $BUSYBOX_REF"

cat >"$LAB/env.sh" <<EOF
export STATELET_CONTAINERD_DIR=$LAB
export STATELET_CONTAINERD_ENDPOINT=$ENDPOINT
EOF
echo "$ENDPOINT"
