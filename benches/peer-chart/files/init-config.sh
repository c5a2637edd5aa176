#!/bin/sh
# Init container: builds Postfix's configuration directory in an emptyDir, so the rendered
# files become the default configuration (postconf -n and postqueue -p in the pod show the
# truth) while nothing ever writes into the read-only ConfigMap mount.
set -eu
cp -a /etc/postfix/. /staging/etc-postfix/
for file in main.cf master.cf allowed_senders; do
  cp /config/"$file" /staging/etc-postfix/"$file"
done
# The exporter tails the log from its start: the file must exist before either container runs.
touch /var/log/postfix/mail.log
chmod 0644 /var/log/postfix/mail.log
