#!/bin/sh
# preStop hook: stop taking mail, send what is queued, and when the upstream cannot take it,
# hand it over to the relay's other pods; wait until the queue is empty or the deadline, then
# let the kubelet stop Postfix. It never deletes mail: whatever is still queued at the
# deadline stays in /var/spool/postfix.
set -u
say() { postlog -t postfix/drain "$*" 2>/dev/null || echo "drain: $*"; }
# The queue listing; fails when postqueue cannot read the queue, which must never pass for an
# empty one.
listing() { postqueue -j; }
# Lines of the listing (messages), optionally only those matching a pattern.
lines() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | grep -c -e "${2:-.}"; fi; }
# The number of queued messages, or failure.
queued() { out=$(listing) || return 1; lines "$out"; }
# For a message: the count, or that it is unknown.
count() { queued || echo "an unknown number of"; }

# Endpoints take a moment to drop a terminating pod; keep accepting mail until they have.
sleep 5
# Close port 25 and the hand-off port: the master stops those listeners, while the queue
# manager keeps delivering (and showq keeps answering the exporter and the probes).
postconf -e 'master_service_disable = smtp/inet {{ .Values.handoff.port }}/inet' && postfix reload
say "stopped accepting mail; flushing $(count) queued message(s)"
postqueue -f
deadline=$(( $(date +%s) + {{ .Values.drain.deadlineSeconds }} ))
handed_off=no
no_peers_said=no
# The flush puts every message back in the active queue; give the queue manager a moment.
sleep 2
while :; do
  if out=$(listing); then
    left=$(lines "$out")
    if [ "$left" -eq 0 ]; then
      say "queue empty"
      exit 0
    fi
    # Every message back in the deferred queue after the flush: the upstream did not take it.
    # Hand the queue over to the pods that stay (the ready ones, which the headless Service's
    # name resolves to): they deliver it once the upstream is back.
    if [ "$handed_off" = no ] && [ "$(lines "$out" '"queue_name": *"deferred"')" -eq "$left" ]; then
      if getent hosts {{ include "relay.fullname" . }}-headless >/dev/null 2>&1; then
        say "the upstream took none of $left message(s); handing them over to the other relay pods"
        postconf -e 'default_transport = handoff' 'relayhost = [{{ include "relay.fullname" . }}-headless]:{{ .Values.handoff.port }}' &&
          postfix reload && postqueue -f
        handed_off=yes
        sleep 2
        continue
      elif [ "$no_peers_said" = no ]; then
        say "the upstream took none of $left message(s), and no other relay pod is ready to take them"
        no_peers_said=yes
      fi
    fi
  else
    left="an unknown number of"
    say "cannot read the queue (postqueue failed); waiting"
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    if [ "$handed_off" = yes ]; then
      say "deadline of {{ .Values.drain.deadlineSeconds }}s reached; $left message(s) stay queued: no other relay pod took them"
    else
      say "deadline of {{ .Values.drain.deadlineSeconds }}s reached; $left message(s) stay queued"
    fi
    exit 0
  fi
  sleep 2
done
