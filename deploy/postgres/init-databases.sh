#!/usr/bin/env bash
# One database and one role per owner, each role the owner of its database and of nothing else:
#   mobility_gateway, mobility_applications, mobility_reviews, mobility_notifications, mobility_mobilities,
#   mobility_passports, mobility_placements
# with the passwords MOBILITY_GATEWAY_DB_PASSWORD, MOBILITY_APPLICATIONS_DB_PASSWORD,
# MOBILITY_REVIEWS_DB_PASSWORD, MOBILITY_NOTIFICATIONS_DB_PASSWORD, MOBILITY_MOBILITIES_DB_PASSWORD,
# MOBILITY_PASSPORTS_DB_PASSWORD and MOBILITY_PLACEMENTS_DB_PASSWORD from the environment (.env). A data volume initialised before an owner
# existed does not run this again: create that owner's role and database by hand with the same statements.
#
# The postgres image runs /docker-entrypoint-initdb.d/* once, when the data directory is empty; a changed
# password in .env later needs `ALTER ROLE ... PASSWORD` by hand (or a fresh volume). The schema itself is
# the application's: `mobility migrate <owner>` (the migrate-* jobs in docker-compose.yml).
#
# Runs in a subshell so that it behaves the same whether the entrypoint executes or sources it.
(
  set -euo pipefail

  for owner in gateway applications reviews notifications mobilities passports placements; do
    var="MOBILITY_${owner^^}_DB_PASSWORD"
    password="${!var:-}"
    if [ -z "$password" ]; then
      echo "init-databases: $var is not set (see .env.example)" >&2
      exit 1
    fi
    # psql variables quote safely: :"name" as an identifier, :'password' as a literal.
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
      -v name="mobility_${owner}" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
    echo "init-databases: mobility_${owner} created"
  done
)
