#!/bin/bash
# Makes a vector file for kmem -s, dis, search and tree (*--dis.txt, *--search.txt, *--tree.txt,
# *--kmem-s.txt, *--dis-search-tree-kmem-s.txt) from the real crash 8.0.6: one session, each command's
# output redirected to its own file ("CMD > N.txt", as the fixtures were made), then written as "crash> CMD"
# blocks after a header naming the dump. An output that does not end in a newline (dis stopped by an
# excluded page leaves gdb's line unfinished) gets one, so the next block starts on its own line.
#   slab-dis-search-tree-capture.sh VMLINUX DUMP SCENARIO DUMPNAME "what the vectors cover" < commands.txt > vectors.txt
# The commands of an existing file: grep '^crash> ' FILE | sed 's/^crash> //'
# crash: bash /work/shared/tools/get-crash-8.0.6.sh prints its path (set CRASH to override).
# crash writes dis's read errors ("page excluded ... gdb_readmem_callback") to the terminal only: gdb's
# output goes to crash's tmpfile then, so they are not part of the command's output here either.
set -euo pipefail
vmlinux=$1 dump=$2 scenario=$3 name=$4 what=$5
crash=${CRASH:-$(bash /work/shared/tools/get-crash-8.0.6.sh | tail -1)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t cmds
for i in "${!cmds[@]}"; do echo "${cmds[$i]} > $tmp/$i.txt"; done > "$tmp/script"
echo q >> "$tmp/script"
"$crash" -s "$vmlinux" "$dump" < "$tmp/script" > /dev/null 2>&1
echo "# crash 8.0.6 ($(basename "$vmlinux")), one session on $scenario/dumps/$(basename "$dump"):"
echo "#   printf 'CMD > N.txt\n...q\n' | crash -s $(basename "$vmlinux") $(basename "$dump")   (test/commands/vectors/slab-dis-search-tree-capture.sh);"
echo "#   an output that ends without a newline (dis stopped by an excluded page) gets one here"
echo "# $what"
echo "# dump: $scenario $name"
for i in "${!cmds[@]}"; do
  echo "crash> ${cmds[$i]}"
  cat "$tmp/$i.txt"
  if [ -s "$tmp/$i.txt" ] && [ -n "$(tail -c1 "$tmp/$i.txt")" ]; then echo; fi
done
