# Completes command lines the way a person at an interactive zsh would, and prints what zsh
# offers for each: zsh-complete.zsh FOLDER LINE...  FOLDER holds the _calm-audit script.
#
# zsh completes only inside its line editor, so a second zsh runs on a pseudo-terminal (zpty):
# each line is typed with a Tab after it, then erased. compadd, which every completion function
# ends in, is wrapped to report the candidates that match what was typed before adding them as
# usual. Output: "LINE:<line>", then one line of candidates per compadd call that had any.
zmodload zsh/zpty || exit 3
folder=$1
shift
zpty -b z zsh -f -i
zpty -w z "PS1=''; RPS1=''; fpath=(${(q)folder} \$fpath); autoload -Uz compinit; compinit -u -D"
# The markers are built when they are printed, so the echo of these very lines never matches.
zpty -w z 'compadd() { local -a m; builtin compadd -O m "$@"; (( $#m )) && print -r -- "${:-MATCH}:${(j: :)m}" >/dev/tty; builtin compadd "$@"; }'
# The first Tab of a fresh line editor may complete nothing while it sets itself up: one is spent.
zpty -w -n z $'calm-audit \t'
zpty -w -n z $'\C-u'
zpty -w z 'print -r -- "${:-DONE}:"'
zpty -r z out '*DONE:*' || exit 4
for line in "$@"; do
  zpty -w -n z "$line"$'\t'
  zpty -w -n z $'\C-u'
  zpty -w z 'print -r -- "${:-DONE}:"'
  out=
  zpty -r z out '*DONE:*' || exit 4
  print -r -- "LINE:$line"
  print -r -- "$out" | tr -d '\r' | grep -ao 'MATCH:.*' | sed 's/^MATCH://'
done
zpty -d z
