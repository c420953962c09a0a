"""docker/: the compose file against the Compose Specification's schema, Prometheus's
configuration and alert rules through promtool, and the Grafana dashboards' queries
against the metrics the engine serves. No Docker engine runs here: nothing is built."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric

from engine.fleet_gauges import FleetGauges
from engine.keys import GROUP, Keys
from engine.prometheus_listener import PrometheusListener
from storage.db import Database
from storage.settings import Settings

ROOT = Path(__file__).parents[2]
DOCKER = ROOT / "docker"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is not installed (Debian's prometheus package; `make observability` "
    "installs it as root): the Prometheus configuration and alert rule tests skip",
)
# Series Prometheus or its exporters make, which the engine does not serve itself.
NOT_THE_ENGINES = {"up", "process_resident_memory_bytes", "process_cpu_seconds_total"}


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    problems = [
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose())
    ]
    assert problems == []


def test_the_stack_starts_in_order_with_redis_on_aof_and_engine_replicas() -> None:
    services = compose()["services"]
    assert set(services) >= {
        "redis", "postgres", "migrate", "studio", "identity", "engine",
        "prometheus", "alertmanager", "grafana", "loki",
    }  # fmt: skip
    assert "--appendonly" in services["redis"]["command"]
    for name in ("studio", "engine"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["migrate"]["command"] == ["veogen", "migrate"]
    assert services["engine"]["deploy"]["replicas"] == "${VEOGEN_ENGINES:-2}"
    assert services["identity"]["network_mode"] == "service:studio"  # one issuer address


def test_each_image_is_multi_stage_runs_as_a_user_and_checks_its_health() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    stages = {name: base for base, name in re.findall(r"^FROM (\S+) AS (\w+)$", text, re.M)}
    assert stages == {"build": "python:3.11-slim", "runtime": "python:3.11-slim",
                      "engine": "runtime", "studio": "runtime"}  # fmt: skip
    runtime = text.split("AS runtime")[1].split("\nFROM ")[0]
    assert re.search(r"^USER veogen$", runtime, re.M)  # both images run as veogen
    assert "COPY --from=build /opt/venv" in runtime  # no compiler in either
    for image, port in (("engine", 8503), ("studio", 8501)):
        stage = text.split(f"AS {image}\n")[1].split("\nFROM ")[0]
        assert re.search(rf"^HEALTHCHECK .*\n.*{port}/healthz", stage, re.M)
    targets = {s["build"]["target"] for s in compose()["services"].values() if "build" in s}
    assert targets == {"studio", "engine"}


@pytest.mark.skipif(
    subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0
    if shutil.which("docker")
    else True,
    reason="docker compose is not installed: its own check of the compose file skips",
)
def test_docker_compose_reads_the_file() -> None:
    subprocess.run(
        ["docker", "compose", "-f", str(DOCKER / "compose.yaml"), "config", "--quiet"], check=True
    )


@needs_promtool
def test_promtool_accepts_the_prometheus_configuration_and_its_rules(tmp_path: Path) -> None:
    # the studio's token is a compose secret, at /run/secrets in the container: here, a file
    shutil.copytree(DOCKER / "prometheus", tmp_path, dirs_exist_ok=True)
    config = tmp_path / "prometheus.yml"
    (tmp_path / "metrics_token").write_text("s3cret\n")
    config.write_text(
        config.read_text().replace("/run/secrets/metrics_token", str(tmp_path / "metrics_token"))
    )
    done = subprocess.run(
        [str(PROMTOOL), "check", "config", str(config)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 6 rules found" in done.stdout + done.stderr


@needs_promtool
def test_every_alert_rule_passes_its_unit_tests() -> None:
    done = subprocess.run(
        [str(PROMTOOL), "test", "rules", str(DOCKER / "prometheus" / "alerts_test.yml")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_rule_has_unit_tests_that_fire_it_and_that_do_not() -> None:
    rules = yaml.safe_load((DOCKER / "prometheus" / "alerts.yml").read_text())
    names = {r["alert"] for group in rules["groups"] for r in group["rules"]}
    assert names == {
        "VeogenEngineDown", "VeogenNoEngine", "VeogenQueueBacklog", "VeogenJobFailureRate",
        "VeogenQuotaHeld", "VeogenBudgetPassed",
    }  # fmt: skip
    tests = yaml.safe_load((DOCKER / "prometheus" / "alerts_test.yml").read_text())["tests"]
    checks = [check for test in tests for check in test["alert_rule_test"]]
    fired = {c["alertname"] for c in checks if c["exp_alerts"]}
    quiet = {c["alertname"] for c in checks if not c["exp_alerts"]}
    assert fired == names and quiet == names


def served_metrics(settings: Settings, db: Database) -> set[str]:
    """The names the engine's /metrics carries: its listener's and the fleet's gauges."""
    import redis

    registry = CollectorRegistry()
    PrometheusListener(registry)
    keys = Keys(settings.redis_prefix)
    client = redis.Redis.from_url(settings.redis_url or "")
    client.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
    try:
        registry.register(FleetGauges(client, keys, db))
        return {name for family in registry.collect() for name in series(family)}
    finally:
        client.delete(keys.stream)


def series(family: Metric) -> set[str]:
    """The names of the series a metric family is served as, with or without samples yet."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
    return {family.name + suffix for suffix in suffixes.get(family.type, [""])}


def dashboard_queries() -> list[tuple[str, str]]:
    found = []
    for path in sorted((DOCKER / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        assert board["uid"] and board["title"].startswith("VeoGen")
        for panel in board["panels"]:
            assert panel["title"] and panel["targets"], f"{path.name}: a panel without a query"
            for target in panel["targets"]:
                if target["datasource"]["type"] == "prometheus":
                    found.append((f"{path.name}: {panel['title']}", target["expr"]))
    return found


PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "irate", "increase", "histogram_quantile", "absent",
    "by", "without", "on", "ignoring", "and", "or", "unless", "bool", "offset",
}  # fmt: skip


def metric_names(promql: str) -> set[str]:
    """The series a PromQL query reads: what is left of it without strings, label
    matchers, ranges, groupings, numbers, functions and keywords."""
    text = re.sub(r'"[^"]*"', '""', promql)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without)\s*\([^)]*\)", "", text)
    return set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*", text)) - PROMQL_WORDS


def test_metric_names_are_read_out_of_a_query() -> None:
    query = (
        "histogram_quantile(0.95, sum by (le, kind) (rate(veogen_job_duration_seconds_bucket"
        '{kind="render"}[10m]))) / max(veogen_made_up) > 0.2'
    )
    assert metric_names(query) == {"veogen_job_duration_seconds_bucket", "veogen_made_up"}


def test_the_dashboards_and_rules_read_only_metrics_the_engine_serves(
    settings: Settings, sqlite_db: Database
) -> None:
    served = served_metrics(settings, sqlite_db) | NOT_THE_ENGINES
    queries = dashboard_queries()
    rules = yaml.safe_load((DOCKER / "prometheus" / "alerts.yml").read_text())
    queries += [(r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]
    assert len(queries) > 20
    unknown = {(where, name) for where, expr in queries for name in metric_names(expr) - served}
    assert unknown == set()
