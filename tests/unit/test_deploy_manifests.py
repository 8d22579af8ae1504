"""The deployment files: Dockerfile, docker-compose.yml (+ .env.example), its three-node RabbitMQ override
docker-compose.cluster.yml, deploy/rabbitmq, deploy/postgres and the Kubernetes manifests (deploy/k8s, rendered
with `kubectl kustomize`, and the Secrets deploy/k8s/create-secrets.sh writes).

Each file is checked against its published schema where one is pinned in the dev dependencies (the Compose
Specification shipped with check-jsonschema, the Kubernetes API schemas shipped with kubernetes-validate)
and against the rules of this project: healthchecks, startup order, no secret in a committed file, the
ports, environment variables and key files the app really reads. Each checker returns a list of problems;
the tests at the end feed it a deliberately broken copy too, so a checker that lets everything through
fails here.

The custom resources (RabbitmqCluster, User, Permission, Policy from the RabbitMQ operators; Cluster and
Database from CloudNativePG) get a structural check written here (CUSTOM_RESOURCE_SCHEMAS): their CRD
schemas are not published on PyPI or npm (neither package list has them), so there is nothing pinned to
validate against, and kubernetes-validate only knows the built-in kinds.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import stat
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version

from chassis.settings import DATABASE_OWNERS, DEFAULT_PORTS, SERVICES, Settings
from eventbus import topology
from eventbus.broker import nodes
from tests.conftest import CI

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_CLUSTER_FILE = ROOT / "docker-compose.cluster.yml"
CLUSTER_CONF = DEPLOY / "rabbitmq" / "cluster.conf"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
K8S = DEPLOY / "k8s"
OVERLAYS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}

IMAGE = "ghcr.io/example/mobility"
APP_UID = 10001
WORKER_METRICS_PORT = 9100
JOBS = {"keys", "declare", "seed-demo", *(f"migrate-{owner}" for owner in DATABASE_OWNERS)}
UPLOADERS = ("applications", "mobilities", "placements")  # the APIs that keep uploaded files (chassis/uploads.py)
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|_PASS$|SECRET|TOKEN|REDISCLI_AUTH|CREDENTIAL|COOKIE", re.I)
REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?][^}]*)?\}$")  # the whole value is ${VAR...}
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://([^:/@\s]*):([^@\s]*)@")
INTERPOLATION = re.compile(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
PLACEHOLDER = "change-me"
K8S_VERSION = latest_version()  # the newest Kubernetes whose schemas the pinned kubernetes-validate ships


# ------------------------------------------------------------------------------------------ helpers


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE_FILE)


def compose_cluster() -> dict[str, Any]:
    """docker-compose.yml with docker-compose.cluster.yml over it, as `-f docker-compose.yml -f
    docker-compose.cluster.yml` gives it."""
    return merge_compose(compose(), load_yaml(COMPOSE_CLUSTER_FILE))


def merge_compose(base: Any, override: Any, key: str = "") -> Any:
    """Compose's merge of an override file, for what the override uses: mappings merge key by key (services,
    environment, depends_on, the top-level volumes), a service's volumes merge by their target path, and any
    other value of the override replaces the base's. Done here because `docker compose config` needs the compose
    plugin, which is not on these machines (Debian ships only the old Python docker-compose 1.x, which predates
    the Compose Specification and rejects docker-compose.yml)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for name, value in override.items():
            merged[name] = merge_compose(base[name], value, name) if name in base else copy.deepcopy(value)
        return merged
    if key == "volumes" and isinstance(base, list) and isinstance(override, list):
        by_target = {mount_target(v): v for v in base} | {mount_target(v): v for v in override}
        return list(by_target.values())
    return copy.deepcopy(override)


def mount_target(volume: Any) -> str:
    return volume["target"] if isinstance(volume, dict) else str(volume).split(":")[1]


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """A service's volumes, target path -> source (short syntax)."""
    return {mount_target(v): str(v).split(":")[0] for v in service.get("volumes") or []}


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            values[match[1]] = match[2]
    return values


def strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def env_dict(env: Any) -> dict[str, str]:
    if env is None:
        return {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def interpolate(value: str) -> str:
    """What compose would pass, with a dummy for each variable that has no default."""
    def one(match: re.Match[str]) -> str:
        default = re.match(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}$", match[0])
        return default[1] if default else "dummy"
    return re.sub(r"\$\{[^}]*\}", one, value).replace("$$", "$")


def owner_of(command: list[str]) -> str | None:
    """The owner a `mobility serve|worker|migrate <owner>` command works for."""
    if len(command) >= 2 and command[0] in ("serve", "worker", "migrate"):
        return command[1]
    return None


def known_variables() -> set[str]:
    """Every MOBILITY_* variable the app reads: chassis/settings.py and deploy/gunicorn.conf.py."""
    source = (ROOT / "chassis" / "settings.py").read_text() + (DEPLOY / "gunicorn.conf.py").read_text()
    names = set(re.findall(r"[\"'](MOBILITY_[A-Z0-9_]+)[\"']", source))
    names |= {f"MOBILITY_{owner.upper()}_DATABASE_URL" for owner in DATABASE_OWNERS}
    names |= {f"MOBILITY_{service.upper()}_URL" for service in SERVICES}
    return names


# ------------------------------------------------------------------------------------------ compose


@functools.cache
def compose_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    return json.loads(vendored.read_text())


def compose_schema_problems(doc: Any) -> list[str]:
    schema = compose_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator_class(schema).iter_errors(doc)]


def compose_problems(doc: dict[str, Any]) -> list[str]:
    problems = compose_schema_problems(doc)
    services = doc.get("services") or {}
    for name, svc in services.items():
        ours = str(svc.get("image", "")).startswith(f"${{MOBILITY_IMAGE:-{IMAGE}") or "build" in svc
        is_job = name in JOBS
        command = [str(c) for c in svc.get("command") or []]
        env = env_dict(svc.get("environment"))
        owner = owner_of(command)
        # healthchecks: every long-running container; jobs run once and are waited for instead
        health = svc.get("healthcheck") or {}
        if is_job:
            if svc.get("restart", "no") != "no":
                problems.append(f"{name}: a one-shot job must not restart")
        elif not health.get("test") or health.get("disable"):
            problems.append(f"{name}: no healthcheck")
        # startup order: only conditions, and the right ones
        depends = svc.get("depends_on") or {}
        if isinstance(depends, list):
            problems.append(f"{name}: depends_on without conditions")
            depends = {}
        for dep, how in depends.items():
            condition = (how or {}).get("condition")
            if dep not in services:
                problems.append(f"{name}: depends on unknown service {dep}")
            elif condition == "service_completed_successfully" and dep not in JOBS:
                problems.append(f"{name}: waits for {dep} to complete, but it is not a job")
            elif condition == "service_healthy" and not (services[dep].get("healthcheck") or {}).get("test"):
                problems.append(f"{name}: waits for {dep} to be healthy, but it has no healthcheck")
            elif condition not in ("service_healthy", "service_completed_successfully"):
                problems.append(f"{name}: depends on {dep} without a usable condition ({condition})")
        # secrets: never a literal value, always ${VAR} from .env
        for key, value in env.items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE") and not REFERENCE.match(value):
                problems.append(f"{name}: {key} is a literal; take it from .env as ${{...}}")
        for text in strings(svc):
            for _user, password in URL_CREDENTIALS.findall(text):
                if not REFERENCE.match(password):
                    problems.append(f"{name}: a URL with a literal password: {text}")
        # ports: the gateway publishes 8000; the management UIs only on the loopback
        for port in svc.get("ports") or []:
            spec = str(port if not isinstance(port, dict) else f"{port.get('host_ip', '')}:{port.get('published')}")
            if name == "gateway-api" and spec.endswith("8000:8000"):
                continue
            if name in ("mailpit", "rabbitmq") and spec.startswith("127.0.0.1:"):
                continue
            problems.append(f"{name}: publishes {spec}")
        if not ours:
            continue
        # our containers: hardened, the app's own variables, each owner's URL only to its processes
        if svc.get("read_only") is not True or "ALL" not in (svc.get("cap_drop") or []):
            problems.append(f"{name}: needs read_only: true and cap_drop: [ALL]")
        if str(svc.get("user", "")).split(":")[0] != str(APP_UID):
            problems.append(f"{name}: must run as {APP_UID}")
        if "/tmp" not in (svc.get("tmpfs") or []):
            problems.append(f"{name}: needs a tmpfs /tmp (the root filesystem is read-only)")
        unknown = {k for k in env if k.startswith("MOBILITY_")} - known_variables()
        if unknown:
            problems.append(f"{name}: variables the app does not read: {sorted(unknown)}")
        urls = {k for k in env if k.endswith("_DATABASE_URL")}
        allowed = {f"MOBILITY_{o.upper()}_DATABASE_URL" for o in ([owner] if owner else [])}
        if name == "seed-demo":
            allowed = {"MOBILITY_GATEWAY_DATABASE_URL", "MOBILITY_APPLICATIONS_DATABASE_URL"}
        if urls - allowed:
            problems.append(f"{name}: holds database URLs of other owners: {sorted(urls - allowed)}")
        private = {"MOBILITY_JWT_PRIVATE_KEY_FILE"} & set(env)
        private_volume = [v for v in svc.get("volumes") or [] if str(v).startswith("jwt-private:")]
        if (private or private_volume) and name not in ("gateway-api", "keys"):
            problems.append(f"{name}: only the gateway and the keys job may see the signing key")
        try:
            settings = Settings.from_env({k: interpolate(v) for k, v in env.items()})
        except ValueError as exc:
            problems.append(f"{name}: the app would refuse its environment: {exc}")
            continue
        if command[:1] == ["serve"] and owner:
            port = DEFAULT_PORTS[owner]
            if command[2:] != ["--bind", f"0.0.0.0:{port}"]:
                problems.append(f"{name}: must bind 0.0.0.0:{port}")
            if f"http://127.0.0.1:{port}/readyz" not in " ".join(map(str, health.get("test") or [])):
                problems.append(f"{name}: the healthcheck must ask /readyz on port {port}")
            if settings.jwt_public_key_file is None or not any(
                str(v).endswith(f":{settings.jwt_public_key_file.parent}:ro") for v in svc.get("volumes") or []
            ):
                problems.append(f"{name}: the public key volume is not mounted at {settings.jwt_public_key_file}")
        if command[:1] == ["worker"]:
            if env.get("MOBILITY_METRICS_PORT") != str(WORKER_METRICS_PORT):
                problems.append(f"{name}: a worker serves /metrics on MOBILITY_METRICS_PORT={WORKER_METRICS_PORT}")
            if f"('127.0.0.1', {WORKER_METRICS_PORT})" not in " ".join(map(str, health.get("test") or [])):
                # a connect, not a scrape: /metrics asks the database and the broker each time
                problems.append(f"{name}: the healthcheck must connect to the metrics port {WORKER_METRICS_PORT}")
            if "declare" not in depends or f"migrate-{owner}" not in depends:
                problems.append(f"{name}: must wait for declare and migrate-{owner}")
        if command[:1] == ["serve"] and f"migrate-{owner}" not in depends:
            problems.append(f"{name}: must wait for migrate-{owner}")
    # one API and one worker per owner, one migration per owner
    commands = {tuple(map(str, s.get("command") or [])) for s in services.values()}
    for owner in DATABASE_OWNERS:
        serve = ("serve", owner, "--bind", f"0.0.0.0:{DEFAULT_PORTS[owner]}")
        for expected in (("worker", owner), ("migrate", owner), serve):
            if expected not in commands:
                problems.append(f"no service runs `mobility {' '.join(expected)}`")
    if ("declare",) not in commands or ("keys",) not in commands:
        problems.append("the declare and keys jobs are missing")
    return problems


def env_example_problems(doc: Any, example: dict[str, str]) -> list[str]:
    used = {a or b for text in strings(doc) for a, b in INTERPOLATION.findall(text)}
    problems = [f".env.example does not list {var}" for var in sorted(used - set(example))]
    for key, value in example.items():
        if SECRET_NAME.search(key) and value != PLACEHOLDER:
            problems.append(f".env.example: {key} must be the placeholder {PLACEHOLDER}, not a value")
    return problems


def cluster_problems(doc: dict[str, Any], conf: str) -> list[str]:
    """The merged cluster compose (compose_cluster()) against deploy/rabbitmq/cluster.conf: the nodes listed for
    peer discovery are the RabbitMQ services, which share one cookie from .env and the single node's files, each
    with a data volume of its own; every broker URL names every node; the topology is declared once all are up."""
    problems = compose_problems(doc)
    services = doc["services"]
    rabbits = {name: svc for name, svc in services.items() if str(svc.get("image", "")).startswith("rabbitmq:")}
    listed = re.findall(r"^cluster_formation\.classic_config\.nodes\.\d+ = rabbit@(\S+)$", conf, re.M)
    hint = re.search(r"^cluster_formation\.target_cluster_size_hint = (\d+)$", conf, re.M)
    if not re.search(r"^cluster_formation\.peer_discovery_backend = classic_config$", conf, re.M):
        problems.append("cluster.conf: peer discovery must be classic_config")
    if len(rabbits) < 3 or sorted(listed) != sorted(rabbits):
        problems.append(f"cluster.conf lists {sorted(listed)}, the RabbitMQ services are {sorted(rabbits)}")
    if not hint or int(hint[1]) != len(rabbits):
        problems.append(f"cluster.conf: target_cluster_size_hint must be {len(rabbits)}")
    shared = {t: source for t, source in mounts(services["rabbitmq"]).items() if t != "/var/lib/rabbitmq"}
    cookies, data = set(), []
    for name, svc in rabbits.items():
        cookie = env_dict(svc.get("environment")).get("RABBITMQ_ERLANG_COOKIE", "")
        cookies.add(re.sub(r"[:}].*", "", cookie))
        if not REFERENCE.match(cookie):
            problems.append(f"{name}: RABBITMQ_ERLANG_COOKIE must come from .env as ${{...}}")
        if svc.get("hostname") != name:
            problems.append(f"{name}: its hostname (the node name rabbit@<hostname>) must be its service name")
        own = mounts(svc)
        data.append(own.get("/var/lib/rabbitmq"))
        if {t: s for t, s in own.items() if t != "/var/lib/rabbitmq"} != shared:
            problems.append(f"{name}: must mount the same configuration files as rabbitmq")
    if len(cookies) != 1:
        problems.append(f"the nodes must share one Erlang cookie, found {sorted(cookies)}")
    if None in data or len(set(data)) != len(data):
        problems.append("each node needs a data volume of its own")
    if "/etc/rabbitmq/conf.d/20-mobility-cluster.conf" not in shared:
        problems.append("the nodes must mount deploy/rabbitmq/cluster.conf in conf.d")
    for name, svc in services.items():
        url = env_dict(svc.get("environment")).get("MOBILITY_BROKER_URL")
        hosts = sorted(str(urlsplit(node).hostname) for node in nodes(interpolate(url or "")))
        if url is not None and hosts != sorted(rabbits):
            problems.append(f"{name}: MOBILITY_BROKER_URL names {hosts}, not every node {sorted(rabbits)}")
    waits = {dep for dep, how in (services["declare"].get("depends_on") or {}).items()
             if (how or {}).get("condition") == "service_healthy"}
    if not set(rabbits) <= waits:
        problems.append("declare must wait for every node, or early queues get fewer replicas")
    return problems


# ------------------------------------------------------------------------------------------ Dockerfile


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):  # a comment inside a continued instruction
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    result = []
    for instruction in logical:
        keyword, _, args = instruction.strip().partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def dockerfile_problems(text: str) -> list[str]:
    problems = []
    instructions = dockerfile_instructions(text)
    global_args = {}
    for keyword, args in instructions:
        if keyword == "FROM":
            break
        if keyword == "ARG" and "=" in args:
            key, value = args.split("=", 1)
            global_args[key] = value
    stages = []
    for keyword, args in instructions:
        if keyword == "FROM":
            image = re.sub(r"\$\{(\w+)\}", lambda m: global_args.get(m[1], m[0]), args.split()[0])
            stages.append({"image": image, "instructions": []})
        elif stages:
            stages[-1]["instructions"].append((keyword, args))
    if len(stages) < 2:
        problems.append("not multi-stage (fewer than two FROM)")
        return problems
    for stage in stages:
        if stage["image"] != "python:3.11-slim":
            problems.append(f"a stage is not based on python:3.11-slim: {stage['image']}")
    build, final = stages[0]["instructions"], stages[-1]["instructions"]
    runs = " ".join(args for keyword, args in build if keyword == "RUN")
    if "pip wheel --wheel-dir /wheels ." not in runs or "rm -f /wheels/mobility-" not in runs:
        problems.append("the build stage must `pip wheel --wheel-dir /wheels .` and drop the project's wheel")
    users = [args for keyword, args in final if keyword == "USER"]
    if not users or users[-1].split(":")[0] != str(APP_UID):
        problems.append(f"the final stage must run as USER {APP_UID}")
    entrypoints = [args for keyword, args in final if keyword == "ENTRYPOINT"]
    try:
        entrypoint = json.loads(entrypoints[-1]) if entrypoints else None
    except json.JSONDecodeError:
        entrypoint = None
    if entrypoint != ["python", "-m", "mobility"]:
        problems.append('ENTRYPOINT must be the exec form ["python", "-m", "mobility"]')
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    for setting in ("PYTHONPATH=/app", "MOBILITY_VAR_DIR=/var/lib/mobility"):
        if setting not in env:
            problems.append(f"the final stage must set {setting}")
    if ("WORKDIR", "/app") not in final:
        problems.append("WORKDIR /app is missing")
    if not any(keyword == "EXPOSE" and "8000" in args.split() for keyword, args in final):
        problems.append("EXPOSE 8000 is missing")
    for keyword, args in instructions:
        if keyword == "ADD" and re.search(r"https?://|git@", args):
            problems.append(f"ADD of a remote source: {args}")
        if keyword in ("ENV", "ARG") and SECRET_NAME.search(args.split("=")[0]):
            problems.append(f"a secret baked into the image: {keyword} {args}")
        if keyword == "COPY" and not args.startswith("--"):
            for source in args.split()[:-1]:
                if not (ROOT / source).exists():
                    problems.append(f"COPY of a missing path: {source}")
    return problems


# ------------------------------------------------------------------------------------------ Kubernetes

# A structural check for each custom kind (see the module docstring): the fields this project relies on,
# with their types. additionalProperties is left open: the operators accept many more.
_REF = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}
CUSTOM_RESOURCE_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): {
        "required": ["replicas", "persistence", "resources"],
        "properties": {
            "replicas": {"type": "integer", "minimum": 3},
            "persistence": {"type": "object", "required": ["storage"], "properties": {"storage": {"type": "string"}}},
            "resources": {"type": "object", "required": ["requests", "limits"]},
            "rabbitmq": {"type": "object", "properties": {
                "additionalPlugins": {"type": "array", "items": {"type": "string", "pattern": "^rabbitmq_"}},
                "additionalConfig": {"type": "string"}}},
        },
    },
    ("rabbitmq.com/v1beta1", "User"): {
        "required": ["rabbitmqClusterReference", "importCredentialsSecret"],
        "properties": {"rabbitmqClusterReference": _REF, "importCredentialsSecret": _REF,
                       "tags": {"type": "array", "items": {"enum": ["management", "policymaker", "monitoring",
                                                                     "administrator"]}}},
    },
    ("rabbitmq.com/v1beta1", "Permission"): {
        "required": ["vhost", "permissions", "rabbitmqClusterReference", "userReference"],
        "properties": {
            "vhost": {"type": "string"}, "rabbitmqClusterReference": _REF, "userReference": _REF,
            "permissions": {"type": "object", "required": ["configure", "write", "read"],
                            "additionalProperties": False,
                            "properties": {k: {"type": "string"} for k in ("configure", "write", "read")}},
        },
    },
    ("rabbitmq.com/v1beta1", "Policy"): {
        "required": ["name", "pattern", "definition", "rabbitmqClusterReference"],
        "properties": {
            "name": {"type": "string"}, "pattern": {"type": "string"}, "vhost": {"type": "string"},
            "priority": {"type": "integer"}, "definition": {"type": "object", "minProperties": 1},
            "applyTo": {"enum": ["queues", "classic_queues", "quorum_queues", "exchanges", "all"]},
            "rabbitmqClusterReference": _REF,
        },
    },
    ("postgresql.cnpg.io/v1", "Cluster"): {
        "required": ["instances", "storage", "bootstrap"],
        "properties": {
            "instances": {"type": "integer", "minimum": 3},
            "storage": {"type": "object", "required": ["size"], "properties": {"size": {"type": "string"}}},
            "bootstrap": {"type": "object", "required": ["initdb"], "properties": {"initdb": {
                "type": "object", "required": ["database", "owner", "secret"],
                "properties": {"database": {"type": "string"}, "owner": {"type": "string"}, "secret": _REF}}}},
            "managed": {"type": "object", "properties": {"roles": {"type": "array", "items": {
                "type": "object", "required": ["name", "login", "passwordSecret"],
                "properties": {"name": {"type": "string"}, "login": {"const": True},
                               "ensure": {"enum": ["present", "absent"]}, "passwordSecret": _REF}}}}},
        },
    },
    ("postgresql.cnpg.io/v1", "Database"): {
        "required": ["name", "owner", "cluster"],
        "properties": {"name": {"type": "string"}, "owner": {"type": "string"}, "cluster": _REF,
                       "ensure": {"enum": ["present", "absent"]},
                       "databaseReclaimPolicy": {"enum": ["retain", "delete"]}},
    },
}


def kubectl() -> str:
    found = shutil.which("kubectl") or ("/usr/bin/kubectl" if Path("/usr/bin/kubectl").exists() else None)
    if found:
        return found
    message = "kubectl is not installed: it renders the kustomizations (`kubectl kustomize`)"
    if CI:
        pytest.fail(f"{message} (CI=true: these tests must run, not skip)")
    pytest.skip(message)


@functools.cache
def _render(directory: Path, kubectl_path: str) -> tuple[dict[str, Any], ...]:
    out = subprocess.run([kubectl_path, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"kubectl kustomize {directory} failed:\n{out.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(out.stdout) if doc)


def render(overlay: str) -> list[dict[str, Any]]:
    return copy.deepcopy(list(_render(OVERLAYS[overlay], kubectl())))


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return doc["spec"]["template"]["spec"]
    return None


def k8s_schema_problems(docs: list[dict[str, Any]]) -> list[str]:
    problems = []
    for doc in docs:
        where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        custom = CUSTOM_RESOURCE_SCHEMAS.get((doc.get("apiVersion"), doc.get("kind")))
        if custom is not None:
            schema = {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "properties": {
                "metadata": {"type": "object", "required": ["name"]}, "spec": {"type": "object", **custom}}}
            problems += [f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                         for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
            continue
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            problems.append(f"{where}: {'.'.join(map(str, e.path))}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{where}: {doc.get('apiVersion')} {doc.get('kind')} is neither a Kubernetes kind "
                            f"(version {K8S_VERSION}) nor a custom resource this test knows")
    return problems


def k8s_problems(docs: list[dict[str, Any]]) -> list[str]:
    problems = k8s_schema_problems(docs)
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    if not any(name.startswith("mobility-config") for name in by_kind.get("ConfigMap", {})):
        return [*problems, "no ConfigMap mobility-config"]
    tags = set()
    for doc in docs:
        spec = pod_spec(doc)
        if spec is None:
            continue
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        pod_security = spec.get("securityContext") or {}
        seccomp = (pod_security.get("seccompProfile") or {}).get("type")
        if pod_security.get("runAsNonRoot") is not True or seccomp != "RuntimeDefault":
            problems.append(f"{where}: the pod needs runAsNonRoot and the RuntimeDefault seccomp profile")
        for container in spec["containers"]:
            security = container.get("securityContext") or {}
            if (security.get("readOnlyRootFilesystem") is not True
                    or security.get("allowPrivilegeEscalation") is not False
                    or "ALL" not in (security.get("capabilities") or {}).get("drop", [])):
                problems.append(f"{where}: read-only root, no privilege escalation, drop ALL capabilities")
            for part in ("requests", "limits"):
                if not {"cpu", "memory"} <= set((container.get("resources") or {}).get(part) or {}):
                    problems.append(f"{where}: resources.{part} needs cpu and memory")
            if container["image"].startswith(IMAGE + ":"):
                tags.add(container["image"].rsplit(":", 1)[1])
                problems += _mobility_container_problems(where, doc, container, by_kind)
    problems += [f"the image tag must be pinned, not {tag!r}" for tag in tags if tag in ("", "latest")]
    if len(tags) != 1:
        problems.append(f"every Mobility container must run the same pinned tag, found {sorted(tags)}")
    problems += _expected_workloads(by_kind)
    problems += _data_store_problems(by_kind)
    return problems


def _mobility_container_problems(
    where: str, doc: dict[str, Any], container: dict[str, Any], by_kind: dict[str, dict[str, dict[str, Any]]]
) -> list[str]:
    """One container running the Mobility image: user, files, secrets, settings, ports and probes."""
    problems = []
    spec = pod_spec(doc) or {}
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts") or []}
    config_maps = by_kind.get("ConfigMap", {})
    config_refs = [ref.get("configMapRef", {}).get("name") for ref in container.get("envFrom", [])]
    config = next((config_maps[name]["data"] for name in config_refs if name in config_maps), None)
    if config is None:
        return [f"{where}: no envFrom of the mobility-config ConfigMap"]
    if (spec.get("securityContext") or {}).get("runAsUser") != APP_UID:
        problems.append(f"{where}: must run as {APP_UID}")
    if "emptyDir" not in volumes.get((mounts.get("/tmp") or {}).get("name"), {}):
        problems.append(f"{where}: /tmp must be an emptyDir (the root filesystem is read-only)")
    # environment: secrets only through secretKeyRefs to mobility-secrets, only the app's own variables
    env = {}
    for item in container.get("env") or []:
        if "value" in item and SECRET_NAME.search(item["name"]) and not item["name"].endswith("_FILE"):
            problems.append(f"{where}: {item['name']} is a literal; use a secretKeyRef")
        ref = (item.get("valueFrom") or {}).get("secretKeyRef")
        if ref and ref["name"] != "mobility-secrets":
            problems.append(f"{where}: {item['name']} must come from the Secret mobility-secrets")
        env[item["name"]] = item.get("value", "from-a-secret")
    for text in strings(container) + strings(config):
        if URL_CREDENTIALS.search(text):
            problems.append(f"{where}: credentials in a URL in a manifest: {text}")
    unknown = {k for k in [*env, *config] if k.startswith("MOBILITY_")} - known_variables()
    if unknown:
        problems.append(f"{where}: variables the app does not read: {sorted(unknown)}")
    args = container.get("args") or []
    owner = owner_of(args)
    urls = {k for k in env if k.endswith("_DATABASE_URL")}
    if urls - ({f"MOBILITY_{owner.upper()}_DATABASE_URL"} if owner else set()):
        problems.append(f"{where}: holds database URLs of other owners: {sorted(urls)}")
    try:
        settings = Settings.from_env({**config, **env})
    except ValueError as exc:
        return [*problems, f"{where}: the app would refuse its environment: {exc}"]
    # the JWT key files: the public key in every API, the private key in the gateway only
    for volume in volumes.values():
        if (volume.get("secret") or {}).get("secretName") == "mobility-jwt":
            items = volume["secret"].get("items")
            if (items is None or any(i["key"] == "jwt-ed25519.pem" for i in items)) and (
                doc["metadata"]["name"] != "gateway-api"
            ):
                problems.append(f"{where}: mounts the gateway's private key")
    if args[:1] == ["serve"] and owner:
        port = DEFAULT_PORTS[owner]
        files = {str(settings.jwt_public_key_file)}
        if owner == "gateway":
            files |= {str(settings.jwt_private_key_file), str(settings.secret_key_file)}
        mounted = {f"{path}/{name}" for path, m in mounts.items() for name in _volume_files(volumes[m["name"]])}
        if files - mounted:
            problems.append(f"{where}: files the app reads are not mounted: {sorted(files - mounted)}")
        ports = [p["containerPort"] for p in container.get("ports", [])]
        if args != ["serve", owner, "--bind", f"0.0.0.0:{port}"] or ports != [port]:
            problems.append(f"{where}: must serve on 0.0.0.0:{port} and declare that port")
        probes = (container.get("livenessProbe", {}).get("httpGet", {}).get("path"),
                  container.get("readinessProbe", {}).get("httpGet", {}).get("path"))
        if probes != ("/healthz", "/readyz"):
            problems.append(f"{where}: liveness /healthz and readiness /readyz, not {probes}")
        problems += _api_companions(doc, by_kind)
        if owner in UPLOADERS:
            claims = {name: v["persistentVolumeClaim"]["claimName"]
                      for name, v in volumes.items() if "persistentVolumeClaim" in v}
            mount = next((path for path, m in mounts.items() if m["name"] in claims), None)
            pvc = by_kind.get("PersistentVolumeClaim", {}).get(claims.get((mounts.get(mount) or {}).get("name")))
            if not pvc or pvc["spec"]["accessModes"] != ["ReadWriteMany"] or mount != str(settings.documents_dir):
                problems.append(f"{where}: uploaded files need a ReadWriteMany claim at MOBILITY_DOCUMENTS_DIR")
    elif args[:1] == ["worker"]:
        probe_port = container.get("livenessProbe", {}).get("tcpSocket", {}).get("port")
        named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        if env.get("MOBILITY_METRICS_PORT") != str(WORKER_METRICS_PORT) or (
            named.get(probe_port, probe_port) != WORKER_METRICS_PORT
        ):
            problems.append(f"{where}: metrics on {WORKER_METRICS_PORT} with the liveness probe on it")
    return problems


def _expected_workloads(by_kind: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    problems = []
    for owner in DATABASE_OWNERS:
        expected = (("Deployment", f"{owner}-api"), ("Deployment", f"{owner}-worker"), ("Job", f"migrate-{owner}"))
        for kind, name in expected:
            if name not in by_kind.get(kind, {}):
                problems.append(f"missing {kind}/{name}")
        job = by_kind.get("Job", {}).get(f"migrate-{owner}")
        if job and job["spec"]["template"]["spec"]["containers"][0].get("args") != ["migrate", owner]:
            problems.append(f"Job/migrate-{owner} must run `mobility migrate {owner}`")
    declare = by_kind.get("Job", {}).get("declare")
    if not declare or declare["spec"]["template"]["spec"]["containers"][0].get("args") != ["declare"]:
        problems.append("Job/declare must run `mobility declare`")
    backends = {
        path["backend"]["service"]["name"]
        for ingress in by_kind.get("Ingress", {}).values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    if backends != {"gateway-api"}:
        problems.append(f"the Ingress must route to the gateway only, routes to {sorted(backends)}")
    return problems


def _volume_files(volume: dict[str, Any]) -> list[str]:
    secret = volume.get("secret")
    if secret is None:
        return []
    if secret.get("items"):
        return [item["path"] for item in secret["items"]]
    keys = {"mobility-jwt": ["jwt-ed25519.pem", "jwt-ed25519.pub.pem"], "mobility-session": ["session-secret"]}
    return keys.get(secret["secretName"], [])


def _api_companions(deployment: dict[str, Any], by_kind: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    name = deployment["metadata"]["name"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    problems = []

    def selects(selector: dict[str, str]) -> bool:
        return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

    service = by_kind.get("Service", {}).get(name)
    if not service or not selects(service["spec"]["selector"]):
        problems.append(f"Deployment/{name}: no Service selecting its pods")
    pdb = by_kind.get("PodDisruptionBudget", {}).get(name)
    if not pdb or not selects(pdb["spec"]["selector"].get("matchLabels", {})):
        problems.append(f"Deployment/{name}: no PodDisruptionBudget for its pods")
    hpa = by_kind.get("HorizontalPodAutoscaler", {}).get(name)
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    if not hpa or hpa["spec"]["scaleTargetRef"] != target or not any(
        m.get("resource", {}).get("name") == "cpu" for m in hpa["spec"].get("metrics", [])
    ):
        problems.append(f"Deployment/{name}: no CPU HorizontalPodAutoscaler")
    elif "replicas" in deployment["spec"]:
        problems.append(f"Deployment/{name}: set replicas in the HPA, not in the Deployment")
    return problems


def _data_store_problems(by_kind: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    problems = []
    clusters = by_kind.get("Cluster", {})
    if len(clusters) != 1:
        return [*problems, "one CloudNativePG Cluster expected"]
    cluster = next(iter(clusters.values()))
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    roles = {initdb["owner"]} | {r["name"] for r in cluster["spec"].get("managed", {}).get("roles", [])}
    databases = {initdb["database"]: initdb["owner"]} | {
        d["spec"]["name"]: d["spec"]["owner"] for d in by_kind.get("Database", {}).values()
        if d["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    }
    expected = {f"mobility_{owner}": f"mobility_{owner}" for owner in DATABASE_OWNERS}
    if databases != expected:
        problems.append(f"PostgreSQL: databases and owners {databases}, expected {expected}")
    if not set(databases.values()) <= roles:
        problems.append(f"PostgreSQL: a database owner has no role: {sorted(set(databases.values()) - roles)}")
    rabbit_clusters = set(by_kind.get("RabbitmqCluster", {}))
    users = set(by_kind.get("User", {}))
    for kind in ("User", "Permission", "Policy"):
        for name, doc in by_kind.get(kind, {}).items():
            if doc["spec"]["rabbitmqClusterReference"]["name"] not in rabbit_clusters:
                problems.append(f"{kind}/{name}: refers to a RabbitmqCluster that is not here")
            if kind == "Permission" and doc["spec"]["userReference"]["name"] not in users:
                problems.append(f"Permission/{name}: refers to a User that is not here")
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    compose_policies = {(p["name"], p["pattern"], json.dumps(p["definition"], sort_keys=True), p["apply-to"])
                        for p in definitions.get("policies", [])}
    k8s_policies = {(p["spec"]["name"], p["spec"]["pattern"], json.dumps(p["spec"]["definition"], sort_keys=True),
                     p["spec"].get("applyTo")) for p in by_kind.get("Policy", {}).values()}
    if compose_policies != k8s_policies:
        problems.append(f"the RabbitMQ policies differ: compose {compose_policies}, Kubernetes {k8s_policies}")
    return problems


# ------------------------------------------------------------------------------------------ RabbitMQ


def rabbitmq_problems(definitions: dict[str, Any]) -> list[str]:
    problems = []
    if definitions.get("users") or definitions.get("permissions") or "password" in json.dumps(definitions):
        problems.append("definitions.json must carry no user, permission or password")
    if "/" not in {v["name"] for v in definitions.get("vhosts", [])}:
        problems.append('the vhost "/" must be defined (no default vhost is created with load_definitions)')
    exchange = next((e for e in definitions.get("exchanges", []) if e["name"] == topology.EXCHANGE_NAME), None)
    if not exchange or (exchange["type"], exchange["durable"], exchange.get("auto_delete")) != (
        topology.EXCHANGE.type, topology.EXCHANGE.durable, bool(topology.EXCHANGE.auto_delete)
    ):
        problems.append(f"the exchange {topology.EXCHANGE_NAME} must match eventbus/topology.py")
    # what the app declares for a consuming service, to see which queues each policy reaches
    declared = {q.name: q.queue_arguments for q in topology.queues("reviews", ["review.x"], 5000)}
    dlq = topology.names("reviews").dlq
    for policy in definitions.get("policies", []):
        matched = {name for name in declared if re.search(policy["pattern"], name)}
        if policy.get("apply-to") != "quorum_queues" or not matched:
            problems.append(f"policy {policy['name']}: must apply to the app's quorum queues")
        for name in matched:
            clash = {k for k in policy["definition"] if f"x-{k}" in declared[name]}
            if clash:
                problems.append(f"policy {policy['name']}: {sorted(clash)} contradicts {name}'s own arguments")
        if "overflow" in policy["definition"]:
            problems.append(f"policy {policy['name']}: overflow would override reject-publish (at-least-once)")
    unlimited = [p for p in definitions.get("policies", []) if p["definition"].get("delivery-limit") == -1]
    if not any(re.search(p["pattern"], dlq) for p in unlimited):
        problems.append(f"{dlq} needs a policy with delivery-limit -1 (browsing would drop parked messages)")
    return problems


# ------------------------------------------------------------------------------------------ tests


def test_compose_file_passes_schema_and_rules() -> None:
    assert compose_problems(compose()) == []


def test_cluster_compose_override() -> None:
    # the override alone is a valid (partial) compose file; merged, the whole stack passes the same rules
    assert compose_schema_problems(load_yaml(COMPOSE_CLUSTER_FILE)) == []
    doc = compose_cluster()
    assert cluster_problems(doc, CLUSTER_CONF.read_text()) == []
    # the default stays a single node
    assert [name for name, svc in compose()["services"].items()
            if str(svc.get("image", "")).startswith("rabbitmq:")] == ["rabbitmq"]
    single = env_dict(compose()["services"]["declare"]["environment"])["MOBILITY_BROKER_URL"]
    assert len(nodes(interpolate(single))) == 1


def test_env_file_is_ignored_and_example_lists_every_variable() -> None:
    assert env_example_problems(compose(), env_example()) == []
    assert ".env" in [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()]
    if shutil.which("git") and (ROOT / ".git").exists():
        def ignored(path: str) -> bool:
            return subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", path]).returncode == 0
        assert ignored(".env") and not ignored(".env.example")


def test_dockerfile() -> None:
    assert dockerfile_problems(DOCKERFILE.read_text()) == []
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env", "**/__pycache__"} <= set(ignored)
    main = (ROOT / "mobility" / "__main__.py").read_text()
    assert "from mobility.cli import main" in main and 'if __name__ == "__main__":' in main


def test_rabbitmq_definitions_fit_the_app() -> None:
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    assert rabbitmq_problems(definitions) == []
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert re.search(r"^load_definitions = /etc/rabbitmq/definitions.json$", conf, re.M)
    mounts = compose()["services"]["rabbitmq"]["volumes"]
    assert "./deploy/rabbitmq/definitions.json:/etc/rabbitmq/definitions.json:ro" in mounts
    assert "./deploy/rabbitmq/rabbitmq.conf:/etc/rabbitmq/rabbitmq.conf:ro" in mounts
    start = (DEPLOY / "rabbitmq" / "start.sh").read_text()
    # the user comes from the environment, its password on stdin only
    assert 'rabbitmqctl -q add_user "$RABBITMQ_USER"\n' in start and "RABBITMQ_PASSWORD\" |" in start


def test_postgres_init_script_creates_every_owner() -> None:
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    owners = re.search(r"for owner in ([a-z ]+); do", script)
    assert owners and owners[1].split() == list(DATABASE_OWNERS)
    postgres_env = env_dict(compose()["services"]["postgres"]["environment"])
    for owner in DATABASE_OWNERS:
        assert REFERENCE.match(postgres_env[f"MOBILITY_{owner.upper()}_DB_PASSWORD"])


@pytest.mark.parametrize("script", ["rabbitmq/start.sh", "postgres/init-databases.sh", "k8s/create-secrets.sh"])
def test_shell_scripts_parse_and_are_executable(script: str) -> None:
    path = DEPLOY / script
    assert path.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_create_secrets_broker_url_names_every_rabbitmq_node(tmp_path: Path) -> None:
    """create-secrets.sh run against a stand-in kubectl: no Secret exists yet, and each `create secret ... NAME
    --from-file=DIR` keeps DIR as tmp_path/out/NAME."""
    out, bin_dir = tmp_path / "out", tmp_path / "bin"
    out.mkdir()
    bin_dir.mkdir()
    stub = bin_dir / "kubectl"
    stub.write_text('#!/usr/bin/env bash\n[ "$3" = get ] && exit 1\n'
                    'for arg; do case $arg in --from-file=*) cp -r "${arg#--from-file=}" "$OUT/$6";; esac; done\n')
    stub.chmod(0o755)
    production = render("production")
    namespace = next(d["metadata"]["name"] for d in production if d["kind"] == "Namespace")
    result = subprocess.run(["bash", str(K8S / "create-secrets.sh"), namespace], capture_output=True, text=True,
                            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "OUT": str(out)}, timeout=60)
    assert result.returncode == 0, result.stderr
    url = (out / "mobility-secrets" / "MOBILITY_BROKER_URL").read_text()
    user = {key: (out / "mobility-rabbitmq-user" / key).read_text() for key in ("username", "password")}
    cluster = next(d for d in production if d["kind"] == "RabbitmqCluster")
    name = cluster["metadata"]["name"]
    expected = [f"{name}-server-{i}.{name}-nodes.{namespace}" for i in range(cluster["spec"]["replicas"])]
    parts = [urlsplit(node) for node in nodes(url)]
    assert [p.hostname for p in parts] == expected
    assert {(p.scheme, p.username, p.password, p.port, p.path) for p in parts} == {
        ("amqp", user["username"], user["password"], 5672, "/%2F")}
    Settings.from_env({"MOBILITY_BROKER_URL": url})


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_kubernetes_manifests(overlay: str) -> None:
    assert k8s_problems(render(overlay)) == []


def test_production_overlay() -> None:
    base, production = render("base"), render("production")
    assert [d["metadata"]["name"] for d in production if d["kind"] == "Namespace"] == ["mobility"]
    assert {d["metadata"].get("namespace") for d in production if d["kind"] != "Namespace"} == {"mobility"}
    assert all("namespace" not in d["metadata"] for d in base)

    def hpa_minimum(docs: list[dict[str, Any]]) -> int:
        return min(d["spec"]["minReplicas"] for d in docs if d["kind"] == "HorizontalPodAutoscaler")

    assert hpa_minimum(production) > hpa_minimum(base)
    ingress = next(d for d in production if d["kind"] == "Ingress")
    assert ingress["spec"]["tls"] and ingress["spec"]["rules"][0]["host"] in ingress["spec"]["tls"][0]["hosts"]
    config = next(d for d in production if d["kind"] == "ConfigMap")["data"]
    assert config["MOBILITY_PUBLIC_BASE_URL"] == f"https://{ingress['spec']['rules'][0]['host']}"


# The checkers must catch a broken file, not only pass a good one.


def test_checkers_reject_broken_compose() -> None:
    doc = compose()
    broken = copy.deepcopy(doc)
    broken["services"]["reviews-api"]["healthcheck"] = {"test": ["NONE"], "disable": True}
    broken["services"]["reviews-worker"]["depends_on"] = ["declare"]
    broken["services"]["gateway-api"]["environment"]["MOBILITY_GATEWAY_DATABASE_URL"] = (
        "postgresql+psycopg://mobility_gateway:hunter2@postgres:5432/mobility_gateway")
    broken["services"]["redis"]["environment"]["REDISCLI_AUTH"] = "hunter2"
    broken["services"]["applications-api"]["environment"]["MOBILITY_REVIEWS_DATABASE_URL"] = "${X}"
    broken["services"]["applications-api"]["ports"] = ["8001:8001"]
    broken["services"]["mailpit"]["helthcheck"] = broken["services"]["mailpit"].pop("healthcheck")  # a typo
    problems = "\n".join(compose_problems(broken))
    for expected in ("reviews-api: no healthcheck", "reviews-worker: depends_on without conditions",
                     "gateway-api: a URL with a literal password", "redis: REDISCLI_AUTH is a literal",
                     "applications-api: holds database URLs of other owners", "applications-api: publishes",
                     "services/mailpit: Unevaluated properties are not allowed ('helthcheck'",
                     "mailpit: no healthcheck"):
        assert expected in problems, f"{expected!r} not reported:\n{problems}"
    cluster = compose_cluster()
    url = cluster["services"]["reviews-worker"]["environment"]["MOBILITY_BROKER_URL"]
    cluster["services"]["reviews-worker"]["environment"]["MOBILITY_BROKER_URL"] = url.rsplit(";", 1)[0]
    cluster["services"]["rabbitmq-3"]["environment"]["RABBITMQ_ERLANG_COOKIE"] = "s3cret"
    cluster["services"]["rabbitmq-2"]["volumes"] = cluster["services"]["rabbitmq"]["volumes"]
    del cluster["services"]["declare"]["depends_on"]["rabbitmq-3"]
    conf = CLUSTER_CONF.read_text().replace("target_cluster_size_hint = 3", "target_cluster_size_hint = 2")
    problems = "\n".join(cluster_problems(cluster, conf))
    for expected in ("reviews-worker: MOBILITY_BROKER_URL names ['rabbitmq', 'rabbitmq-2'], not every node",
                     "rabbitmq-3: RABBITMQ_ERLANG_COOKIE is a literal", "one Erlang cookie",
                     "a data volume of its own", "declare must wait for every node", "target_cluster_size_hint"):
        assert expected in problems, f"{expected!r} not reported:\n{problems}"
    assert env_example_problems({"x": "${NOT_LISTED}"}, {"A_PASSWORD": "s3cret"}) == [
        ".env.example does not list NOT_LISTED",
        ".env.example: A_PASSWORD must be the placeholder change-me, not a value",
    ]


def test_checkers_reject_broken_dockerfile() -> None:
    text = DOCKERFILE.read_text()
    assert any("USER 10001" in p for p in dockerfile_problems(text.replace("USER 10001:10001", "USER root")))
    assert any("ENTRYPOINT" in p for p in dockerfile_problems(text.replace('"-m", "mobility"', '"app.py"')))
    assert any("remote" in p for p in dockerfile_problems(text + "\nADD https://example.org/x.tgz /x\n"))
    assert any("secret" in p for p in dockerfile_problems(text + "\nENV MOBILITY_SMTP_PASSWORD=x\n"))
    single = "\n".join(line for line in text.splitlines() if not line.startswith("FROM ${PYTHON_IMAGE} AS build"))
    assert any("multi-stage" in p for p in dockerfile_problems(single.split("FROM ${PYTHON_IMAGE} AS runtime")[1]))


def test_checkers_reject_broken_kubernetes() -> None:
    docs = render("base")
    deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "reviews-api")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")  # a typo the API server would reject
    container["securityContext"]["readOnlyRootFilesystem"] = False
    container["env"].append({"name": "MOBILITY_SMTP_PASSWORD", "value": "hunter2"})
    container["image"] = f"{IMAGE}:latest"
    worker = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "reviews-worker")
    worker["spec"]["template"]["spec"]["volumes"].append(
        {"name": "keys", "secret": {"secretName": "mobility-jwt"}})
    rabbit = next(d for d in docs if d["kind"] == "RabbitmqCluster")
    del rabbit["spec"]["replicas"]
    database = next(d for d in docs if d["kind"] == "Database")
    database["spec"]["owner"] = "postgres"
    docs = [d for d in docs if (d["kind"], d["metadata"]["name"]) != ("PodDisruptionBudget", "notifications-api")]
    problems = "\n".join(k8s_problems(docs))
    for expected in ("Deployment/reviews-api: spec.template.spec.containers.0", "read-only root",
                     "MOBILITY_SMTP_PASSWORD is a literal", "image tag must be pinned", "same pinned tag",
                     "Deployment/reviews-worker: mounts the gateway's private key",
                     "RabbitmqCluster/mobility-rabbitmq: spec: 'replicas' is a required property",
                     "PostgreSQL: databases and owners", "notifications-api: no PodDisruptionBudget"):
        assert expected in problems, f"{expected!r} not reported:\n{problems}"
    unknown = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert "neither a Kubernetes kind" in k8s_schema_problems([unknown])[0]


def test_checkers_reject_broken_rabbitmq_definitions() -> None:
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    broken = copy.deepcopy(definitions)
    broken["users"] = [{"name": "mobility", "password_hash": "x"}]
    broken["policies"] = [{"name": "p", "pattern": r"\.events$", "apply-to": "quorum_queues", "priority": 0,
                           "definition": {"delivery-limit": 20, "overflow": "drop-head"}}]
    problems = "\n".join(rabbitmq_problems(broken))
    for expected in ("no user", "contradicts reviews.events", "overflow would override", "needs a policy"):
        assert expected in problems, f"{expected!r} not reported:\n{problems}"
