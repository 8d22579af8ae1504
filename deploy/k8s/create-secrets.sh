#!/usr/bin/env bash
# Create the Secrets that deploy/k8s/base expects, with fresh random passwords and a fresh Ed25519 key pair,
# so that each password is the same in the operator's Secret and in the URL the app reads:
#
#   mobility-secrets          MOBILITY_BROKER_URL (every RabbitMQ node), MOBILITY_<OWNER>_DATABASE_URL (gateway,
#                             applications, reviews, notifications, mobilities, passports, placements)
#   mobility-jwt              jwt-ed25519.pem, jwt-ed25519.pub.pem
#   mobility-session          session-secret
#   mobility-passport-keys    passport-keys: the passports service's keyring (AES-256-GCM keys of the passport
#                             numbers), one key per line `<key-id> <base64 of 32 random bytes>`, the first line
#                             the current key. Keep a copy outside the cluster: without it no number can be read.
#   placements-partner-link-keys
#                             partner-link-keys: the placements' keyring for the partner's answer link, one
#                             secret per line, the first the current one (losing it voids the links mailed).
#   mobility-db-<owner>       username, password (kubernetes.io/basic-auth) for the CloudNativePG roles
#   mobility-rabbitmq-user    username, password for the RabbitMQ User
#
# Usage: deploy/k8s/create-secrets.sh [namespace]      (default: mobility; needs kubectl and openssl)
#
# It refuses to run when any of them exists: a new set would not match the running databases and broker.
# An installation made before an owner existed (e.g. passports, placements) gets that owner's by hand, made as below:
# mobility-db-<owner>, its URL added to mobility-secrets, for passports mobility-passport-keys, and for placements
# placements-partner-link-keys.
# To change one password later, change it in both places (e.g. mobility-db-reviews and
# MOBILITY_REVIEWS_DATABASE_URL) and restart the pods. Optional keys of mobility-secrets
# (MOBILITY_SMTP_USER, MOBILITY_SMTP_PASSWORD, MOBILITY_OIDC_CLIENT_SECRET) can be added with
# `kubectl edit secret mobility-secrets`. Values are passed to kubectl as files, never on the command line.
set -euo pipefail

NS="${1:-mobility}"
OWNERS=(gateway applications reviews notifications mobilities passports placements)
PG_HOST=mobility-postgres-rw
RABBIT_CLUSTER=mobility-rabbitmq   # metadata.name of the RabbitmqCluster in base/rabbitmq.yaml
RABBIT_NODES=3                     # its spec.replicas
RABBIT_USER=mobility

names=(mobility-secrets mobility-jwt mobility-session mobility-passport-keys placements-partner-link-keys
       mobility-rabbitmq-user)
for owner in "${OWNERS[@]}"; do names+=("mobility-db-$owner"); done
for name in "${names[@]}"; do
  if kubectl -n "$NS" get secret "$name" >/dev/null 2>&1; then
    echo "secret $name already exists in namespace $NS: not creating a new set" >&2
    exit 1
  fi
done

umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rand() { openssl rand -hex 24; }  # hex: safe inside URLs

mkdir "$work/jwt" "$work/session" "$work/passports" "$work/placements" "$work/app" "$work/rabbit"
openssl genpkey -algorithm ed25519 -out "$work/jwt/jwt-ed25519.pem"
openssl pkey -in "$work/jwt/jwt-ed25519.pem" -pubout -out "$work/jwt/jwt-ed25519.pub.pem"
openssl rand -hex 32 | tr -d '\n' > "$work/session/session-secret"
printf 'k1 %s\n' "$(openssl rand -base64 32)" > "$work/passports/passport-keys"
printf '%s\n' "$(openssl rand -base64 48 | tr -d '\n')" > "$work/placements/partner-link-keys"

for owner in "${OWNERS[@]}"; do
  role="mobility_$owner"
  password="$(rand)"
  mkdir "$work/db-$owner"
  printf '%s' "$role" > "$work/db-$owner/username"
  printf '%s' "$password" > "$work/db-$owner/password"
  printf '%s' "postgresql+psycopg://$role:$password@$PG_HOST:5432/$role" \
    > "$work/app/MOBILITY_${owner^^}_DATABASE_URL"
done

rabbit_password="$(rand)"
printf '%s' "$RABBIT_USER" > "$work/rabbit/username"
printf '%s' "$rabbit_password" > "$work/rabbit/password"
# MOBILITY_BROKER_URL names every node, in kombu's failover form (`amqp://...@node-0...;amqp://...@node-1...`):
# each connection starts at a random node and moves to the next when its node goes (eventbus/broker.py). The
# nodes are the operator's StatefulSet pods, <cluster>-server-<i>, reached by their stable names under its
# headless Service <cluster>-nodes, which publishes a pod's address even before it is ready. (The Service
# <cluster> alone would work too, as a reconnect through it lands on a ready pod; naming the nodes lets a client
# move on at once, without waiting for the Service to drop a dead pod.) A cluster scaled to more replicas needs
# this URL edited to list the new pods.
broker_urls=()
for ((i = 0; i < RABBIT_NODES; i++)); do
  broker_urls+=("amqp://$RABBIT_USER:$rabbit_password@$RABBIT_CLUSTER-server-$i.$RABBIT_CLUSTER-nodes.$NS:5672/%2F")
done
(IFS=';'; printf '%s' "${broker_urls[*]}") > "$work/app/MOBILITY_BROKER_URL"

kubectl -n "$NS" create secret generic mobility-jwt --from-file="$work/jwt"
kubectl -n "$NS" create secret generic mobility-session --from-file="$work/session"
kubectl -n "$NS" create secret generic mobility-passport-keys --from-file="$work/passports"
kubectl -n "$NS" create secret generic placements-partner-link-keys --from-file="$work/placements"
kubectl -n "$NS" create secret generic mobility-secrets --from-file="$work/app"
kubectl -n "$NS" create secret generic mobility-rabbitmq-user --from-file="$work/rabbit"
for owner in "${OWNERS[@]}"; do
  kubectl -n "$NS" create secret generic "mobility-db-$owner" --type=kubernetes.io/basic-auth \
    --from-file="$work/db-$owner"
done
echo "created: ${names[*]} (namespace $NS)"
