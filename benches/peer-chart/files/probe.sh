#!/bin/bash
# Startup and readiness probe: port 25 answers with its SMTP 220 greeting. The session is a
# clean greeting + QUIT, so Postfix logs no warning, and the start script keeps it out of
# `kubectl logs`.
exec 3<>/dev/tcp/127.0.0.1/25 || exit 1
IFS= read -r -t 5 greeting <&3 || exit 1
printf 'QUIT\r\n' >&3
IFS= read -r -t 5 _ <&3 || true
case "$greeting" in
  220*) exit 0 ;;
  *) echo "unexpected greeting: $greeting" >&2; exit 1 ;;
esac
