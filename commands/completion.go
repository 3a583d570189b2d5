package commands

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// completeCommand is the hidden entry the shell scripts call:
//
//	convex __complete --cur=<word being typed> <words before it...>
//
// It prints one candidate per line, "name<TAB>description".
const completeCommand = "__complete"

func newCompletionCommand(d *Deps) *cli.Command {
	script := func(shell, usage, desc, body string) *cli.Command {
		return &cli.Command{
			Name:        shell,
			Usage:       usage,
			Description: desc,
			Action: func(*cli.Context) error {
				_, err := io.WriteString(d.Stdout, body)
				return err
			},
		}
	}
	return &cli.Command{
		Name:  "completion",
		Usage: "Print a shell completion script",
		Description: "Print a script that makes your shell complete convex commands, flags and flag values when you press Tab. " +
			"Pick your shell's subcommand; each one's help says how to install it.",
		Subcommands: []*cli.Command{
			script("bash", "Print the bash completion script",
				"Print the bash completion script.\n\n"+
					"• Try it in this shell: source <(convex completion bash)\n"+
					"• Install it: convex completion bash > ~/.local/share/bash-completion/completions/convex",
				bashCompletion),
			script("zsh", "Print the zsh completion script",
				"Print the zsh completion script.\n\n"+
					"• Try it in this shell: source <(convex completion zsh)\n"+
					"• Install it: convex completion zsh > \"${fpath[1]}/_convex\" (then start a new shell; compinit must be enabled)",
				zshCompletion),
			script("fish", "Print the fish completion script",
				"Print the fish completion script.\n\n"+
					"• Try it in this shell: convex completion fish | source\n"+
					"• Install it: convex completion fish > ~/.config/fish/completions/convex.fish",
				fishCompletion),
			script("powershell", "Print the PowerShell completion script",
				"Print the PowerShell completion script.\n\n"+
					"• Try it in this session: convex completion powershell | Out-String | Invoke-Expression\n"+
					"• Install it: add that line to your profile (see $PROFILE).",
				powershellCompletion),
		},
	}
}

const bashCompletion = `# bash completion for convex
_convex_completions() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local IFS=$'\n'
    local out line
    out=$("${COMP_WORDS[0]}" __complete "--cur=${cur}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null) || return 0
    COMPREPLY=()
    for line in $out; do
        COMPREPLY+=("${line%%$'\t'*}")
    done
}
complete -o default -F _convex_completions convex
`

const zshCompletion = `#compdef convex
# zsh completion for convex
_convex() {
    local -a lines candidates
    local line name desc
    lines=("${(@f)$("${words[1]}" __complete "--cur=${words[CURRENT]}" "${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
    for line in "${lines[@]}"; do
        [[ -z "$line" ]] && continue
        name="${line%%$'\t'*}"
        desc="${line#*$'\t'}"
        [[ "$desc" == "$line" ]] && desc=""
        candidates+=("${name//:/\\:}:${desc}")
    done
    if (( ${#candidates} )); then
        _describe -t convex 'convex' candidates
    else
        _files
    fi
}
if [ "$funcstack[1]" = "_convex" ]; then
    _convex "$@"
else
    compdef _convex convex
fi
`

const fishCompletion = `# fish completion for convex
function __convex_complete
    set -l tokens (commandline -opc)
    set -l prog $tokens[1]
    set -e tokens[1]
    set -l cur (commandline -ct)
    $prog __complete "--cur=$cur" $tokens 2>/dev/null
end
complete -c convex -a '(__convex_complete)'
`

const powershellCompletion = `# PowerShell completion for convex
Register-ArgumentCompleter -Native -CommandName convex, convex.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $elements = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
    $prog = $elements[0]
    $words = @()
    if ($elements.Count -gt 1) { $words = @($elements[1..($elements.Count - 1)]) }
    if ($wordToComplete -ne '' -and $words.Count -gt 0) { $words = @($words | Select-Object -SkipLast 1) }
    & $prog __complete "--cur=$wordToComplete" @words 2>$null | ForEach-Object {
        $parts = $_ -split "` + "`" + `t", 2
        $desc = if ($parts.Count -gt 1 -and $parts[1]) { $parts[1] } else { $parts[0] }
        [System.Management.Automation.CompletionResult]::new($parts[0], $parts[0], 'ParameterValue', $desc)
    }
}
`

// complete prints the candidates for the word being typed. args are
// "--cur=<partial>" then the words already typed after the program name.
func (t *tree) complete(w io.Writer, args []string) {
	cur := ""
	if len(args) > 0 && strings.HasPrefix(args[0], "--cur=") {
		cur, args = strings.TrimPrefix(args[0], "--cur="), args[1:]
	}
	cmd := t.root
	var pending *StringOption // a flag waiting for its value
	positional := 0
	for i, word := range args {
		if pending != nil {
			pending = nil
			continue
		}
		if word == "--" {
			positional += len(args) - i
			break
		}
		if strings.HasPrefix(word, "-") && word != "-" {
			name, _, hasVal, _ := splitFlag(word)
			if f, ok := findFlag(cmd, name).(*StringOption); ok && !hasVal && !f.OptionalValue {
				pending = f
			}
			continue
		}
		if positional == 0 {
			if sub := findSub(cmd, word); sub != nil {
				cmd = sub
				continue
			}
		}
		positional++
	}

	emit := func(name, desc string) {
		if strings.HasPrefix(name, cur) {
			fmt.Fprintf(w, "%s\t%s\n", name, shortDesc(desc))
		}
	}
	switch {
	case pending != nil:
		for _, c := range pending.Choices {
			emit(c, "")
		}
	case strings.HasPrefix(cur, "--") && strings.Contains(cur, "="):
		name := strings.SplitN(cur[2:], "=", 2)[0]
		if f, ok := findFlag(cmd, name).(*StringOption); ok {
			for _, c := range f.Choices {
				emit("--"+name+"="+c, "")
			}
		}
	case strings.HasPrefix(cur, "-"):
		for _, f := range visibleFlags(cmd) {
			emit("--"+f.Names()[0], flagUsage(f))
		}
	case positional == 0:
		for _, s := range visibleCommands(cmd) {
			emit(s.Name, s.Usage)
		}
	}
}

// shortDesc keeps the first sentence, cut to fit a completion menu.
func shortDesc(s string) string {
	s = strings.SplitN(s, "\n", 2)[0]
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	if r := []rune(s); len(r) > 70 {
		s = string(r[:69]) + "…"
	}
	return s
}
