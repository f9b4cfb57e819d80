#!/usr/bin/env bash
# Sourced by run.sh, demo.sh and check.sh before they change to the repo root: rewrites a relative --config / -c
# path in the array `args` so that it still names the file the caller meant, from the caller's directory.
absolute_config_args() {
    local caller=$1 i
    for ((i = 0; i < ${#args[@]}; i++)); do
        if [[ ${args[i]} == --config || ${args[i]} == -c ]] && ((i + 1 < ${#args[@]})); then
            i=$((i + 1))
            if [[ -n ${args[i]} && ${args[i]} != /* ]]; then
                args[i]="$caller/${args[i]}"
            fi
        fi
    done
}
