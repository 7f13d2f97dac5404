# bash completion for provenance(1). Installed by `make install` as
# $(PREFIX)/share/bash-completion/completions/provenance.
#
# The commands, verbs and options come from the binary itself (`provenance help --commands`,
# `provenance COMMAND --commands`, the options in `provenance COMMAND [VERB] --help`), so the
# completion follows the program it completes.
_provenance()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion || return
	else
		COMPREPLY=()
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local prog=${words[0]} i cmd= verb= nested=
	# the command (and its verb) is the first word (and the next) that is not a global option
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--db | --memory) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
				nested=$("$prog" "$cmd" --commands 2>/dev/null)
			elif [[ -n $nested && -z $verb ]]; then
				verb=${words[i]}
			fi
			;;
		esac
	done
	case $prev in
	--db | --evidence | -o | --output | --patterns | --labels)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--reports)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--format | --report-format)
		# the formats this command takes, as its --help lists them ("--format md|html|json")
		local fmts
		fmts=$("$prog" $cmd $verb --help 2>/dev/null | grep -oE -- "$prev [a-z]+(\|[a-z]+)+" |
			sed "s/^$prev //" | tr '|' '\n' | sort -u)
		COMPREPLY=($(compgen -W "$fmts" -- "$cur"))
		return
		;;
	--role)
		COMPREPLY=($(compgen -W "teacher reference" -- "$cur"))
		return
		;;
	esac
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--db --memory --quiet --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$prog" help --commands 2>/dev/null)" -- "$cur"))
		fi
		return
	fi
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$("$prog" help --commands 2>/dev/null)" -- "$cur"))
		return
	fi
	if [[ -n $nested && -z $verb ]]; then
		COMPREPLY=($(compgen -W "$nested" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		local opts
		opts=$({ "$prog" $cmd $verb --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*'
			printf '%s\n' --help --version --quiet; } | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	# arguments that are not files: a probe set's name, a case id
	case $cmd${verb:+ $verb} in
	"probe show")
		COMPREPLY=($(compgen -W "$("$prog" probe list 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
		return
		;;
	report | verify | timestamp | "probe list")
		return
		;;
	esac
	COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _provenance provenance ./provenance
