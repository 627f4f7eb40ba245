#!/usr/bin/env bash
# The README's DKMS line run by the real DKMS: Debian 12's dkms builds two Debian DKMS packages
# for Debian's 6.12.118 kernel with `btfkit distill . --base /boot/vmlinuz-${kernelver}
# --in-place --quiet` appended to their dkms.conf MAKE line, then signs, compresses and stores
# the modules as it always does. Two cases:
#  - mimic 0.7.0 (a BTF_SET8 kfunc set) with the headers as Debian ships them: kbuild's own
#    pahole (Debian 12's 1.24) writes .BTF without .BTF.base, btfkit distills it and rewrites
#    .BTF_ids;
#  - v4l2loopback 0.13.2 with the headers' vmlinux hidden, as Ubuntu and Fedora ship their
#    headers: kbuild prints "Skipping BTF generation", btfkit encodes the BTF from the module's
#    DWARF (DKMS strips debug info only after MAKE).
# Each module DKMS stores must have .BTF and .BTF.base and DKMS's signature, and `btfkit check`
# must say it loads with its BTF on 6.12.118 and on 6.12.107; v4l2loopback's .BTF and .BTF.base
# must be byte-identical to kbuild + pahole v1.31's on the same sources (their digests in
# test/golden/encoder/dkms.tsv, row v4l2loopback-bpo12/v4l2loopback). The modules are copied to OUTDIR, then test-kernel.js
# --extra OUTDIR loads them into both real kernels. Everything the script adds to the system
# (the DKMS trees, /usr/src/<package>) is removed at the end, and the hidden vmlinux put back; a
# package the machine's DKMS already has is skipped, never touched.
#
# usage: scripts/dkms-e2e.sh [OUTDIR]   (npm run test:dkms; OUTDIR default: a new temporary
#        directory). Then, unless BTFKIT_DKMS_NO_LOAD is set, `test-kernel.js --extra OUTDIR`
#        loads the modules into both kernels under QEMU.
# needs: root, dkms, linux-image-6.12.118+deb12-amd64 and its headers (without them: one
#        "skipped" line, exit 0), a built btfkit (npm run build), the Debian archive apt uses
#        here (or DEBIAN_MIRROR) for the two packages (kept in the DKMS corpus's debs/).
#        6.12.107 joins the checks when the kernel-oracle corpus has it (test:kernel fetches it).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${BTFKIT_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus}"
kver=6.12.118+deb12-amd64
headers=/usr/src/linux-headers-$kver
btfkit="$here/dist/src/cli/launcher.cjs"
skip() { echo "test:dkms: skipped: $*" >&2; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (dkms)"
command -v dkms > /dev/null || skip "no dkms"
[ -e "/boot/vmlinuz-$kver" ] && [ -e "$headers/vmlinux" ] || skip "no linux-image-$kver and linux-headers-$kver"
[ -e "$btfkit" ] || { echo "dkms-e2e: $btfkit missing (npm run build)" >&2; exit 1; }
kernels=(-k "/boot/vmlinuz-$kver")
old="$corpus/kernel-oracle/6.12.107+deb12-amd64/vmlinuz"
[ ! -e "$old" ] || kernels+=(-k "$old")
out="${1:-$(mktemp -d)}"
mkdir -p "$out" "$corpus/encoder-dkms/debs"
. "$here/scripts/debian-mirror.sh"
. "$here/scripts/section-digest.sh"
mirror=$(debian_mirror dkms-e2e) || exit 1

added=()
work="$(mktemp -d)"
cleanup() {
	local p
	rm -rf "$work"
	for p in "${added[@]}"; do
		dkms remove "$p" --all > /dev/null 2>&1 || true
		rm -rf "/usr/src/${p/\//-}"
	done
	[ ! -e "$headers/vmlinux.dkms-e2e" ] || mv "$headers/vmlinux.dkms-e2e" "$headers/vmlinux"
}
trap cleanup EXIT
failed=0
fail() { echo "dkms-e2e: $*" >&2; failed=$((failed + 1)); }

# run NAME VERSION DEB HIDE_VMLINUX EXPECT_IN_MAKE_LOG [SAME]: SAME is the row group of
# test/golden/encoder/dkms.tsv for the same sources built by kbuild with pahole v1.31, whose
# .BTF and .BTF.base digests the module's must have
run() {
	local name="$1" ver="$2" deb="$3" hide="$4" expect="$5" same="${6:-}" src="/usr/src/$1-$2" x
	# a machine's own DKMS modules are never touched
	if [ -n "$(dkms status -m "$name" 2> /dev/null)" ] || [ -e "$src" ]; then
		echo "test:dkms: $name skipped: this machine's DKMS already has it, or $src exists" >&2
		return
	fi
	local file="$corpus/encoder-dkms/debs/$(basename "$deb")"
	if [ ! -s "$file" ]; then
		curl -sSf -o "$file.tmp" "$mirror/$deb" || { fail "$name: download failed ($mirror/$deb)"; return; }
		mv "$file.tmp" "$file"
	fi
	x="$(mktemp -d)"
	dpkg-deb -x "$file" "$x"
	rm -rf "$src"
	mv "$x/usr/src/$name-$ver" "$src"
	rm -rf "$x"
	# the README's line, after the package's own make
	sed -i "s|^MAKE\[0\]=\"\(.*\)\"\$|MAKE[0]=\"\1 \&\& $btfkit distill . --base /boot/vmlinuz-\${kernelver} --in-place --quiet\"|" "$src/dkms.conf"
	grep -q "btfkit\|launcher.cjs" "$src/dkms.conf" || { fail "$name: no MAKE[0] line to extend"; return; }
	added+=("$name/$ver")
	dkms add "$name/$ver" > /dev/null 2>&1
	[ "$hide" = no ] || mv "$headers/vmlinux" "$headers/vmlinux.dkms-e2e"
	local rc=0
	dkms build "$name/$ver" -k "$kver" > "$out/$name.dkms.log" 2>&1 || rc=$?
	[ "$hide" = no ] || mv "$headers/vmlinux.dkms-e2e" "$headers/vmlinux"
	local tree="/var/lib/dkms/$name/$ver/$kver/x86_64"
	cp "$tree/log/make.log" "$out/$name.make.log" 2> /dev/null || true
	[ "$rc" = 0 ] || { fail "$name: dkms build failed (exit $rc): $(tail -n1 "$out/$name.dkms.log")"; return; }
	grep -q "$expect" "$out/$name.make.log" || fail "$name: make.log lacks \"$expect\""
	local m
	for m in "$tree"/module/*.ko*; do
		cp "$m" "$out/"
		m="$out/$(basename "$m")"
		# the module's ELF (DKMS compresses it), for the signature and the section digests
		local plain="$work/$(basename "$m" .xz)"
		case "$m" in *.xz) xz -dc "$m" > "$plain" ;; *) cp "$m" "$plain" ;; esac
		node "$btfkit" elf "$plain" | grep -q '^BTF sections: \.BTF, \.BTF\.base' || fail "$(basename "$m"): not .BTF and .BTF.base"
		# DKMS signs when it has a key (it makes one with openssl): after btfkit's rewrite
		local signed=unsigned
		if grep -q '^Signing module' "$out/$name.dkms.log"; then
			tail -c 28 "$plain" | grep -q '~Module signature appended~' || fail "$(basename "$m"): no signature"
			signed=signed
		fi
		node "$btfkit" check "$m" -B "/boot/vmlinuz-$kver" "${kernels[@]}" > "$out/$name.check.txt" || fail "$(basename "$m"): btfkit check failed"
		[ "$(grep -c ': OK; loads with BTF$' "$out/$name.check.txt")" = $((${#kernels[@]} / 2)) ] || fail "$(basename "$m"): $(grep -v ': OK; loads with BTF$' "$out/$name.check.txt" | head -n1)"
		echo "$name: $(basename "$m"): .BTF and .BTF.base, $signed; btfkit check: loads with BTF on $(grep -o ' on [^:]*: OK' "$out/$name.check.txt" | sed 's/ on //; s/: OK//' | paste -sd' ')"
		[ -n "$same" ] || continue
		local row want got
		row="$same/$(basename "$plain" .ko)"
		want="$(awk -F'\t' -v r="$row" '$1 == r { print $2 " " $3 }' "$here/test/golden/encoder/dkms.tsv")"
		got="$(section_digest "$plain" .BTF) $(section_digest "$plain" .BTF.base)"
		if [ -z "$want" ]; then
			fail "$(basename "$m"): no row $row in test/golden/encoder/dkms.tsv"
		elif [ "$got" = "$want" ]; then
			echo "$name: $(basename "$m"): .BTF and .BTF.base byte-identical to kbuild + pahole v1.31 (dkms.tsv $row)"
		else
			fail "$(basename "$m"): .BTF and .BTF.base digests $got, kbuild + pahole v1.31's $want (dkms.tsv $row)"
		fi
	done
	dkms remove "$name/$ver" --all > /dev/null 2>&1
	rm -rf "$src"
}

run mimic 0.7.0+ds pool/main/m/mimic/mimic-dkms_0.7.0+ds-2_amd64.deb no 'BTF \[M\]'
run v4l2loopback 0.13.2 'pool/main/v/v4l2loopback/v4l2loopback-dkms_0.13.2-1~bpo12+1_all.deb' yes 'Skipping BTF generation' v4l2loopback-bpo12
[ "$failed" = 0 ] || { echo "dkms-e2e: $failed failure(s)" >&2; exit 1; }
echo "dkms-e2e: the modules DKMS stored are in $out"
[ -n "${BTFKIT_DKMS_NO_LOAD:-}" ] || node "$here/dist/scripts/test-kernel.js" --extra "$out"
