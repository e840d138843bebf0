#!/bin/bash
# Makes a vector file (*--net-dev-irq.txt, *--runq-timer.txt) from the real crash 8.0.6: one session, each
# command's output redirected to its own file ("CMD > N.txt", as the fixtures were made), then written as
# "crash> CMD" blocks after a header naming the dump.
#   net-dev-irq-runq-timer-capture.sh VMLINUX DUMP SCENARIO DUMPNAME "what the vectors cover" < commands.txt > vectors.txt
# crash: bash /work/shared/tools/get-crash-8.0.6.sh prints its path (set CRASH to override).
# crash writes getopt's complaints to the terminal only, so the vectors hold no invalid-option cases.
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
echo "#   printf 'CMD > N.txt\n...q\n' | crash -s $(basename "$vmlinux") $(basename "$dump")   (test/commands/vectors/net-dev-irq-runq-timer-capture.sh)"
echo "# $what"
echo "# dump: $scenario $name"
for i in "${!cmds[@]}"; do
  echo "crash> ${cmds[$i]}"
  cat "$tmp/$i.txt"
done
