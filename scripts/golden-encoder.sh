#!/usr/bin/env bash
# Golden data of the BTF encoder (src/encode), made with pahole v1.31 (../shared/oracle/
# build-pahole.sh; PAHOLE=... to use another):
#  - test/golden/encoder/<object>.btf: `pahole -J` (detached) of the DWARF fixtures in
#    test/fixtures/dwarf (sample-*.o, args-*.o, percpu-*.o, typetag-*.o: gcc 12 / clang, DWARF 4 and 5;
#    cxxfields-*.o: g++; vla-*.o, vlais-*.o), with the
#    kernel's module features; test/golden/encoder/cxx-*.refused.txt, complex-*.refused.txt:
#    pahole's message refusing the C++ fixture cxx-*.o and the complex float one complex-*.o;
#    typeunits-*.btf: sample.c built with -fdebug-types-section (DWARF 4 and 5: type units in
#    section groups, which pahole's libdw does not read);
#    compressed-zlib.btf: pahole -J of compressed-zlib.o (sample-gcc-dwarf5.o with zlib-compressed
#    debug sections; pahole's libdw cannot read the zstd one, compressed-zstd.o);
#  - test/golden/encoder/modules.tsv: sha256 of .BTF, .BTF.base and .BTF_ids of every module of
#    the encoder corpus (scripts/encoder-corpus.sh) as kbuild + pahole + resolve_btfids left it,
#    or "refused" and pahole's message when pahole refused the module;
#  - test/golden/encoder/dkms.tsv: the same for the DKMS corpus (scripts/dkms-corpus.sh), and
#    test/golden/encoder/dkms-trixie.tsv for its Debian 13 build (scripts/trixie-corpus.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/section-digest.sh"
pahole="${PAHOLE:-$HOME/.cache/btf-oracle/bin/pahole}"
features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs
out="$here/test/golden/encoder"
mkdir -p "$out"
for o in "$here"/test/fixtures/dwarf/sample-*.o "$here"/test/fixtures/dwarf/typeunits-*.o "$here"/test/fixtures/dwarf/args-*.o "$here"/test/fixtures/dwarf/percpu-*.o "$here"/test/fixtures/dwarf/typetag-*.o "$here"/test/fixtures/dwarf/cxxfields-*.o "$here"/test/fixtures/dwarf/vla-*.o "$here"/test/fixtures/dwarf/vlais-*.o; do
	n="$(basename "$o" .o)"
	rm -f "$out/$n.btf"
	"$pahole" -J --btf_features="$features" --btf_encode_detached="$out/$n.btf" "$o"
done
rm -f "$out/compressed-zlib.btf"
"$pahole" -J --btf_features="$features" --btf_encode_detached="$out/compressed-zlib.btf" "$here/test/fixtures/dwarf/compressed-zlib.o"
root="${BTFKIT_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# the C++ and complex float fixtures: pahole refuses them (no output, exit 0); its message is the golden
for o in "$here"/test/fixtures/dwarf/cxx-*.o "$here"/test/fixtures/dwarf/complex-*.o; do
	n="$(basename "$o" .o)"
	"$pahole" -J --btf_features="$features" --btf_encode_detached="$tmp/$n.btf" "$o" 2>&1 | grep -m1 -E '^Unsupported|^Complex' > "$out/$n.refused.txt"
done
# digests CORPUS_DIR TSV: one row per <group>/<module>.prebtf.ko (refused: refused.txt of the
# group, or <module>.refused.txt beside it)
digests() {
	local corpus="$1" tsv="$2"
	[ -d "$corpus" ] || { echo "no corpus at $corpus; $(basename "$tsv") kept" >&2; return 0; }
	{
		printf 'module\t.BTF\t.BTF.base\t.BTF_ids\n'
		for pre in "$corpus"/*/*.prebtf.ko; do
			dir="$(dirname "$pre")"; m="$(basename "$pre" .prebtf.ko)"; g="$(basename "$dir")"
			for r in "$dir/refused.txt" "$dir/$m.refused.txt"; do
				if [ -f "$r" ]; then
					printf '%s/%s\trefused\t%s\t-\n' "$g" "$m" "$(cat "$r")"
					continue 2
				fi
			done
			row="$g/$m"
			for s in .BTF .BTF.base .BTF_ids; do row="$row	$(section_digest "$dir/$m.ko" "$s")"; done
			printf '%s\n' "$row"
		done
	} > "$tsv"
	wc -l "$tsv"
}
# scripts/encoder-corpus.sh
digests "$root/encoder" "$out/modules.tsv"
# scripts/dkms-corpus.sh and scripts/trixie-corpus.sh (swept by scripts/test-corpus.ts)
digests "$root/encoder-dkms" "$out/dkms.tsv"
digests "$root/encoder-dkms-trixie" "$out/dkms-trixie.tsv"
