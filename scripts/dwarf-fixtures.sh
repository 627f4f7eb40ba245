#!/usr/bin/env bash
# Rebuilds the DWARF reader's test fixtures (test/fixtures/dwarf/sample-*.o and their readelf
# listings) from test/fixtures/dwarf/sample.c, the encoder's args-*.o from args.c: relocatable
# objects as gcc and clang write them for kernel code (-O2 -g, DWARF 4 and 5), small enough to
# commit (~10 KB each); and the encoder's per-CPU variable fixtures (percpu-*.o, ~5 KB each) from
# percpu.c, clang's btf_type_tag fixtures (typetag-*.o) from typetag.c, and C++ objects (g++)
# from cxx.cc (refused) and cxxfields.cc (encoded); variable-length arrays (vla-*.o, vlais-*.o) from vla.c and vlais.c; a complex float
# (complex-gcc-dwarf5.o, refused) from complex.c; sample-gcc-dwarf5.o with its debug sections
# compressed (SHF_COMPRESSED) by objcopy, zlib and zstd (compressed-zlib.o, compressed-zstd.o);
# sample.c with DWARF type units (-fdebug-types-section: typeunits-gcc-dwarf4.o, -dwarf5.o).
# usage: scripts/dwarf-fixtures.sh   (needs gcc, g++, clang, readelf, objcopy with zstd: binutils >= 2.40)
set -euo pipefail
cd "$(dirname "$0")/../test/fixtures/dwarf"
flags=(-O2 -c -fno-asynchronous-unwind-tables -fno-pic -ffile-prefix-map="$PWD"=.)
for src in sample args; do
	gcc "${flags[@]}" -gdwarf-5 -Wno-attributes -Wno-psabi "$src.c" -o "$src-gcc-dwarf5.o"
	gcc "${flags[@]}" -gdwarf-4 -Wno-attributes -Wno-psabi "$src.c" -o "$src-gcc-dwarf4.o"
	clang "${flags[@]}" -gdwarf-5 "$src.c" -o "$src-clang-dwarf5.o"
	clang "${flags[@]}" -gdwarf-4 "$src.c" -o "$src-clang-dwarf4.o"
done
gcc "${flags[@]}" -gdwarf-5 -Wno-attributes percpu.c -o percpu-gcc-dwarf5.o
clang "${flags[@]}" -gdwarf-5 percpu.c -o percpu-clang-dwarf5.o
clang "${flags[@]}" -gdwarf-4 percpu.c -o percpu-clang-dwarf4.o
clang "${flags[@]}" -gdwarf-5 typetag.c -o typetag-clang-dwarf5.o
clang "${flags[@]}" -gdwarf-4 typetag.c -o typetag-clang-dwarf4.o
gcc "${flags[@]}" -gdwarf-5 vla.c -o vla-gcc-dwarf5.o
clang "${flags[@]}" -gdwarf-5 vla.c -o vla-clang-dwarf5.o
gcc "${flags[@]}" -gdwarf-5 vlais.c -o vlais-gcc-dwarf5.o
gcc "${flags[@]}" -gdwarf-5 complex.c -o complex-gcc-dwarf5.o
g++ "${flags[@]}" -gdwarf-5 cxx.cc -o cxx-gcc-dwarf5.o
g++ "${flags[@]}" -gdwarf-5 cxxfields.cc -o cxxfields-gcc-dwarf5.o
g++ "${flags[@]}" -gdwarf-4 cxxfields.cc -o cxxfields-gcc-dwarf4.o
gcc "${flags[@]}" -gdwarf-4 -fdebug-types-section -Wno-attributes sample.c -o typeunits-gcc-dwarf4.o
gcc "${flags[@]}" -gdwarf-5 -fdebug-types-section -Wno-attributes sample.c -o typeunits-gcc-dwarf5.o
objcopy --compress-debug-sections=zlib sample-gcc-dwarf5.o compressed-zlib.o
objcopy --compress-debug-sections=zstd sample-gcc-dwarf5.o compressed-zstd.o
for o in sample-*.o; do
	# readelf's own listing of the DIEs, the reference the test compares against
	readelf --debug-dump=info "$o" | gzip -9n > "${o%.o}.readelf.txt.gz"
done
ls -l sample-* args-* percpu-* typetag-* cxx*-* vla*-* complex-* compressed-* typeunits-*
