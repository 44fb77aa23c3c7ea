# Completes command lines as bash's programmable completion does when Tab is pressed:
# bash-complete.sh SCRIPT LINE...  It sources SCRIPT, finds the function registered for
# calm-audit, sets COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT for each line and calls it
# with the arguments bash passes. Output: "LINE:<line>", then the candidates (COMPREPLY).
source "$1" || exit 3
shift
spec=$(complete -p calm-audit) || exit 4
fn=${spec#*-F }
fn=${fn%% *}
for line in "$@"; do
  read -ra COMP_WORDS <<< "$line"
  if [[ $line == *" " ]]; then COMP_WORDS+=(""); fi
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  "$fn" calm-audit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  printf 'LINE:%s\n%s\n' "$line" "${COMPREPLY[*]}"
done
