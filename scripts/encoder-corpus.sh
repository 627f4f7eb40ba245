#!/usr/bin/env bash
# Builds the encoder's parity corpus (issue 19): in-tree modules of Debian's linux-source-6.12
# and Debian's v4l2loopback-dkms, built as out-of-tree modules by Linux 6.12.118's kbuild with
# pahole v1.31 (../shared/oracle/kbuild-module.sh), so that each module has its pre-BTF
# M.prebtf.ko (btfkit's input) beside the final M.ko (pahole + resolve_btfids: the expected
# .BTF, .BTF.base and .BTF_ids).
#
# usage: scripts/encoder-corpus.sh [OUTDIR]   (default: $BTFKIT_CORPUS or ~/.cache/btfkit/corpus,
#        then /encoder); prints "<group>/<module>" lines of what it built.
# needs: apt packages linux-source-6.12 and linux-headers-6.12.118+deb12-amd64, pahole v1.31
#        from ../shared/oracle/build-pahole.sh, and a v4l2loopback source that builds on 6.12
#        (V4L2LOOPBACK_SRC, see below; skipped when there is none).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
oracle="${BTFKIT_ORACLE:-$here/../shared/oracle}"
corpus="${BTFKIT_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus}"
out="${1:-$corpus/encoder}"
src=/usr/src/linux-source-6.12.tar.xz
[ -f "$src" ] || { echo "encoder-corpus: $src missing (apt-get install linux-source-6.12)" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xJf "$src" -C "$work" --wildcards \
	'linux-source-6.12/net/ipv4/tcp_*.c' 'linux-source-6.12/net/ipv4/tcp_*.h' \
	'linux-source-6.12/drivers/net/dummy.c' 'linux-source-6.12/drivers/net/ifb.c' 'linux-source-6.12/drivers/net/nlmon.c' \
	'linux-source-6.12/drivers/hid/*' 'linux-source-6.12/fs/minix/*' 'linux-source-6.12/net/netfilter/xt_*.c' \
	'linux-source-6.12/drivers/usb/misc/*'
L="$work/linux-source-6.12"
failed=0

# group <name> <kbuild lines> -- <files...>: one kbuild run for the group's modules
group() {
	local name="$1" kbuild="$2"
	shift 3
	local dir="$work/src/$name"
	mkdir -p "$dir"
	cp "$@" "$dir/"
	printf '%s\n' "$kbuild" > "$dir/Kbuild"
	if [ -f "$out/$name/.done" ]; then echo "$name: cached"; return; fi
	rm -rf "$out/$name"
	if [ "${expect_refusal:-0}" = 1 ]; then
		if bash "$oracle/kbuild-module.sh" -o "$out/$name" "$dir" > "$out/$name.log" 2>&1; then
			echo "encoder-corpus: $name was expected to be refused by pahole" >&2; failed=$((failed + 1)); return 0
		fi
		grep -h "when creating distilled base" "$out/$name.log" "$out/$name/make.log" 2>/dev/null | head -n1 > "$out/$name/refused.txt"
		touch "$out/$name/.done"
		echo "$name: refused by pahole: $(cat "$out/$name/refused.txt")"
		return 0
	fi
	bash "$oracle/kbuild-module.sh" -o "$out/$name" "$dir" > "$work/$name.log" 2>&1 || {
		echo "encoder-corpus: $name failed to build (log: $out/$name.log)" >&2
		cp "$work/$name.log" "$out/$name.log"; failed=$((failed + 1)); return 0; }
	touch "$out/$name/.done"
	ls "$out/$name"/*.prebtf.ko | sed "s|.*/|$name/|; s|\.prebtf\.ko$||"
}

tcp=(bbr dctcp vegas westwood htcp highspeed hybla illinois scalable lp veno yeah nv cdg)
group tcp "$(for m in "${tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)" -- \
	$(for m in "${tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
# pahole refuses tcp_cubic (its split BTF would reference a base FUNC, which a distilled base
# cannot hold): kept apart, its M.prebtf.ko is the input of the refusal test.
expect_refusal=1 group tcp_cubic "obj-m += tcp_cubic.o" -- "$L"/net/ipv4/tcp_cubic.c
group net "obj-m += dummy.o ifb.o nlmon.o" -- "$L"/drivers/net/{dummy,ifb,nlmon}.c
hid=(ezkey keytouch gyration apple cherry chicony cypress belkin kensington petalynx)
group hid "$(for m in "${hid[@]}"; do echo "obj-m += hid-$m.o"; done)" -- \
	$(for m in "${hid[@]}"; do echo "$L/drivers/hid/hid-$m.c"; done) "$L/drivers/hid/hid-ids.h"
group minix "obj-m += minix.o
minix-objs := bitmap.o itree_v1.o itree_v2.o namei.o inode.o file.o dir.o" -- "$L"/fs/minix/*.c "$L"/fs/minix/*.h
xt=(mark comment length limit tcpmss multiport state connlimit hashlimit string)
group netfilter "$(for m in "${xt[@]}"; do echo "obj-m += xt_$m.o"; done)" -- \
	$(for m in "${xt[@]}"; do echo "$L/net/netfilter/xt_$m.c"; done)
usb=(cytherm trancevibrator usbsevseg emi26 idmouse)
group usb "$(for m in "${usb[@]}"; do echo "obj-m += $m.o"; done)" -- \
	$(for m in "${usb[@]}"; do echo "$L/drivers/usb/misc/$m.c"; done) "$L"/drivers/usb/misc/*.h
# Debian 12's v4l2loopback-dkms (0.12.7) predates Linux 6.12 (it calls strlcpy); Debian 13's
# 0.15.0 builds: point V4L2LOOPBACK_SRC at its usr/src/v4l2loopback-0.15.0 (dpkg-deb -x).
v4l="${V4L2LOOPBACK_SRC:-$(ls -d /usr/src/v4l2loopback-* 2>/dev/null | sort -V | tail -n1)}"
if [ -n "$v4l" ]; then
	group v4l2loopback "obj-m += v4l2loopback.o" -- "$v4l"/*.c "$v4l"/*.h
fi
[ "$failed" = 0 ] || { echo "encoder-corpus: $failed group(s) failed" >&2; exit 1; }
