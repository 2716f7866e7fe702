"""The metric names the dashboard and the alerts use are the ones the running services export.

Scrapes GET /metrics of every service and checks that each metric k8s/optional/metric-names.txt
lists for a service is in that service's scrape, with the listed type and label names, and that
the service exports nothing the list leaves out; and that every name a query of
k8s/optional/grafana-dashboard.json or an expression of k8s/optional/prometheus-rules.rules.yml
uses (a histogram through its _bucket, _sum or _count series) is one of them. scripts/k8s-check
checks the same files against the list and the list against the sources, offline; this is the
check against what the built services really say.

Run it after the services have done some work: a metric that swift-metrics creates on first use
(the Hummingbird request metrics at the first request, audio-service's transcription metrics at
the first transcription; the list's fourth column says which) is not in a scrape before that.
scripts/test runs it at the end of the end-to-end stage, after the journey uploaded, transcoded
and transcribed videos.

    metric_names.py --service user-service=http://127.0.0.1:PORT --service upload-service=URL \\
        --service audio-service=URL --service processing-service=URL --service monitoring-service=URL

Python standard library only.
"""

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import promql_names  # noqa: E402  (scripts/promql_names.py, shared with scripts/k8s_check.py)

OPTIONAL = os.path.join(ROOT, "k8s", "optional")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+(?:\s+\S+)?$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"\s*,?')
WHY_ABSENT = {
    "first-request": "it appears at the service's first HTTP request",
    "first-transcription": "it appears at audio-service's first transcription: did the run transcribe anything?",
    "eager": "it is registered when the service starts",
}


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def scrape(url):
    """{family: (type, {label names})} of one Prometheus text exposition."""
    with urllib.request.urlopen(url, timeout=30) as answer:
        text = answer.read().decode("utf-8")
    families, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            families[name] = (kind.strip(), set())
        elif line and not line.startswith("#"):
            match = SAMPLE.match(line)
            if not match:
                raise ValueError(f"{url}: not a sample line: {line[:120]!r}")
            samples.append((match.group(1), {m.group(1) for m in LABEL.finditer(match.group(2) or "")}))
    for name, labels in samples:
        family = name if name in families else next(
            (name[: -len(s)] for s in promql_names.HISTOGRAM_SUFFIXES
             if name.endswith(s) and families.get(name[: -len(s)], ("",))[0] in ("histogram", "summary")), None)
        if family is None:
            families[name] = ("untyped", set())
            family = name
        families[family][1].update(labels - {"le", "quantile"})
    return families


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", action="append", default=[], metavar="NAME=URL",
                        help="a service and its base URL; all five are needed")
    args = parser.parse_args()
    urls = {}
    for item in args.service:
        name, _, url = item.partition("=")
        if name not in promql_names.SERVICES or not url:
            parser.error(f"--service {item!r}: expected one of {', '.join(promql_names.SERVICES)}=URL")
        urls[name] = url.rstrip("/")
    missing = [s for s in promql_names.SERVICES if s not in urls]
    if missing:
        parser.error(f"no --service for {', '.join(missing)}")

    failures, checks = [], 0
    listed, problems = promql_names.read_metric_list(read(os.path.join(OPTIONAL, "metric-names.txt")))
    failures += [f"metric-names.txt: {p}" for p in problems]

    # The names the dashboard and the alerts use, each resolved to the listed metric.
    queries = [(f"grafana-dashboard.json {where}", expr)
               for where, expr in promql_names.dashboard_queries(json.loads(read(os.path.join(OPTIONAL, "grafana-dashboard.json"))))]
    rules = promql_names.rule_expressions(read(os.path.join(OPTIONAL, "prometheus-rules.rules.yml")))
    queries += [(f"prometheus-rules.rules.yml {name}", expr) for name, expr in rules]
    recorded = {name for name, _ in rules if name and ":" in name}
    used = {}
    for where, expr in queries:
        checks += 1
        for problem in promql_names.check_expression(expr, listed, recorded):
            failures.append(f"{where}: {problem}")
        for name, _ in promql_names.metric_uses(expr)[0]:
            metric, _ = promql_names.resolve(name, listed)
            if metric:
                used.setdefault(metric.name, set()).add(name)

    # Each service's scrape, twice: the first request of a service registers its request metrics.
    scrapes = {}
    for service, base in urls.items():
        try:
            scrape(f"{base}/metrics")
            scrapes[service] = scrape(f"{base}/metrics")
        except (OSError, ValueError, urllib.error.URLError) as error:
            failures.append(f"{service}: GET {base}/metrics failed: {error}")

    for name, metric in sorted(listed.items()):
        for service in metric.services:
            if service not in scrapes:
                continue
            checks += 1
            here = f"{service} {name}"
            if name in used:
                here += f" (used as {', '.join(sorted(used[name]))})"
            found = scrapes[service].get(name)
            if found is None:
                failures.append(f"{here}: not in the scrape ({WHY_ABSENT[metric.registered]})")
                continue
            kind, labels = found
            if kind != metric.type:
                failures.append(f"{here}: exported as a {kind}, listed as a {metric.type}")
            if labels != metric.labels:
                failures.append(f"{here}: labels {', '.join(sorted(labels)) or 'none'}; listed: "
                                f"{', '.join(sorted(metric.labels)) or 'none'}")
    for service, families in sorted(scrapes.items()):
        for name in sorted(families):
            checks += 1
            if name not in listed or service not in listed[name].services:
                failures.append(f"{service} {name}: exported, but k8s/optional/metric-names.txt does not list it for {service}")

    used_names = sorted({n for names in used.values() for n in names})
    print(f"metric names: {len(used_names)} names in {len(queries)} dashboard queries and alert expressions, "
          f"{sum(len(m.services) for m in listed.values())} (service, metric) pairs listed; "
          f"foreign, not scraped here: {', '.join(sorted(n for n, m in listed.items() if not m.services))}")
    failed = {failure.split(":")[0] for failure in failures}
    print(f"metric names: {checks - len(failed)} passed, {len(failed)} failed")
    for failure in failures:
        print("  " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
