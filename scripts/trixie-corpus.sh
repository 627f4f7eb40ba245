#!/usr/bin/env bash
# Builds the encoder's DKMS corpus again the way a DKMS build on Debian 13 ("trixie") compiles
# it: in a Debian 13 chroot (debootstrap), gcc 14 and Debian 13's own kernel headers
# (linux-headers-amd64: a 6.12.y+deb13 kbuild whose compiler is gcc 14), the packages of
# scripts/dkms-corpus.sh with their preparations, and kbuild-module.sh's BTF step: pahole v1.31
# and the headers' resolve_btfids. The modules' DWARF is gcc 14's, where the main corpus has
# gcc 12's. The .BTF of the headers' vmlinux is kept as OUTDIR/vmlinux.btf, the base that
# `npm run test:corpus` encodes these modules on (against test/golden/encoder/dkms-trixie.tsv,
# made by scripts/golden-encoder.sh), their kernel version as OUTDIR/kernel-version, and that
# kernel's image package in <corpus>/debs, so that `node dist/scripts/test-kernel.js --old
# 6.12.107+deb12-amd64 --new <that version>` loads some of them, encoded by btfkit, into it.
#
# usage: scripts/trixie-corpus.sh [OUTDIR] [PACKAGE...]
#        OUTDIR default: $BTFKIT_CORPUS or ~/.cache/btfkit/corpus, then /encoder-dkms-trixie.
#        The chroot (~2.7 GB) is kept in ~/.cache/btfkit/trixie-root for later runs; the .debs
#        are shared with dkms-corpus.sh (<corpus>/encoder-dkms/debs).
# needs: root (chroot, bind mounts), debootstrap, the Debian archive apt uses here (or
#        DEBIAN_MIRROR), pahole v1.31 from ../shared/oracle/build-pahole.sh (run from the chroot:
#        it needs only libelf, libdw and zlib, which Debian 13 has under the same sonames).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
oracle="$(cd "${BTFKIT_ORACLE:-$here/../shared/oracle}" && pwd)"
corpus="${BTFKIT_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus}"
out="${1:-$corpus/encoder-dkms-trixie}"
shift || true
pahole="${PAHOLE:-$HOME/.cache/btf-oracle/bin/pahole}"
root="${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/trixie-root"
[ "$(id -u)" = 0 ] || { echo "trixie-corpus: needs root (chroot)" >&2; exit 1; }
command -v debootstrap > /dev/null || { echo "trixie-corpus: needs debootstrap" >&2; exit 1; }
[ -x "$pahole" ] || { echo "trixie-corpus: no pahole v1.31 at $pahole (../shared/oracle/build-pahole.sh)" >&2; exit 1; }
. "$here/scripts/debian-mirror.sh"
mirror=$(debian_mirror trixie-corpus) || exit 1

if [ ! -x "$root/usr/bin/x86_64-linux-gnu-gcc-14" ]; then
	rm -rf "$root"
	debootstrap --variant=minbase \
		--include=gcc-14,gcc,libc6-dev,pkg-config,patch,make,binutils,bc,flex,bison,kmod,perl,python3,gawk,cpio,xz-utils,curl,ca-certificates,libelf1t64,libdw1t64,zlib1g \
		trixie "$root" "$mirror" > "$root.log" 2>&1 ||
		{ echo "trixie-corpus: debootstrap failed: $(tail -n1 "$root.log")" >&2; exit 1; }
fi

# the paths the build uses, at the same place inside (repository, oracle scripts, pahole, corpus)
mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2> /dev/null || umount -l "${mounts[$i]}" || true; done
}
trap cleanup EXIT
bind() {
	mkdir -p "$root$1"
	mount --bind "$1" "$root$1"
	mounts+=("$root$1")
}
mount -t proc proc "$root/proc"
mounts+=("$root/proc")
mkdir -p "$out" "$corpus/encoder-dkms/debs"
bind "$here"
bind "$oracle"
bind "$(dirname "$pahole")"
bind "$corpus"
cp /etc/resolv.conf "$root/etc/resolv.conf"

chroot "$root" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends linux-headers-amd64 > /dev/null' ||
	{ echo "trixie-corpus: could not install Debian 13's linux-headers-amd64" >&2; exit 1; }
kdir="$(ls -d "$root"/usr/src/linux-headers-*-amd64 | sort -V | tail -n1)"
kdir="${kdir#"$root"}"
echo "trixie-corpus: $(chroot "$root" x86_64-linux-gnu-gcc-14 --version | head -n1), ${kdir#/usr/src/linux-headers-}"
objcopy --dump-section .BTF="$out/vmlinux.btf.tmp" "$root$kdir/vmlinux" "$out/.junk" && rm -f "$out/.junk"
mv "$out/vmlinux.btf.tmp" "$out/vmlinux.btf"
echo "${kdir#/usr/src/linux-headers-}" > "$out/kernel-version"
# that kernel's image, where test-kernel.js finds it (--new <kernel-version>; the host's apt may
# not know Debian 13's packages)
kpkg="linux-image-${kdir#/usr/src/linux-headers-}-unsigned"
mkdir -p "$corpus/debs"
ls "$corpus/debs/${kpkg}_"*.deb > /dev/null 2>&1 || chroot "$root" sh -c "cd '$corpus/debs' && apt-get download -qq '$kpkg'" ||
	{ echo "trixie-corpus: could not download $kpkg" >&2; exit 1; }
[ -e "$out/debs" ] || ln -s "$corpus/encoder-dkms/debs" "$out/debs"

chroot "$root" env KDIR="$kdir" PAHOLE="$pahole" BTFKIT_ORACLE="$oracle" HOME="$HOME" \
	bash "$here/scripts/dkms-corpus.sh" "$out" "$@"
