#!/usr/bin/env bash
# The rabbitmq container's entrypoint in docker-compose.yml: start RabbitMQ (which imports
# /etc/rabbitmq/definitions.json), then make sure the application's user exists with the password from the
# environment, then mark the node ready for the healthcheck.
#
# Why a script: with `load_definitions` set RabbitMQ seeds no default user (see rabbitmq.conf), and the
# definitions file must not carry a credential. The password is passed to rabbitmqctl on standard input,
# never as an argument. RabbitMQ trims surrounding whitespace from a password read that way.
set -euo pipefail

: "${RABBITMQ_USER:?RABBITMQ_USER must be set (see .env.example)}"
: "${RABBITMQ_PASSWORD:?RABBITMQ_PASSWORD must be set (see .env.example)}"
VHOST="${RABBITMQ_VHOST:-/}"
READY=/tmp/mobility-rabbitmq-ready

rm -f "$READY"

# The image's own entrypoint: fixes ownership of the data directory and drops to the rabbitmq user.
docker-entrypoint.sh rabbitmq-server &
server=$!

stop() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server"
  exit $?
}
trap stop TERM INT

until rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1; do
  if ! kill -0 "$server" 2>/dev/null; then
    wait "$server"
    exit $?
  fi
  sleep 2
done

ensure_user() {
  if rabbitmqctl -q list_users --no-table-headers | cut -f1 | grep -Fxq -e "$RABBITMQ_USER"; then
    # keep the broker in step with .env when the password was changed there
    printf '%s\n' "$RABBITMQ_PASSWORD" | rabbitmqctl -q change_password "$RABBITMQ_USER"
  else
    printf '%s\n' "$RABBITMQ_PASSWORD" | rabbitmqctl -q add_user "$RABBITMQ_USER"
  fi
}
# Users are cluster-wide, and on a cluster (docker-compose.cluster.yml) every node runs this at once: another
# node may add the user between the check and add_user, which then fails; the next try changes the password.
for try in 1 2 3; do
  ensure_user && break
  [ "$try" -lt 3 ] || exit 1
  sleep 2
done
# administrator: the management UI (127.0.0.1:15672) and `mobility dlq` use this account too
rabbitmqctl -q set_user_tags "$RABBITMQ_USER" administrator
rabbitmqctl -q set_permissions -p "$VHOST" "$RABBITMQ_USER" '.*' '.*' '.*'

touch "$READY"
echo "mobility: RabbitMQ user '$RABBITMQ_USER' ready on vhost '$VHOST'"

wait "$server"
