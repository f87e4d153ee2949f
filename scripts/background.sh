# Sourced by the scripts a test session runs in the background (scripts/compat.sh, scripts/warehouse.sh run-tests):
# such a script dies with whoever started it (a test session, make) and takes everything it started along.
#
# Each step runs in the background while the script waits for it (`run CMD...`), so TERM, INT and HUP are acted on
# at once (bash runs a trap only once a foreground command returns); a watchdog stops the script when the script's
# parent is gone; on exit, whatever is still running is stopped, then the script's own `cleanup` function runs
# (define it after sourcing this file; by default it does nothing).

parent_of() { cut -d' ' -f4 "/proc/$1/stat"; } # fields of /proc/PID/stat: 4 = parent, 5 = process group
group_of() { cut -d' ' -f5 "/proc/$1/stat"; }

STARTER=$(parent_of $$)
step=""
watchdog=""
cleanup() { :; }
finish() {
    trap '' INT TERM HUP
    if [ "$(group_of $$)" = "$$" ]; then
        kill -TERM -- -$$ 2>/dev/null || true # the script leads its process group: all of it (but the script)
    else
        kill -TERM ${step:+"$step"} ${watchdog:+"$watchdog"} 2>/dev/null || true
    fi
    wait || true
    cleanup
}
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
trap finish EXIT

# The watchdog: once the script's parent has exited (the script is re-parented), stop the script.
(
    while [ "$(parent_of $$)" = "$STARTER" ]; do sleep 1; done
    kill -TERM $$
) &
watchdog=$!

run() { # one step, in the background so that a signal is handled while it runs
    "$@" &
    step=$!
    wait "$step"
    step=""
}
