#!/bin/bash
# Regenerates the vectors of one fixture from the real crash 8.0.6: each command's output, exactly as crash
# wrote it with "CMD > file", becomes NNN-slug.txt whose first line is "# CMD".
#   capture.sh VMLINUX DUMP OUTDIR < commands.txt
# crash: bash /work/shared/tools/get-crash-8.0.6.sh prints its path (set CRASH to override).
set -euo pipefail
vmlinux=$1 dump=$2 out=$3
crash=${CRASH:-$(bash /work/shared/tools/get-crash-8.0.6.sh | tail -1)}
tmp=$(mktemp -d)
mapfile -t cmds
script=$tmp/script
for i in "${!cmds[@]}"; do echo "${cmds[$i]} > $tmp/$i.txt"; done > "$script"
echo q >> "$script"
"$crash" -s "$vmlinux" "$dump" < "$script" > /dev/null 2>&1
mkdir -p "$out"
for i in "${!cmds[@]}"; do
  slug=$(printf '%s' "${cmds[$i]}" | tr -c 'A-Za-z0-9_.,-' '_' | sed 's/__*/_/g; s/_$//' | cut -c1-60)
  { printf '# %s\n' "${cmds[$i]}"; cat "$tmp/$i.txt"; } > "$out/$(printf '%03d' $((i + 1)))-$slug.txt"
done
rm -rf "$tmp"
