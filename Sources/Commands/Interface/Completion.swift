import Foundation

/// Shell completion for `git mlops <TAB>` from the command tree, as git's own completion calls it:
/// in bash git's `_git` calls `_git_mlops` (loading the file `git-mlops` from bash-completion's
/// directories first), in zsh the `_git` shipped with zsh calls `_git-mlops`. ArgumentParser's own
/// scripts do not work here: they are written for a command named `git mlops`, with a space.
enum Completion {
    enum Shell: String, CaseIterable { case bash, zsh }

    static func script(_ shell: Shell, _ root: CommandInfo) -> String {
        switch shell {
        case .bash: return bash(root)
        case .zsh: return zsh(root)
        }
    }

    /// `"remote add"` for the path `["git mlops", "remote", "add"]`.
    static func key(_ c: CommandInfo) -> String { c.path.dropFirst().joined(separator: " ") }

    /// Subcommand names, with `help` at the top as git lists it.
    static func subcommands(_ c: CommandInfo) -> [String] {
        c.subcommands.map(\.name) + (c.path.count == 1 ? ["help"] : [])
    }

    /// Long options as git's completion offers them: `--name=` when the option takes a value (and
    /// the root's `--version`, which `GitMLOps.main` reads itself).
    static func options(_ c: CommandInfo) -> [String] {
        (c.path.count == 1 ? ["--version"] : [])
            + c.options.flatMap { a in a.names.filter { $0.hasPrefix("--") }.map { a.kind == .option ? $0 + "=" : $0 } }
    }

    /// Shell `case` arms: `"remote add") echo '--default --endpoint=' ;;`.
    static func arms(_ root: CommandInfo, indent: String, _ words: (CommandInfo) -> [String]) -> String {
        root.all.compactMap { c in
            let w = words(c)
            return w.isEmpty ? nil : "\(indent)\"\(key(c))\") echo '\(w.joined(separator: " "))' ;;"
        }.joined(separator: "\n")
    }

    static func bash(_ root: CommandInfo) -> String {
        """
        # bash completion for `git mlops` (written by `git mlops completion bash`; do not edit).
        # git's completion loads it as the file `git-mlops` in bash-completion's completions directory
        # (e.g. ~/.local/share/bash-completion/completions/), or source it after git's completion.

        __git_mlops_subcommands ()
        {
        \tcase "$1" in
        \(arms(root, indent: "\t", subcommands))
        \tesac
        }

        __git_mlops_options ()
        {
        \tcase "$1" in
        \(arms(root, indent: "\t", options))
        \tesac
        }

        _git_mlops ()
        {
        \tlocal i=1 cmdpath="" word subs
        \t# `git mlops ...` or `git-mlops ...`: the words after the command name.
        \tif [ "${words[0]##*/}" != "git-mlops" ]; then
        \t\twhile [ $i -lt $cword ] && [ "${words[i]}" != "mlops" ]; do i=$((i + 1)); done
        \t\ti=$((i + 1))
        \tfi
        \tfor ((; i < cword; i++)); do
        \t\tword="${words[i]}"
        \t\tcase "$word" in -*) continue ;; esac
        \t\tcase " $(__git_mlops_subcommands "$cmdpath") " in
        \t\t*" $word "*) cmdpath="${cmdpath:+$cmdpath }$word" ;;
        \t\t*) break ;;
        \t\tesac
        \tdone
        \tcase "$cur" in
        \t-*) __gitcomp "$(__git_mlops_options "$cmdpath")" ;;
        \t*)
        \t\tsubs="$(__git_mlops_subcommands "$cmdpath")"
        \t\t[ -n "$subs" ] && __gitcomp "$subs"
        \t\t;;
        \tesac
        }

        # `git-mlops <TAB>` too, when git's completion provides the wrapper.
        if declare -F __git_complete >/dev/null; then
        \t__git_complete git-mlops _git_mlops
        fi

        """
    }

    static func zsh(_ root: CommandInfo) -> String {
        """
        #compdef git-mlops
        # zsh completion for `git mlops` (written by `git mlops completion zsh`; do not edit).
        # Put it in a directory on $fpath as `_git-mlops`: zsh's `_git` calls it for `git mlops`.

        __git_mlops_subcommands() {
          case "$1" in
        \(arms(root, indent: "  ", subcommands))
          esac
        }

        __git_mlops_options() {
          case "$1" in
        \(arms(root, indent: "  ", options))
          esac
        }

        _git-mlops() {
          local i word cmdpath=""
          local -a subs opts
          # words[1] is `mlops` (under `git`) or `git-mlops`.
          for (( i = 2; i < CURRENT; i++ )); do
            word=${words[i]}
            [[ $word == -* ]] && continue
            subs=(${=$(__git_mlops_subcommands "$cmdpath")})
            if (( ${subs[(Ie)$word]} )); then cmdpath="${cmdpath:+$cmdpath }$word"; else break; fi
          done
          if [[ $PREFIX == -* ]]; then
            opts=(${=$(__git_mlops_options "$cmdpath")})
            compadd -S '' -- ${(M)opts:#*=}
            compadd -- ${opts:#*=}
          else
            subs=(${=$(__git_mlops_subcommands "$cmdpath")})
            if (( $#subs )); then compadd -- $subs; else _files; fi
          fi
        }

        if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
          _git-mlops "$@"
        fi

        """
    }
}
