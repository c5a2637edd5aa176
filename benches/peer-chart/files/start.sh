#!/bin/sh
# Postfix container entrypoint.
set -eu
# emptyDirs start root-owned and world-writable: the master refuses a data_directory it
# does not own, and `postfix check` warns about writable queue and data directories.
chown postfix /var/lib/postfix
chmod 0755 /var/spool/postfix /var/lib/postfix
# Every start begins from the rendered configuration. /etc/postfix is an emptyDir and outlives
# the container: after a preStop drain and a restart (a failed probe), main.cf would still say
# `master_service_disable`, and port 25 would never open again.
for file in main.cf master.cf allowed_senders; do
  cp /config/"$file" /etc/postfix/"$file"
done
# Mirror the log file to stdout for `kubectl logs`, line by line as Postfix writes it, leaving
# out the probes' sessions (connect and disconnect lines of loopback clients).
# - From the file's end, taken before Postfix starts: the log volume outlives a restarted
#   container, whose predecessor mirrored what is there (all but, possibly, its last shutdown
#   lines), and none of this run's lines is skipped.
# - The filter is GNU grep --line-buffered: mawk, Debian's awk, holds piped input until its
#   buffer fills, so a quiet relay's latest lines would never show. -a with LC_ALL=C: a NUL or
#   a byte that is not UTF-8 must not turn the rest of the stream into "binary file matches".
#   A grep without --line-buffered (BusyBox) mirrors every line rather than none.
probe_sessions='/smtpd\[[0-9]+\]: (dis)?connect from [^ ]*\[(127\.0\.0\.1|::1)\]'
logged_before=$(wc -c 2>/dev/null < /var/log/postfix/mail.log || echo 0)
follow_log() { tail -c +$((logged_before + 1)) -F /var/log/postfix/mail.log 2>&1; }
if echo | grep --line-buffered -q '' 2>/dev/null; then
  follow_log | LC_ALL=C grep -a --line-buffered -v -E "$probe_sessions" &
else
  follow_log &
fi
# Keep the log file bounded: every line is already on stdout, which the kubelet rotates.
(
  while sleep 60; do
    # Neither a missing file nor a failed write may end the loop.
    if [ "$(wc -c 2>/dev/null < /var/log/postfix/mail.log || echo 0)" -gt {{ .Values.log.maxBytes | int64 }} ]; then
      true 2>/dev/null > /var/log/postfix/mail.log || true
    fi
  done
) &
exec postfix start-fg
